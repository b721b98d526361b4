#!/usr/bin/env bash
# Runs every benchmark in build/bin (butter-bench-*), each bounded in time, and prints its table.
# BUTTER_BENCH_ONLY=REGEX runs only those whose name (without butter-bench-) matches, e.g.
# `BUTTER_BENCH_ONLY=anchors make bench`; BUTTER_BENCH_QUICK=1 asks for a short smoke run from
# the benchmarks that have one (anchors).
set -u
dir="$(cd "$(dirname "$0")" && pwd)"
status=0
for b in "$dir"/butter-bench-*; do
  [ "$(basename "$b")" = "butter-bench-all" ] && continue
  [ -x "$b" ] || continue
  if [ -n "${BUTTER_BENCH_ONLY:-}" ] && ! [[ "$(basename "$b" | sed 's/^butter-bench-//')" =~ ${BUTTER_BENCH_ONLY} ]]; then
    continue
  fi
  echo "== $(basename "$b") =="
  limit=600
  # The anchors run 3 x 2 sizes x 4 programs and 1 GiB through the CLI: minutes on a loaded machine.
  [ "$(basename "$b")" = butter-bench-anchors ] && limit=1800
  timeout "$limit" "$b" || { echo "$(basename "$b") failed"; status=1; }
  echo
done
exit $status
