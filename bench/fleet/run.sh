#!/usr/bin/env bash
# The fleet benchmark (docs/fleet.md, "Figures"): `azmaps-lro fleet work` against one PostgreSQL
# and the emulator (a separate process, azmaps-lro-emulator), both on this machine.
#
#   1. sustained polls per second and database transactions per poll (pg_stat_database
#      xact_commit delta / polls) with 1, 2 and 4 workers;
#   2. the claim query's cost with 1 M finished rows and with none (EXPLAIN (ANALYZE, BUFFERS)):
#      it reads the partial index of live rows only.
#
# Usage: bash bench/fleet/run.sh [--no-build] [--ops N] [--polls N] [--workers "1 2 4"]
#        [--fast-db] [--skip-claim] [--skip-throughput]
#   --ops N     operations per run (default 2000); each answers --polls Running polls (default
#               20) before Succeeded, with retry-after-ms 0, so the run measures the fleet, not waits
#   --fast-db   the server with fsync=off, synchronous_commit=off (default: PostgreSQL's durable
#               defaults, as a real deployment runs)
# Environment: BUILD (default build/bench-fleet, Release -O2), JOBS (default 2),
#   AZMAPS_LRO_PG_BIN (PostgreSQL's bin directory; default the newest /usr/lib/postgresql/*/bin).
# Everything listens on loopback or a Unix socket in a scratch directory and is stopped by its
# own PID at the end (also on error or Ctrl-C); the scratch directory is removed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD:-$root/build/bench-fleet}"
ops=2000 polls=20 worker_counts="1 2 4" do_build=1 fast_db=0 do_claim=1 do_tp=1
concurrency=${CONCURRENCY:-128} batch=${BATCH:-64}
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) do_build=0 ;;
    --ops) ops=$2; shift ;;
    --polls) polls=$2; shift ;;
    --workers) worker_counts=$2; shift ;;
    --fast-db) fast_db=1 ;;
    --skip-claim) do_claim=0 ;;
    --skip-throughput) do_tp=0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$do_build" = 1 ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
        -DAZMAPS_LRO_BUILD_TESTS=OFF -DAZMAPS_LRO_BUILD_TOOLS=ON \
        ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} >/dev/null
  cmake --build "$build" --target azmaps-lro azmaps-lro-emulator -j "${JOBS:-2}" >/dev/null
fi
cli="$build/tools/cli/azmaps-lro"
emulator="$build/tools/emulator/azmaps-lro-emulator"
for b in "$cli" "$emulator"; do [ -x "$b" ] || { echo "missing $b (build it, or drop --no-build)" >&2; exit 1; }; done

pgbin=${AZMAPS_LRO_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n | tail -1)}
[ -x "$pgbin/initdb" ] || { echo "no PostgreSQL server (install the Debian package postgresql)" >&2; exit 1; }

