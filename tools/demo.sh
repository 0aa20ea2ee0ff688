#!/usr/bin/env bash
# The main job: install what is needed (Debian packages only), build only the azmaps-lro
# command into build/demo, and run `azmaps-lro demo`: the local emulator in-process, a v1
# operation that succeeds and a v2 operation that fails, both over real HTTP with the libcurl
# driver. Works on a fresh Debian machine as root. Exit 0 when both ended as expected.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
jobs=${JOBS:-$(nproc)}
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DAZMAPS_LRO_BUILD_TESTS=OFF -DAZMAPS_LRO_INSTALL=OFF \
      -DAZMAPS_LRO_BUILD_TOOLS=ON >/dev/null
cmake --build build/demo --target azmaps-lro -j "$jobs"
exec build/demo/tools/cli/azmaps-lro demo "$@"
