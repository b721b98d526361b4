#!/usr/bin/env bash
# Runs every benchmark in build/bin (butter-bench-*), each bounded in time, and prints its table.
set -u
dir="$(cd "$(dirname "$0")" && pwd)"
status=0
for b in "$dir"/butter-bench-*; do
  [ "$(basename "$b")" = "butter-bench-all" ] && continue
  [ -x "$b" ] || continue
  echo "== $(basename "$b") =="
  timeout 600 "$b" || { echo "$(basename "$b") failed"; status=1; }
  echo
done
exit $status
