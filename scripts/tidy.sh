#!/usr/bin/env bash
# tidy.sh [BUILD]: clang-tidy 14 (.clang-tidy at the root) over every host source file, and over the
# SDK's headers as the SDK's unit tests include them, from BUILD's compile_commands.json (default:
# build). Fails, naming each finding, when clang-tidy finds anything (the checks are errors).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -f "$build/compile_commands.json" ] ||
  { echo "tidy.sh: $build/compile_commands.json is missing: configure $build first (make configure)" >&2; exit 2; }
command -v run-clang-tidy-14 >/dev/null ||
  { echo "tidy.sh: run-clang-tidy-14 is missing (scripts/install-deps.sh installs clang-tidy)" >&2; exit 2; }
# Files: the host's sources, and the SDK unit tests' translation units (for sdk/include's headers;
# their own code is outside the header filter). g++'s own warning flags are unknown to clang: ignored.
run-clang-tidy-14 -p "$build" -j "$(nproc)" -quiet -header-filter '(host|sdk/include)/' \
  -extra-arg=-Wno-unknown-warning-option \
  "$(pwd)/host/" 'test-unit-sdk\.dir'
