#!/usr/bin/env bash
# Builds the benchmarks (Release, -O2) in build/bench and runs them: the poll-step comparison
# (5 repetitions, medians) and the one-million-operations scale run. docs/performance.md
# explains the numbers. Extra arguments go to lro_bench (e.g. --benchmark_filter=BM_ours).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/tools/setup.sh"
build="$root/build/bench"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DAZMAPS_LRO_BUILD_BENCH=ON -DAZMAPS_LRO_BUILD_TESTS=OFF -DAZMAPS_LRO_BUILD_TOOLS=OFF >/dev/null
cmake --build "$build" --target lro_bench lro_scale -j "${JOBS:-2}"
"$build/bench/lro_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_counters_tabular=true "$@"
"$build/bench/lro_scale"
# The end-to-end table (bench/e2e/run.sh; docs/performance.md, "End to end"); E2E=0 skips it, E2E_ARGS passes options (e.g. --quick).
[ "${E2E:-1}" = 0 ] || bash "$root/bench/e2e/run.sh" ${E2E_ARGS:-}
# The fleet benchmark (PostgreSQL + the emulator + worker processes; docs/fleet.md) has its own
# script and build tree: FLEET=1 runs it here too.
if [ "${FLEET:-0}" = 1 ]; then bash "$root/bench/fleet/run.sh"; fi
