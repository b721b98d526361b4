#!/usr/bin/env bash
# `make run`: runs a node. With no manifest, the embedded default one on the first free pair of
# loopback ports from TCP 7700 / HTTP 8700 up, so that a second `make run` starts a second node,
# which finds the first by multicast on loopback and joins it. With a manifest, runs it as is.
set -euo pipefail
butter="$1"; shift
if [ $# -gt 0 ] && [ -n "$1" ]; then
  exec "$butter" run "$@"
fi
busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for i in $(seq 0 19); do
  tcp=$((7700 + i)); http=$((8700 + i))
  if ! busy "$tcp" && ! busy "$http"; then
    [ "$i" -eq 0 ] || echo "run: ports 7700/8700 are taken (another node?): this node uses $tcp/$http and joins it"
    exec "$butter" run --listen "tcp://127.0.0.1:$tcp" --http "127.0.0.1:$http" --name "butter-$((i + 1))"
  fi
done
echo "run: no free port pair from 7700/8700 to 7719/8719" >&2
exit 1
