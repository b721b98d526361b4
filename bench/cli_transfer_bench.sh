#!/usr/bin/env bash
# A large object through the user's path: `butter put FILE` on node A, `butter get ID -o FILE` on
# node B, two `butter run` processes on loopback (encrypted, as nodes run by default). B does not
# hold the object (replicas = 1), so every byte crosses A -> B over the transport, then B's HTTP
# API -> the CLI -> the file. Prints one JSON line:
#   {"impl":"butter-cli","mib":..,"put_mib_s":..,"get_mib_s":..,"cli_peak_rss_kib":..,
#    "node_peak_rss_kib":..,"node_rss_before_kib":..}
# cli_peak_rss_kib is the `butter get` process's max RSS (getrusage via /usr/bin/time; -1 when
# that tool is missing); node_peak_rss_kib is the reading node's VmHWM from /proc.
# usage: butter-cli-transfer [MIB]   (default 1024; env BUTTER_BENCH_TMP: where the temp dir goes,
#        BUTTER_BENCH_RUN_ARGS: extra options for both `butter run`, e.g. "--threads 1")
set -euo pipefail
bin="$(cd "$(dirname "$0")" && pwd)"
mib=${1:-1024}
[[ "$mib" =~ ^[0-9]+$ && "$mib" -ge 1 ]] || { echo "butter-cli-transfer: MIB must be a positive integer, got '$mib'" >&2; exit 2; }
butter="$bin/butter"
tmp=$(mktemp -d "${BUTTER_BENCH_TMP:-${TMPDIR:-/tmp}}/butter-cli-transfer.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

now() { date +%s.%N; }
# On failure the nodes' last log lines say why (the temp dir goes with the exit).
fail() {
  echo "butter-cli-transfer: $*" >&2
  for n in a b; do [ -f "$tmp/$n.log" ] && { echo "--- node $n log (last 15 lines)" >&2; tail -15 "$tmp/$n.log" >&2; }; done
  exit 1
}

# Starts `butter run` on a manifest; waits (bounded) for its "running; listening on ..." line and
# sets $endpoint, $http and $pid.
start_node() {
  local name=$1 extra=$2 log="$tmp/$1.log"
  cat >"$tmp/$name.toml" <<EOF
[node]
name = "$name"
listen = ["tcp://127.0.0.1:0"]
http = "127.0.0.1:0"
log_level = "info"
$extra
# A node keeps its peers (probes, redials), as real nodes do: without it the reader stopped finding
# the holder's objects about a minute after connecting (a get 60 s after the put found nothing).
[plugins.peers]
plugin = "butter.knownhosts.quality"
[plugins.storage]
plugin = "butter.storage.pcg"
[plugins.storage.config]
replicas = 1
capacity_bytes = $(( (mib + 64) * 1048576 ))
peer_quota_bytes = $(( (mib + 64) * 1048576 ))
EOF
  "$butter" run ${BUTTER_BENCH_RUN_ARGS:-} "$tmp/$name.toml" >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  local line=""
  for _ in $(seq 1 200); do
    line=$(grep -m1 ' running; listening on ' "$log" || true)
    [ -n "$line" ] && break
    kill -0 "$pid" 2>/dev/null || fail "node $name exited: $(tail -5 "$log")"
    sleep 0.05
  done
  [ -n "$line" ] || fail "node $name did not start within 10 s: $(tail -5 "$log")"
  endpoint=$(sed -E 's/.*listening on (tcp:\/\/[^;]+);.*/\1/' <<<"$line")
  http=$(sed -E 's/.*status at (http:\/\/[^/]+)\/status.*/\1/' <<<"$line")
}

start_node a ""
a_endpoint=$endpoint a_http=$http
start_node b "bootstrap = [\"$a_endpoint\"]"
b_http=$http b_pid=$pid

# B's /status (bash's /dev/tcp: no curl needed).
status_of() {
  local hp=${1#http://}
  exec 3<>"/dev/tcp/${hp%:*}/${hp#*:}" || return 1
  printf 'GET /status HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$hp" >&3
  timeout 5 cat <&3
  exec 3<&-
}
# The get must not race B's bootstrap dial to A (a small put ends within a tenth of a second, and a
# loaded machine was seen to start the get before B knew anyone): wait, bounded, for a peer.
connected=""
for _ in $(seq 1 200); do
  if status_of "$b_http" 2>/dev/null | grep -q '"how"'; then connected=1; break; fi
  sleep 0.05
done
[ -n "$connected" ] || fail "node b connected to no peer within 10 s"

head -c $(( mib * 1048576 )) /dev/urandom >"$tmp/in.bin"

t0=$(now)
id=$("$butter" put "$tmp/in.bin" --node "$a_http" 2>"$tmp/put.err") || fail "put failed: $(tail -3 "$tmp/put.err")"
t1=$(now)
[[ "$id" =~ ^[0-9a-f]{64}$ ]] || fail "put printed no object id: '$id'"

node_before=$(awk '/^VmRSS/ {print $2}' "/proc/$b_pid/status")
get=("$butter" get "$id" -o "$tmp/out.bin" --node "$b_http")
t2=$(now)
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f '%M' -o "$tmp/get.rss" "${get[@]}" 2>"$tmp/get.err" || fail "get failed: $(tail -3 "$tmp/get.err")"
  cli_rss=$(tail -1 "$tmp/get.rss")
else
  "${get[@]}" 2>"$tmp/get.err" || fail "get failed: $(tail -3 "$tmp/get.err")"
  cli_rss=-1
fi
t3=$(now)
node_peak=$(awk '/^VmHWM/ {print $2}' "/proc/$b_pid/status")
cmp -s "$tmp/in.bin" "$tmp/out.bin" || fail "the object read on node B differs from the file put on node A"

awk -v mib="$mib" -v put0="$t0" -v put1="$t1" -v get0="$t2" -v get1="$t3" -v cli="$cli_rss" -v peak="$node_peak" -v before="$node_before" 'BEGIN {
  printf "{\"impl\":\"butter-cli\",\"mib\":%d,\"put_mib_s\":%.1f,\"get_mib_s\":%.1f,\"cli_peak_rss_kib\":%d,\"node_peak_rss_kib\":%d,\"node_rss_before_kib\":%d}\n",
         mib, mib / (put1 - put0), mib / (get1 - get0), cli, peak, before }'
