#!/usr/bin/env bash
# Every test of the project, as the README's test command and CI (.ci/run) run it:
#   1. GCC, C++17, with exceptions: unit, vector, property, end-to-end, consumer tests, and the
#      checks run once (headers alone with strict warnings under GCC and Clang, C++17/20;
#      clang-tidy; the API reference; a configure with no optional package)
#   2. Clang, C++20, -fno-exceptions -fno-rtti: the library's unit tests
#   3. GCC, C++20, -fno-exceptions -fno-rtti: the library's unit tests
#   4. Clang, C++17, ASan + UBSan: every test again
#   5. each libFuzzer harness for FUZZ_SECONDS (default 60) from its corpus
# Build trees go to build/<stage>. Set STAGES="1 4" (for example) to run a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash tools/setup.sh
jobs=${JOBS:-$(nproc)}
stages=${STAGES:-"1 2 3 4 5"}
fuzz_seconds=${FUZZ_SECONDS:-60}

run_stage() { # name, cmake args...
  local name=$1; shift
  echo "=== stage: $name"
  cmake -S "$root" -B "build/$name" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAZMAPS_LRO_REQUIRE_DEPS=ON "$@" >/dev/null
  cmake --build "build/$name" -j "$jobs"
  (cd "build/$name" && ctest --output-on-failure -j "$jobs" --timeout 900)
}

for s in $stages; do
  case $s in
    1) run_stage gcc-cxx17 -DCMAKE_CXX_COMPILER=g++ -DCMAKE_CXX_STANDARD=17 ;;
    2) run_stage clang-cxx20-noexcept -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_STANDARD=20 \
         -DAZMAPS_LRO_NO_EXCEPTIONS=ON -DAZMAPS_LRO_BUILD_TOOLS=OFF ;;
    3) run_stage gcc-cxx20-noexcept -DCMAKE_CXX_COMPILER=g++ -DCMAKE_CXX_STANDARD=20 \
         -DAZMAPS_LRO_NO_EXCEPTIONS=ON -DAZMAPS_LRO_BUILD_TOOLS=OFF ;;
    4) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
       UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
         run_stage clang-asan-ubsan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_STANDARD=17 \
         -DAZMAPS_LRO_SANITIZE=ON -DAZMAPS_LRO_RC_PARAMS=max_success=100 ;;
    5) if [ -x fuzz/run.sh ]; then echo "=== stage: fuzz ${fuzz_seconds}s each"; bash fuzz/run.sh "$fuzz_seconds"; fi ;;
    *) echo "unknown stage $s" >&2; exit 2 ;;
  esac
done
echo "=== all stages passed: $stages"
