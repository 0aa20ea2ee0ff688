#!/usr/bin/env bash
# Installs, from Debian's packages, everything the tests, tools, demo, fuzzers and benchmarks
# use. The library itself needs none of it. Idempotent: installs only what is missing.
set -euo pipefail
packages=(
  cmake g++ clang libclang-rt-14-dev pkg-config make
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  nlohmann-json3-dev libsimdjson-dev libcurl4-openssl-dev libcpp-httplib-dev
  git clang-tidy doxygen libcli11-dev
  libboost-dev libssl-dev
# PostgreSQL server and libpq: the fleet (tools/fleet, tests/fleet, bench/fleet).
# Python azure-core and aiohttp: the end-to-end benchmark's Python peers (bench/e2e).
  postgresql libpq-dev
  python3 python3-azure python3-aiohttp
)
# Node and npm for the autorest.testserver conformance test (tests/peers). Only when missing:
# Debian's npm conflicts with a Node installed from elsewhere (e.g. NodeSource's Node 20).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all build and test dependencies are present"
