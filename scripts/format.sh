#!/usr/bin/env bash
# format.sh [--check]: formats every tracked C and C++ file with clang-format (.clang-format at the
# root). --check changes nothing and fails, naming the files, when one is not formatted: CI's check.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format.sh: clang-format is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' '*.hpp' ':!:fuzz/corpus/**')
if [ "${1:-}" = "--check" ]; then
  # --dry-run -Werror prints each place that differs and exits non-zero.
  if ! printf '%s\0' "${files[@]}" | xargs -0 -n 32 -P "$(nproc)" clang-format --dry-run -Werror --ferror-limit=3 2>/tmp/format-check.$$; then
    grep -oE '^[^: ]+:[0-9]+:[0-9]+' /tmp/format-check.$$ | cut -d: -f1 | sort -u | sed 's/^/not formatted: /' >&2
    head -40 /tmp/format-check.$$ >&2
    rm -f /tmp/format-check.$$
    echo "format.sh: run scripts/format.sh (or make format) and commit the result" >&2
    exit 1
  fi
  rm -f /tmp/format-check.$$
  echo "format.sh: ${#files[@]} files formatted as .clang-format says"
else
  printf '%s\0' "${files[@]}" | xargs -0 -n 32 -P "$(nproc)" clang-format -i
fi
