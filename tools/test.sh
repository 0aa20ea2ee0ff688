#!/usr/bin/env bash
# Every test of the project, as the README's test command and CI (.ci/run) run it:
#   1. GCC, C++17, with exceptions: unit, vector, property, end-to-end, emulator, consumer tests,
#      the benchmark's zero-allocation check (bench_ours_zero_allocs), and the checks run once
#      (headers alone with strict warnings under GCC and Clang, C++17/20; clang-tidy; the API
#      reference; a configure with no optional package)
#   2. without exceptions (-fno-exceptions -fno-rtti), two builds: GCC C++17 and Clang C++20;
#      every test that does not itself need exceptions: unit, vector, lro-replay and fuzz-corpus
#      replay tests built without exceptions, every library and adapter header compiled on its
#      own (the consumer tests run too, built as a consumer builds them)
#      (property tests need RapidCheck, the emulator and cpp-httplib throw: those run in 1 and 4)
#   4. Clang, C++20, ASan + UBSan, assertions on (no NDEBUG; a test fails the build otherwise):
#      every test of stage 1 again but the benchmark check
#   5. each libFuzzer harness for FUZZ_SECONDS (default 60) from its corpus
# Together: C++17 and C++20, each with and without exceptions. Build trees go to build/<name>.
# (Stage 3, once the GCC C++20 no-exceptions build, is part of 2.)
# Set STAGES="1 4" (for example) to run a subset; each stage's wall time is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash tools/setup.sh
jobs=${JOBS:-$(nproc)}
stages=${STAGES:-"1 2 4 5"}
fuzz_seconds=${FUZZ_SECONDS:-60}
timings=()

build_and_test() { # name, cmake args...
  local name=$1; shift
  echo "=== build: $name"
  cmake -S "$root" -B "build/$name" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAZMAPS_LRO_REQUIRE_DEPS=ON "$@" >/dev/null
  cmake --build "build/$name" -j "$jobs"
  (cd "build/$name" && ctest --output-on-failure -j "$jobs" --timeout 900)
}

for s in $stages; do
  start=$SECONDS
  echo "=== stage $s"
  case $s in
    1) build_and_test gcc-cxx17 -DCMAKE_CXX_COMPILER=g++ -DCMAKE_CXX_STANDARD=17 -DAZMAPS_LRO_BUILD_BENCH=ON ;;
    2) build_and_test gcc-cxx17-noexcept -DCMAKE_CXX_COMPILER=g++ -DCMAKE_CXX_STANDARD=17 \
         -DAZMAPS_LRO_NO_EXCEPTIONS=ON -DAZMAPS_LRO_BUILD_TOOLS=OFF
       build_and_test clang-cxx20-noexcept -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_STANDARD=20 \
         -DAZMAPS_LRO_NO_EXCEPTIONS=ON -DAZMAPS_LRO_BUILD_TOOLS=OFF ;;
    4) # RelWithDebInfo without -DNDEBUG: the assertions (operation.hpp's enter()) stay compiled in.
       # FLEET_TEST_LEASE: sanitized workers are several times slower; with the 5 s lease of
       # stage 1 a worker's lease could lapse while its poll was in flight and another worker
       # repeat that GET before the Retry-After the first answer gave (counted as early).
       ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
       UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=suppressions=$root/tools/lsan.supp FLEET_TEST_LEASE=30s \
         build_and_test clang-cxx20-asan-ubsan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_STANDARD=20 \
         "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g" -DAZMAPS_LRO_REQUIRE_ASSERTS=ON \
         -DAZMAPS_LRO_SANITIZE=ON -DAZMAPS_LRO_RC_PARAMS=max_success=100 ;;
    5) if [ -x fuzz/run.sh ]; then echo "=== fuzz ${fuzz_seconds}s each"; bash fuzz/run.sh "$fuzz_seconds"; fi ;;
    *) echo "unknown stage $s" >&2; exit 2 ;;
  esac
  timings+=("stage $s: $((SECONDS - start)) s")
done
printf '=== %s\n' "${timings[@]}"
echo "=== all stages passed: $stages"
