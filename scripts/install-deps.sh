#!/usr/bin/env bash
# Installs everything Butter needs to build, run and test, from Debian 12 packages.
# --if-missing: do nothing when every package is already installed (what `make` calls).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev          # Asio, Beast, DLL (header-only)
  libtomlplusplus-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  catch2
  libsodium-dev
  libssl-dev                # OpenSSL 3 libcrypto: the transport's ChaCha20-Poly1305 for large records
  libgcrypt20-dev           # libgcrypt's, where it is faster (host/transport/aead.hpp)
  clang libclang-rt-14-dev  # `make fuzz`: libFuzzer and the sanitizer runtimes for clang
  clang-format              # `make format` / `make format-check` (.clang-format)
  clang-tidy                # `make tidy` (.clang-tidy, scripts/tidy.sh)
  mold                      # links several times faster than ld.bfd (CMakeLists.txt: BUTTER_MOLD)
  libsqlite3-dev            # pcg-storage persistence (plugins/pcg-storage/README.md)
  iproute2 nftables iputils-ping procps   # network-namespace test bed
  iptables libnetfilter-queue-dev         # its faults without sch_netem (tests/tools/netfault)
)

# Browser tests (tests/browser): Debian's chromium, and node with npm unless one is installed.
packages+=(chromium)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

# playwright-core for the browser tests, pinned by tests/browser/package-lock.json (npm registry).
install_browser_modules() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
  if [ -f "$dir/package-lock.json" ] && [ ! -d "$dir/node_modules/playwright-core" ] && command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm ci in tests/browser"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${1:-}" = "--if-missing" ] && [ ${#missing[@]} -eq 0 ]; then
  install_browser_modules
  exit 0
fi
if [ ${#missing[@]} -eq 0 ]; then
  install_browser_modules
  echo "install-deps: everything is installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
install_browser_modules
