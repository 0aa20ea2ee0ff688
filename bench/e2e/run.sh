#!/usr/bin/env bash
# End-to-end benchmark (docs/performance.md, "End to end"): builds the emulator and our client
# lro_e2e_client (Release, -O2) in build/bench-e2e, installs the JavaScript peers with npm into
# bench/e2e/node/node_modules (git-ignored), then runs bench/e2e/run.py, which prints one table.
#   bash bench/e2e/run.sh            # N = 1, 200, 1000, 2000 (+ 10000 for ours), median of 3
#   bash bench/e2e/run.sh --quick    # N = 1, 200, one run each
# Other arguments go to run.py (--counts, --reps, --clients, --markdown FILE, --json FILE...).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$root/tools/setup.sh"
build="${E2E_BUILD:-$root/build/bench-e2e}"
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DAZMAPS_LRO_BUILD_BENCH=ON -DAZMAPS_LRO_BUILD_TESTS=OFF -DAZMAPS_LRO_BUILD_TOOLS=ON \
      "${launcher[@]}" >/dev/null
cmake --build "$build" --target azmaps-lro-emulator -j "${JOBS:-2}"
ours="" why="lro_e2e_client not built"
if cmake --build "$build" --target lro_e2e_client -j "${JOBS:-2}" >/dev/null 2>&1; then
  ours="$(find "$build" -name lro_e2e_client -type f -perm -u+x | head -n 1)"
else
  why="lro_e2e_client not built: no such target in this tree, or it failed to build"
fi
exec /usr/bin/python3 "$root/bench/e2e/run.py" --emulator "$build/tools/emulator/azmaps-lro-emulator" \
     --ours "$ours" --ours-missing-reason "$why" --ours-describe "(Release -O2, libcurl multi/easy)" "$@"