scratch=$(mktemp -d /tmp/azlro-fleet-bench-XXXXXX)
postmaster= emu_pid= worker_pids=()
cleanup() {
  for p in "${worker_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  [ -n "$emu_pid" ] && kill -TERM "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null || true
  if [ -n "$postmaster" ]; then
    kill -QUIT "$postmaster" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$postmaster" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$postmaster" 2>/dev/null || true
    wait "$postmaster" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server refuses root: as root, initdb and postgres run as `postgres` (setpriv execs, so $!
# is the postmaster itself).
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$scratch"
  as_pg=(setpriv --reuid=postgres --regid=postgres --clear-groups)
fi
"${as_pg[@]}" "$pgbin/initdb" -D "$scratch/data" -U fleet -A trust -E UTF8 --locale=C --no-sync >"$scratch/initdb.log" 2>&1 \
  || { cat "$scratch/initdb.log" >&2; exit 1; }
pgopts=(-c listen_addresses= -k "$scratch" -c max_connections=100 -c shared_buffers=256MB
        -c log_min_messages=warning -c logging_collector=off)
[ "$fast_db" = 1 ] && pgopts+=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
"${as_pg[@]}" "$pgbin/postgres" -D "$scratch/data" "${pgopts[@]}" >"$scratch/server.log" 2>&1 &
postmaster=$!
export PGHOST=$scratch PGUSER=fleet
for _ in $(seq 600); do "$pgbin/pg_isready" -q -d postgres && break; sleep 0.1; done
"$pgbin/pg_isready" -q -d postgres || { cat "$scratch/server.log" >&2; exit 1; }
sql() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$1" -c "$2"; }

key="bench-key-$RANDOM$RANDOM"
"$emulator" --port 0 --key "$key" >"$scratch/emu.out" 2>"$scratch/emu.err" &
emu_pid=$!
for _ in $(seq 600); do grep -q '^listening on ' "$scratch/emu.out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$scratch/emu.out" | head -1)
[ -n "$base" ] || { cat "$scratch/emu.err" >&2; exit 1; }

echo "# fleet benchmark: $(nproc) cores, PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}')," \
     "durability: $([ "$fast_db" = 1 ] && echo 'fsync=off synchronous_commit=off' || echo 'defaults (fsync on)')"
echo "# $ops operations per run, each 1 submit + $((polls + 2)) status polls (retry-after-ms 0), no fetch;" \
     "workers: --batch $batch --concurrency $concurrency"

if [ "$do_tp" = 1 ]; then
  printf '%-8s %10s %10s %12s %14s %12s\n' workers polls seconds "polls/s" "xact_commit" "xacts/poll"
  for w in $worker_counts; do
    dbname="bench_w$w"
    sql postgres "CREATE DATABASE $dbname" >/dev/null
    conninfo="host=$scratch user=fleet dbname=$dbname"
    "$cli" fleet --db "$conninfo" init >/dev/null
    python3 - "$base" "$ops" "$polls" >"$scratch/ops.jsonl" <<'EOF'
import json, sys
base, n, polls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    print(json.dumps({"protocol": "maps-v2", "method": "POST",
                      "url": f"{base}/mapData?api-version=2.0&scenario=succeed&running_polls={polls}&retry_after_ms=0&tag={i}",
                      "options": {"interval_s": 0.01, "no_fetch": True, "timeout_s": 3600}}))
EOF
    "$cli" fleet --db "$conninfo" submit --jsonl "$scratch/ops.jsonl" >/dev/null
    x0=$(sql "$dbname" "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
    t0=$(date +%s.%N)
    worker_pids=()
    for i in $(seq "$w"); do
      AZMAPS_KEY=$key "$cli" fleet --db "$conninfo" work --worker "b$w-$i" --batch "$batch" \
        --concurrency "$concurrency" --exit-when-idle >"$scratch/w$w-$i.log" 2>&1 &
      worker_pids+=($!)
    done
    rc=0
    for p in "${worker_pids[@]}"; do wait "$p" || rc=$?; done
    t1=$(date +%s.%N)
    worker_pids=()
    [ "$rc" = 0 ] || { echo "a worker failed ($rc):" >&2; cat "$scratch"/w"$w"-*.log >&2; exit 1; }
    sleep 1 # the workers' backends have exited: their statistics are flushed
    x1=$(sql "$dbname" "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
    done_rows=$(sql "$dbname" "SELECT count(*) FROM azlro.ops WHERE state = 'succeeded'")
    npolls=$(sql "$dbname" "SELECT coalesce(sum(polls), 0) FROM azlro.ops")
    [ "$done_rows" = "$ops" ] || { echo "only $done_rows of $ops succeeded" >&2; sql "$dbname" "SELECT state, count(*) FROM azlro.ops GROUP BY 1" >&2; exit 1; }
    awk -v w="$w" -v p="$npolls" -v t0="$t0" -v t1="$t1" -v x="$((x1 - x0))" 'BEGIN {
      s = t1 - t0; printf "%-8s %10d %10.2f %12.0f %14d %12.3f\n", w, p, s, p / s, x, x / p }'
  done
  echo "# polls: sum of the rows' poll counters (the machine's count: $ops x $((polls + 2)) expected);"
  echo "# seconds: first worker start to last worker exit (--exit-when-idle), submits included"
fi

if [ "$do_claim" = 1 ]; then
  # The claim query exactly as the worker sends it: auto_explain (PostgreSQL contrib) logs the
  # plan, with ANALYZE and BUFFERS, of every statement of the bench database; the first claim
  # (the statement with SKIP LOCKED) is printed, and the durations of all claims summarised.
  for finished in 0 1000000; do
    dbname="claim_$finished"
    conninfo="host=$scratch user=fleet dbname=$dbname"
    sql postgres "CREATE DATABASE $dbname" >/dev/null
    "$cli" fleet --db "$conninfo" init >/dev/null
    sql "$dbname" "INSERT INTO azlro.ops (protocol, method, url, state, next_at, ended_at, http_status)
                   SELECT 'maps-v2', 'POST', 'http://127.0.0.1:1/mapData?api-version=2.0&n=' || g, 'succeeded',
                          now() - interval '1 day', now() - interval '1 hour', 200
                   FROM generate_series(1, $finished) g" >/dev/null
    python3 - "$base" 1000 >"$scratch/due.jsonl" <<'EOF2'
import json, sys
base, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    print(json.dumps({"protocol": "maps-v2", "method": "POST",
                      "url": f"{base}/mapData?api-version=2.0&scenario=succeed&running_polls=0&retry_after_ms=0&tag=d{i}",
                      "options": {"interval_s": 0.01, "no_fetch": True}}))
EOF2
    "$cli" fleet --db "$conninfo" submit --jsonl "$scratch/due.jsonl" >/dev/null
    sql "$dbname" "VACUUM ANALYZE azlro.ops" >/dev/null
    size=$(sql "$dbname" "SELECT pg_size_pretty(pg_total_relation_size('azlro.ops'))")
    sql postgres "ALTER DATABASE $dbname SET session_preload_libraries = 'auto_explain'" >/dev/null
    for kv in log_min_duration=0 log_analyze=on log_buffers=on log_timing=on log_nested_statements=on; do
      sql postgres "ALTER DATABASE $dbname SET auto_explain.${kv%%=*} = '${kv#*=}'" >/dev/null
    done
    mark=$(wc -l <"$scratch/server.log")
    AZMAPS_KEY=$key "$cli" fleet --db "$conninfo" work --worker "claim" --batch "$batch" \
      --concurrency "$concurrency" --exit-when-idle >"$scratch/claim.log" 2>&1 &
    worker_pids=($!)
    wait "${worker_pids[0]}" || { echo "claim worker failed:" >&2; cat "$scratch/claim.log" >&2; exit 1; }
    worker_pids=()
    sql postgres "ALTER DATABASE $dbname RESET ALL" >/dev/null
    echo
    echo "## claim query: $finished finished rows + 1000 due ones (table and indexes: $size)"
    tail -n +"$((mark + 1))" "$scratch/server.log" | awk -v durations="$scratch/claim_ms" '
      /LOG:  duration: [0-9.]+ ms  plan:/ { if (blk != "") done(); blk = $0 "\n"; next }
      /^\t/ && blk != "" { blk = blk $0 "\n"; next }
      { if (blk != "") done(); blk = "" }
      END { if (blk != "") done(); if (n == 0) { print "no claim statement logged"; exit 1 }; printf "%s", first }
      function done() {
        if (blk ~ /SKIP LOCKED/) {
          match(blk, /duration: [0-9.]+ ms/); print substr(blk, RSTART + 10, RLENGTH - 13) + 0 >durations
          if (++n == 1) first = blk
        }
        blk = ""
      }'
    sort -n "$scratch/claim_ms" | awk '{ d[NR] = $1 } END {
      printf "claims: %d, duration median %.3f ms, max %.3f ms\n", NR, d[int((NR + 1) / 2)], d[NR] }'
    rm -f "$scratch/claim_ms"
  done
fi
