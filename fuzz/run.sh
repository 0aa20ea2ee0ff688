#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang and runs each for SECONDS from a copy of its
# committed corpus (fuzz/corpus/<target>, never modified), with its dictionary.
# Fails (exit 1) on any crash, leak, timeout or invariant violation, printing the reproducer
# (path + hexdump). Usage: fuzz/run.sh [SECONDS=60]
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_TARGETS (default all four),
# FUZZ_JOBS (build parallelism, default 2), FUZZ_PARALLEL (targets run at once, default 1),
# FUZZ_MERGE=1 (merge what was found back into fuzz/corpus, minimised; off by default).
set -euo pipefail

SECS=${1:-60}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
JOBS=${FUZZ_JOBS:-2}
PARALLEL=${FUZZ_PARALLEL:-1}
TARGETS=${FUZZ_TARGETS:-"fuzz_json fuzz_headers fuzz_token fuzz_machine"}
CXX_CLANG=${FUZZ_CXX:-$(command -v clang++ || command -v clang++-14 || true)}
[ -n "$CXX_CLANG" ] || { echo "run.sh: clang++ not found" >&2; exit 2; }

mkdir -p "$BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_CXX_COMPILER="$CXX_CLANG" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAZMAPS_LRO_BUILD_FUZZERS=ON -DAZMAPS_LRO_BUILD_TESTS=OFF -DAZMAPS_LRO_BUILD_TOOLS=OFF \
  -DAZMAPS_LRO_INSTALL=OFF >"$BUILD/configure.log" 2>&1 || { cat "$BUILD/configure.log"; exit 2; }
# shellcheck disable=SC2086
cmake --build "$BUILD" -j"$JOBS" --target $TARGETS

WORK=$(mktemp -d "${TMPDIR:-/tmp}/azmaps-lro-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ARTIFACTS="$BUILD/artifacts"
mkdir -p "$ARTIFACTS"

max_len() {
  case "$1" in
    fuzz_json) echo 4096 ;;
    fuzz_headers) echo 1024 ;;
    fuzz_token) echo 2048 ;;
    *) echo 4096 ;;
  esac
}

run_one() {
  local t=$1 bin corpus log
  bin=$(find "$BUILD" -type f -name "$t" -perm -u+x | head -n1)
  [ -n "$bin" ] || { echo "$t: binary not found" >&2; return 1; }
  corpus="$WORK/corpus-$t"
  mkdir -p "$corpus" "$ARTIFACTS/$t"
  cp -r "$ROOT/fuzz/corpus/$t/." "$corpus/" 2>/dev/null || true
  log="$WORK/$t.log"
  local dict=()
  [ -f "$ROOT/fuzz/dict/$t.dict" ] && dict=(-dict="$ROOT/fuzz/dict/$t.dict")
  local rc=0
  "$bin" "$corpus" "${dict[@]}" -max_total_time="$SECS" -print_final_stats=1 -max_len="$(max_len "$t")" \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$ARTIFACTS/$t/" >"$log" 2>&1 || rc=$?
  local execs cov ft
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n1 | grep -o '[0-9]*')
  printf '%-14s execs=%-12s cov=%-6s ft=%-6s rc=%s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$rc" | tee "$WORK/$t.summary"
  if [ "$rc" -ne 0 ]; then
    echo "=== $t FAILED (exit $rc); last lines of its log:"
    tail -n 60 "$log"
    for a in "$ARTIFACTS/$t"/*; do
      [ -f "$a" ] || continue
      echo "--- reproducer: $a ($(wc -c <"$a") bytes); replay: $bin $a"
      if command -v xxd >/dev/null; then xxd "$a" | head -n 64; else od -A x -t x1z "$a" | head -n 64; fi
    done
    return 1
  fi
  if [ "${FUZZ_MERGE:-0}" = 1 ]; then
    "$bin" -merge=1 -max_len="$(max_len "$t")" "${dict[@]}" "$ROOT/fuzz/corpus/$t" "$corpus" >"$WORK/$t.merge.log" 2>&1
  fi
  return 0
}

failed=0
if [ "$PARALLEL" -le 1 ]; then
  for t in $TARGETS; do run_one "$t" || failed=1; done
else
  pids=()
  for t in $TARGETS; do
    run_one "$t" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$PARALLEL" ]; then wait "${pids[0]}" || failed=1; pids=("${pids[@]:1}"); fi
  done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
fi
echo "=== summary (${SECS}s each)"
cat "$WORK"/*.summary
exit "$failed"
