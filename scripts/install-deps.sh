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
  iproute2 nftables iputils-ping procps   # network-namespace test bed
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${1:-}" = "--if-missing" ] && [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ ${#missing[@]} -eq 0 ]; then
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
