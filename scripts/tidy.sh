#!/usr/bin/env bash
# tidy.sh [BUILD]: clang-tidy 14 (.clang-tidy at the root) over every host source file, and over the
# SDK's headers as the SDK's unit tests include them. Fails, naming each finding, when clang-tidy
# finds anything (the checks are errors).
# The compile database comes from build-tidy, configured here file by file (BUTTER_UNITY=OFF): a
# unity build's database names its batches, not the sources. A BUILD given is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-tidy}
if [ $# -eq 0 ]; then
  cmake -S . -B "$build" -G Ninja -DBUTTER_UNITY=OFF -DBUTTER_BENCH=OFF >/dev/null ||
    { echo "tidy.sh: configuring $build failed" >&2; exit 2; }
fi
grep -q '/host/.*\.cpp"' "$build/compile_commands.json" ||
  { echo "tidy.sh: $build/compile_commands.json names no host source (a unity build?)" >&2; exit 2; }
command -v run-clang-tidy-14 >/dev/null ||
  { echo "tidy.sh: run-clang-tidy-14 is missing (scripts/install-deps.sh installs clang-tidy)" >&2; exit 2; }
# Files: the host's sources, and the SDK unit tests' files for the SDK headers they include. Only
# findings in host/ and sdk/include/ count: the line filter lists those files (clang-tidy matches
# its names as path suffixes and drops findings in any file it does not list, such as the tests').
# g++'s own warning flags are unknown to clang: ignored.
filter=$(find "$(pwd)/host" "$(pwd)/sdk/include" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) |
  sed 's/.*/{"name":"&"}/' | paste -sd, -)
run-clang-tidy-14 -p "$build" -j "$(nproc)" -quiet -header-filter '(host|sdk/include)/' \
  -extra-arg=-Wno-unknown-warning-option -line-filter "[$filter]" \
  "$(pwd)/host/" "$(pwd)/tests/unit/sdk/" |
  sed '/^\(\x1b\[[0-9;]*m\)*clang-tidy-14 /d'  # each file's command line (long, no news), coloured or not
