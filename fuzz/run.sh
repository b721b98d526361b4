#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets (clang, ASan + UBSan) in $FUZZ_BUILD and runs each for
# $FUZZ_SECONDS on a copy of its seed corpus (fuzz/corpus/<target>/ is never written), then prints
# one row per target: inputs executed, new corpus units, crashes. Exits 1 on any crash, timeout, leak
# or out-of-memory, leaving the input in $FUZZ_BUILD/crashes/ (reproduce: $FUZZ_BUILD/bin/fuzz-<target> FILE).
#
#   FUZZ_SECONDS=60     per target
#   FUZZ_BUILD=build-fuzz
#   FUZZ_TARGETS="frame hello"   a subset (default: every target in fuzz/CMakeLists.txt)
#   FUZZ_MAX_LEN=4096   longest input tried
#   JOBS=$(nproc)       build parallelism, and how many targets fuzz at once
set -uo pipefail
cd "$(dirname "$0")/.."
build=${FUZZ_BUILD:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
max_len=${FUZZ_MAX_LEN:-4096}
jobs=${JOBS:-$(nproc)}

if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBUTTER_FUZZ=ON -DBUTTER_TESTS=OFF -DBUTTER_BENCH=OFF || exit 1
fi
cmake --build "$build" -j "$jobs" --target butter_fuzzers || exit 1

targets=${FUZZ_TARGETS:-$(cat "$build/fuzz/targets.txt")}
work="$build/fuzz-work"
logs="$build/fuzz-logs"
crashes="$build/crashes"
rm -rf "$work" "$logs"
mkdir -p "$work" "$logs" "$crashes"
# Leaks count as failures; a sanitizer report aborts so that libFuzzer keeps the input.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# One target: runs it and writes its row ("name runs new crashes") to $logs/<target>.row; the
# row's crash count is 1 or more when it failed.
run_one() {
  local t=$1 bin="$build/bin/fuzz-$1" seeds before rc runs new found
  if [ ! -x "$bin" ]; then
    echo "fuzz: no target $t" >&2
    echo "$t ? ? 1" >"$logs/$t.row"
    return
  fi
  mkdir -p "$work/$t"
  [ -d "fuzz/corpus/$t" ] && cp fuzz/corpus/"$t"/* "$work/$t/" 2>/dev/null
  seeds=$(ls "$work/$t" | wc -l)
  before=$(ls "$crashes" | grep -c "^$t-" || true)
  echo "fuzz: $t for ${seconds}s ($seeds seeds)"
  # Artifacts are named <target>-...: parallel targets never count each other's.
  "$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes/$t-" "$work/$t" >"$logs/$t.log" 2>&1
  rc=$?
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$logs/$t.log" | tail -1)
  new=$(awk '/stat::new_units_added/ {print $2}' "$logs/$t.log" | tail -1)
  found=$(( $(ls "$crashes" | grep -c "^$t-" || true) - before ))
  if [ "$rc" -ne 0 ] && [ "$found" -eq 0 ]; then found=1; fi  # died without an artifact: still a failure
  if [ "$found" -ne 0 ]; then
    echo "fuzz: $t FAILED (exit $rc); log $logs/$t.log; inputs:" >&2
    ls "$crashes" | grep "^$t-" | sed "s|^|  $crashes/|" >&2
    grep -m 3 -E "ERROR|FUZZ_CHECK|runtime error|SUMMARY" "$logs/$t.log" | sed 's/^/  /' >&2
  fi
  echo "$t ${runs:-?} ${new:-?} $found" >"$logs/$t.row"
}

# Targets run $jobs at a time (each is one process on one core), so CI's two cores fuzz two.
running=0
for t in $targets; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
wait

rows=()
failed=0
passed=0
broken=0
total_runs=0
for t in $targets; do
  read -r name runs new found <"$logs/$t.row"
  if [ "$found" -ne 0 ]; then
    failed=1
    broken=$((broken + 1))
  else
    passed=$((passed + 1))
  fi
  [ "$runs" != "?" ] && total_runs=$((total_runs + runs))
  rows+=("$(printf '%-22s %12s %8s %10s %8s' "$name" "$runs" "${seconds}s" "$new" "$found")")
done

echo
printf '%-22s %12s %8s %10s %8s\n' target runs time new-units crashes
for r in "${rows[@]}"; do echo "$r"; done
printf '%-22s %12s\n' total "$total_runs"
[ "$failed" -ne 0 ] && echo "fuzz: crashing inputs in $crashes/ (reproduce: $build/bin/fuzz-<target> FILE)" >&2
echo "fuzz: $passed passed, $broken failed"
exit "$failed"
