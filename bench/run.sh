#!/usr/bin/env bash
# bench/run.sh - side-by-side benchmark: direct PostgreSQL vs PgBouncer vs sluice (workers=1 and
# workers=N), transaction pooling, pool size 20 (issue 3, item 9).
#
# One run builds sluice if needed, starts a throw-away PostgreSQL, PgBouncer and two sluice daemons
# on free loopback ports with equivalent configs, runs pgbench against each in turn, reads each
# pooler's CPU time and peak RSS from /proc, and prints a markdown table with ratios to PgBouncer
# (saved to bench/results/latest.md, raw numbers in bench/results/latest.json). Everything it
# starts is stopped and its temp dir removed on exit. Only 127.0.0.1 is used.
#
# Exit 0 when measurements were taken; 1 if a target could not run; 2 if the setup failed.
# Knobs (BENCH_* environment variables): see bench/README.md. Method: docs/benchmarks.md.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=lib/postgres.sh
source "$HERE/lib/postgres.sh"
# shellcheck source=lib/poolers.sh
source "$HERE/lib/poolers.sh"
# shellcheck source=lib/measure.sh
source "$HERE/lib/measure.sh"

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGBOUNCER_BIN=${PGBOUNCER_BIN:-/usr/sbin/pgbouncer}
PGBENCH=${PGBENCH:-$PGBIN/pgbench}
[[ -x $PGBENCH ]] || PGBENCH=$(command -v pgbench || true)

DUR=${BENCH_SECONDS:-20}                  # each -S and -M extended run
CDUR=${BENCH_CONNECT_SECONDS:-$DUR}       # each -C (connect per transaction) run; 0 = skip
CLIENTS=${BENCH_CLIENTS:-50}
THREADS=${BENCH_THREADS:-10}
POOL=${BENCH_POOL_SIZE:-20}
POOL_MODE=${BENCH_POOL_MODE:-transaction}
SCALE=${BENCH_SCALE:-10}
IDLE_N=${BENCH_IDLE_CLIENTS:-5000}        # 0 = skip the idle-clients test
IDLE_SLEEP=${BENCH_IDLE_SLEEP:-15}
WARMUP=${BENCH_WARMUP:-3}
REPEAT=${BENCH_REPEAT:-1}                 # rounds of all throughput runs; the report shows medians
AUTH=${BENCH_AUTH:-md5}                   # md5 or trust (client side of the poolers)
RUN_USER=${BENCH_USER:-postgres}          # non-root user that runs postgres and the poolers
NCORES=$(nproc)
WORKERS_N=${BENCH_WORKERS_N:-$NCORES}     # the "sluice workers=N" target
RESULTS_DIR=${BENCH_RESULTS_DIR:-$HERE/results}
ALL_TESTS="select-only connect extended prepared"
TESTS_SEL=${BENCH_TESTS:-$ALL_TESTS}      # which throughput tests run (names as in ALL_TESTS)
NOFILE=${BENCH_NOFILE:-20000}

DB=bench
DBUSER=bench
DBPASS=benchpw

# has_test NAME: NAME is among the tests BENCH_TESTS selects (space- or comma-separated)
has_test() { [[ " ${TESTS_SEL//,/ } " == *" $1 "* ]]; }

