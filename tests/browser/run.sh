#!/usr/bin/env bash
# Runs one browser test script with node: refuses to skip under CI when node, playwright-core or
# Debian's chromium is missing (scripts/install-deps.sh installs them); elsewhere skips (77).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
script="$1"; shift
missing=""
command -v node >/dev/null 2>&1 || missing="node"
[ -d "$here/node_modules/playwright-core" ] || missing="$missing playwright-core (npm ci in tests/browser)"
[ -x "${BUTTER_CHROMIUM:-/usr/bin/chromium}" ] || missing="$missing chromium"
if [ -n "$missing" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "browser test: missing$missing; scripts/install-deps.sh installs them" >&2
    exit 1
  fi
  echo "browser test: skipped, missing$missing (scripts/install-deps.sh installs them)"
  exit 77
fi
exec node "$here/$script" "$@"