# ---------------------------------------------------------------- preconditions
for t in ${TESTS_SEL//,/ }; do
  [[ " $ALL_TESTS " == *" $t "* ]] || die "BENCH_TESTS: unknown test '$t' (known: $ALL_TESTS)"
done
[[ -x $PGBOUNCER_BIN ]] || die "pgbouncer not found at $PGBOUNCER_BIN (apt-get install pgbouncer)"
[[ -x $PGBIN/postgres ]] || die "PostgreSQL binaries not found in $PGBIN (apt-get install postgresql-15)"
[[ -n $PGBENCH ]] || die "pgbench not found"
for t in ss python3 timeout setpriv; do command -v "$t" >/dev/null || die "$t not found"; done

if [[ $(id -u) == 0 ]]; then
  id "$RUN_USER" >/dev/null 2>&1 || die "user $RUN_USER does not exist (set BENCH_USER)"
  AS_USER=(setpriv --reuid="$RUN_USER" --regid="$(id -g "$RUN_USER")" --init-groups --)
else
  RUN_USER=$(id -un)
  AS_USER=()
fi
as_user() { "${AS_USER[@]}" "$@"; }

ulimit -n "$NOFILE" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [[ $IDLE_N -gt 0 && $(ulimit -n) -lt $((IDLE_N + 500)) ]]; then
  log "warning: open-files limit $(ulimit -n) is low for $IDLE_N idle clients"
fi

# ---------------------------------------------------------------- temp dir, cleanup
T=$(mktemp -d /tmp/sluice-bench.XXXXXX) || die "mktemp failed"
chmod 755 "$T"
[[ $(id -u) == 0 ]] && chown "$RUN_USER" "$T"
PIDS_TO_KILL=()
PG_STARTED=0

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS_TO_KILL[@]}"; do [[ -n $p ]] && kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS_TO_KILL[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  pg_stop
  # keep the logs next to the results (gitignored), then remove the temp dir
  if [[ -d $RESULTS_DIR ]]; then
    mkdir -p "$RESULTS_DIR/logs" && rm -f "$RESULTS_DIR/logs/"*
    cp "$T"/*.log "$T"/*.err "$T"/*.out "$T"/*.ini "$RESULTS_DIR/logs/" 2>/dev/null
    cp "$T/pgdata/log/"* "$RESULTS_DIR/logs/" 2>/dev/null
  fi
  if [[ ${BENCH_KEEP_TMP:-0} == 1 ]]; then log "temp dir kept: $T"; else rm -rf "$T"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

mkdir -p "$RESULTS_DIR"
RESULTS_JSONL="$T/results.jsonl"
: >"$RESULTS_JSONL"
FAILURES=()

sluice_locate
sluice_make_reachable
log "sluice: $SLUICE_BIN (build type: ${SLUICE_BUILD_TYPE:-unknown})"

# ---------------------------------------------------------------- targets and ports
POOLERS=(pgbouncer sluice1)
declare -A WORKERS_OF=([sluice1]=1)
declare -A LABEL_OF=([direct]="direct" [pgbouncer]="pgbouncer" [sluice1]="sluice workers=1")
if [[ $WORKERS_N != 1 ]]; then
  POOLERS+=(sluiceN); WORKERS_OF[sluiceN]=$WORKERS_N; LABEL_OF[sluiceN]="sluice workers=$WORKERS_N"
fi
read -r PGPORT p1 p2 p3 <<<"$(free_ports 4)"
[[ -n $p3 ]] || die "could not pick free ports"
declare -A PORT_OF=([direct]=$PGPORT [pgbouncer]=$p1 [sluice1]=$p2 [sluiceN]=$p3)
declare -A PID_OF=([direct]="")
log "ports: postgres=$PGPORT pgbouncer=$p1 sluice1=$p2 sluiceN=$p3; temp dir $T"

export PGPASSWORD=$DBPASS PGUSER=$DBUSER PGDATABASE=$DB PGHOST=127.0.0.1 PGCONNECT_TIMEOUT=10 PGSSLMODE=disable
unset PGSERVICE PGOPTIONS PGAPPNAME

# ---------------------------------------------------------------- PostgreSQL, poolers
pg_setup
write_configs
for t in "${POOLERS[@]}"; do
  start_pooler "$t" || FAILURES+=("$t did not start")
done

TARGETS=(direct)
for t in "${POOLERS[@]}"; do
  [[ -n ${PID_OF[$t]} ]] || continue
  if out=$(timeout 20 "$PGBIN/psql" -X -h 127.0.0.1 -p "${PORT_OF[$t]}" -qAtc 'select 1' 2>&1) && [[ $out == 1 ]]; then
    TARGETS+=("$t")
  else
    log "$t: sanity query failed: $out"; FAILURES+=("$t: sanity query 'select 1' failed: $out"); PID_OF[$t]=""
  fi
done
log "targets: ${TARGETS[*]}"

# ---------------------------------------------------------------- throughput runs
if [[ $WARMUP -gt 0 ]]; then
  for t in "${TARGETS[@]}"; do
    timeout -k 5 $((WARMUP + 60)) "$PGBENCH" -h 127.0.0.1 -p "${PORT_OF[$t]}" -n -S -c "$POOL" -j 2 -T "$WARMUP" "$DB" \
      >"$T/warmup-$t.out" 2>&1 || log "warm-up on $t failed: $(tail -2 "$T/warmup-$t.out" | tr '\n' ' ')"
  done
fi

# name|seconds|pgbench arguments, for the tests BENCH_TESTS selects.
# -M prepared: one pgbench thread per client (-j = -c). pgbench 15 prepares a client's statements
# synchronously (PQprepare) inside its thread, and with several clients per thread it deadlocks
# behind a transaction pooler, PgBouncer included (issue 8). PgBouncer before 1.21 does not
# support protocol-level prepared statements in transaction mode, so its run is expected to fail
# (pgbench exits 2 on "does not exist", or carries on after "already exists" errors: both are a
# failed run, see run_one): the report then shows the error pgbench printed instead of figures,
# and gives that test's tps ratios relative to direct PostgreSQL.
TESTS=()
has_test select-only && TESTS+=("select-only|$DUR|-S -c $CLIENTS -j $THREADS")
has_test connect && [[ $CDUR -gt 0 ]] && TESTS+=("select-only -C|$CDUR|-S -C -c $CLIENTS -j $THREADS")
has_test extended && TESTS+=("select-only -M extended|$DUR|-S -M extended -c $CLIENTS -j $THREADS")
has_test prepared && TESTS+=("select-only -M prepared|$DUR|-S -M prepared -c $CLIENTS -j $CLIENTS")

# Targets take turns within each test, and with BENCH_REPEAT > 1 whole rounds repeat, so a burst
# of load from elsewhere on the machine hits one run of each, not all runs of one target.
for ((round = 1; round <= REPEAT; round++)); do
  [[ $REPEAT -gt 1 ]] && log "round $round of $REPEAT"
  for spec in "${TESTS[@]}"; do
    IFS='|' read -r name dur args <<<"$spec"
    for t in "${TARGETS[@]}"; do
      [[ $t == direct || -n ${PID_OF[$t]} ]] || continue
      # shellcheck disable=SC2086
      ROUND=$round run_one "$name" "$t" "$dur" $args
    done
  done
done

# ---------------------------------------------------------------- idle clients
if [[ $IDLE_N -gt 0 ]]; then
  for t in "${POOLERS[@]}"; do
    [[ -n ${PID_OF[$t]} ]] && idle_one "$t"
  done
fi

# ---------------------------------------------------------------- pooler log scan
for t in "${POOLERS[@]}"; do
  cnt=$(cat "$T/$t.log" "$T/$t.err" 2>/dev/null | grep -cE 'ERROR|FATAL|WARNING|PANIC|abort|terminate')
  emit kind=log target="$t" error_lines="$cnt"
  if [[ $cnt -gt 0 ]]; then
    log "$t log has $cnt ERROR/FATAL/WARNING lines, first ones:"
    cat "$T/$t.log" "$T/$t.err" 2>/dev/null | grep -E 'ERROR|FATAL|WARNING|PANIC|abort|terminate' | head -5 | sed 's/^/    /' >&2
  fi
done

# ---------------------------------------------------------------- report
printf '%s\n' "${FAILURES[@]:-}" >"$T/failures.txt"
labels=$(for t in direct "${POOLERS[@]}"; do printf '%s:%s;' "$t" "${LABEL_OF[$t]}"; done)
emit kind=meta date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" host_cores="$NCORES" kernel="$(uname -r)" \
     cpu_model="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
     mem_total_kb="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)" \
     postgres="$("$PGBIN/postgres" --version)" pgbouncer="$("$PGBOUNCER_BIN" --version | head -1)" \
     pgbench="$("$PGBENCH" --version)" \
     sluice="$("$SLUICE_BIN" --version 2>&1 | head -1)" \
     sluice_git="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- core plugins sdk 2>/dev/null || echo '+dirty')" \
     sluice_build_type="$SLUICE_BUILD_TYPE" sluice_bin="$SLUICE_BIN" workers_n="$WORKERS_N" labels="$labels" \
     pool_mode="$POOL_MODE" scale="$SCALE" pool_size="$POOL" auth="$AUTH" clients="$CLIENTS" threads="$THREADS" \
     seconds="$DUR" connect_seconds="$CDUR" repeat="$REPEAT" idle_clients="$IDLE_N" clk_tck="$CLK_TCK" \
     tests="$(printf '%s;' "${TESTS[@]%%|*}")"

python3 "$HERE/report.py" "$RESULTS_JSONL" "$T/failures.txt" "$RESULTS_DIR/latest.json" "$RESULTS_DIR/latest.md" \
  || die "report generation failed"
cat "$RESULTS_DIR/latest.md"

# non-zero only if something could not run: no throughput number at all, or a pooler that did
# not start / could not answer a query. Slow or erroring runs are results, not failures.
grep -q '"kind": "throughput"' "$RESULTS_JSONL" || exit 1
for f in "${FAILURES[@]:-}"; do
  case $f in *"did not start"* | *"sanity query"*) exit 1 ;; esac
done
exit 0
