#!/usr/bin/env bash
# bench/profile.sh - where does each pooler spend CPU per transaction? Same setup as bench/run.sh
# (throw-away PostgreSQL, PgBouncer, sluice workers=1 and workers=N, transaction mode, pool 20),
# then for each pooler, under `pgbench -n -S -c 50 -j 10` (PROFILE_PGBENCH_ARGS="-S -C" profiles a new
# connection per transaction instead):
#   0. the syscall sequence of 3 transactions of one client: `strace -f -p PID` (<pooler>.strace-seq.txt);
#   1. syscalls per transaction: `strace -c -f -p PID` attached for a fixed-size run
#      (-t PROFILE_TX_PER_CLIENT per client), so counts divide by an exact transaction count;
#   2. context switches and CPU per transaction: `perf stat -e task-clock,context-switches` for a
#      fixed-size run;
#   3. a CPU profile: `perf record -e cpu-clock -g -p PID` for PROFILE_SECONDS during a -T run
#      (DWARF call graphs for sluice, frame pointers for the rest), then `perf report` summaries.
# Output in bench/results/profile/ (gitignored, like logs/): summary.md, <pooler>.strace.txt,
# <pooler>.perf-stat.csv, <pooler>.perf.data and perf report summaries <pooler>.perf-{dso,self,
# children,callers}.txt. Knobs: PROFILE_SECONDS (10), PROFILE_TX_PER_CLIENT (200),
# PROFILE_TARGETS ("pgbouncer sluice1 sluiceN"), plus bench/run.sh's BENCH_* and SLUICE_BIN.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=lib/postgres.sh
source "$HERE/lib/postgres.sh"
# shellcheck source=lib/poolers.sh
source "$HERE/lib/poolers.sh"

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGBOUNCER_BIN=${PGBOUNCER_BIN:-/usr/sbin/pgbouncer}
PGBENCH=${PGBENCH:-$PGBIN/pgbench}
POOL=${BENCH_POOL_SIZE:-20}
POOL_MODE=${BENCH_POOL_MODE:-transaction}
SCALE=${BENCH_SCALE:-10}
AUTH=${BENCH_AUTH:-md5}
IDLE_N=0
RUN_USER=${BENCH_USER:-postgres}
WORKERS_N=${BENCH_WORKERS_N:-$(nproc)}
SECS=${PROFILE_SECONDS:-10}
TXPC=${PROFILE_TX_PER_CLIENT:-200}
OUT=${PROFILE_OUT:-$HERE/results/profile}
DB=bench DBUSER=bench DBPASS=benchpw

for t in perf strace; do command -v "$t" >/dev/null || die "$t not found (apt-get install linux-perf strace)"; done
bench_session profile 0.5
mkdir -p "$OUT"

sluice_locate
sluice_make_reachable
POOLERS=(pgbouncer sluice1 sluiceN)
declare -A WORKERS_OF=([sluice1]=1 [sluiceN]=$WORKERS_N)
read -r PGPORT p1 p2 p3 <<<"$(free_ports 4)"
declare -A PORT_OF=([pgbouncer]=$p1 [sluice1]=$p2 [sluiceN]=$p3)
declare -A PID_OF=()
declare -A STAT_LINE=()
export PGPASSWORD=$DBPASS PGUSER=$DBUSER PGDATABASE=$DB PGHOST=127.0.0.1 PGSSLMODE=disable
pg_setup
write_configs
for t in "${POOLERS[@]}"; do start_pooler "$t" || die "$t did not start"; done

ARGS=${PROFILE_PGBENCH_ARGS:--S}   # the workload: -S (default) or e.g. "-S -C"
bench() {  # bench PORT pgbench-args...
  local port=$1; shift
  # shellcheck disable=SC2086
  "$PGBENCH" -h 127.0.0.1 -p "$port" -n $ARGS -c 50 -j 10 "$@" "$DB"
}

{
  echo "# Profile: pgbench -n $ARGS -c 50 -j 10, pool_mode=$POOL_MODE, pool $POOL ($(date -u +%FT%TZ))"
  echo
  echo "| pooler | tx under strace | syscalls | syscalls/tx | top syscalls (calls/tx) |"
  echo "|---|---:|---:|---:|---|"
} >"$OUT/summary.md"

for t in ${PROFILE_TARGETS:-${POOLERS[*]}}; do
  pid=${PID_OF[$t]} port=${PORT_OF[$t]}
  log "$t (pid $pid): warm-up"
  bench "$port" -T 3 >/dev/null 2>&1

  # 0. the syscall sequence of a few transactions of one client (login included), for reading
  # shellcheck disable=SC2086
  strace -f -q -o "$OUT/$t.strace-seq.txt" -p "$pid" &
  spid=$!; PIDS_TO_KILL+=("$spid"); sleep 1
  "$PGBENCH" -h 127.0.0.1 -p "$port" -n $ARGS -c 1 -t 3 "$DB" >/dev/null 2>&1
  sleep 0.5; kill -INT "$spid"; wait "$spid" 2>/dev/null

  # 1. syscalls per transaction: exactly 50 x TXPC transactions (+ 50 logins) under strace
  log "$t: strace -c -f for $((50 * TXPC)) transactions"
  strace -c -f -q -o "$OUT/$t.strace.txt" -p "$pid" &
  spid=$!; PIDS_TO_KILL+=("$spid"); sleep 1
  bench "$port" -t "$TXPC" >"$T/strace-bench.out" 2>&1
  tx=$(awk -F': ' '/^number of transactions actually processed/ {split($2,a,"/"); print a[1]; exit}' "$T/strace-bench.out")
  kill -INT "$spid"; wait "$spid" 2>/dev/null
  # strace -c columns: % time, seconds, usecs/call, calls, [errors], syscall
  total=$(awk '$NF == "total" {print $4; exit}' "$OUT/$t.strace.txt")
  top=$(awk -v tx="$tx" '$1 ~ /^[0-9.]+$/ && $NF != "total" {printf "%s %.2f\n", $NF, $4 / tx}' "$OUT/$t.strace.txt" |
        sort -k2 -nr | head -6 | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')
  echo "| $t | $tx | $total | $(calc "round($total/$tx, 2)") | $top |" >>"$OUT/summary.md"

  # 2. context switches and CPU per transaction (software events; no PMU needed), fixed-size run
  log "$t: perf stat for $((50 * TXPC)) transactions"
  perf stat -x, -e task-clock,context-switches,cpu-migrations -p "$pid" -o "$OUT/$t.perf-stat.csv" &
  ppid=$!; PIDS_TO_KILL+=("$ppid"); sleep 1
  bench "$port" -t "$TXPC" >"$T/stat-bench.out" 2>&1
  tx2=$(awk -F': ' '/^number of transactions actually processed/ {split($2,a,"/"); print a[1]; exit}' "$T/stat-bench.out")
  kill -INT "$ppid"; wait "$ppid" 2>/dev/null
  # task-clock in ms (perf -x, prints msec), context-switches as a count
  read -r tclock cs <<<"$(awk -F, '$3 == "task-clock" {t=$1} $3 == "context-switches" {c=$1} END {print t, c}' "$OUT/$t.perf-stat.csv")"
  STAT_LINE[$t]="| $t | $tx2 | $(calc "round($tclock/$tx2*1000, 1)") | $(calc "round($cs/$tx2, 2)") |"

  # 3. perf record during a timed run
  log "$t: perf record ${SECS}s"
  cg=(--call-graph fp)
  # shellcheck disable=SC2054  # "dwarf,16384" is one argument
  [[ $t == sluice* ]] && cg=(--call-graph dwarf,16384)
  bench "$port" -T $((SECS + 4)) >"$T/perf-bench.out" 2>&1 &
  bpid=$!; PIDS_TO_KILL+=("$bpid"); sleep 2
  data=$OUT/$t.perf.data
  perf record -e cpu-clock -F 2000 "${cg[@]}" -p "$pid" -o "$data" -- sleep "$SECS" >/dev/null 2>&1
  wait "$bpid"
  squeeze() { grep -v -e '^$' -e '^# *$' | sed 's/  */ /g; s/ - - *$//'; }
  perf report -i "$data" --no-children --sort dso --stdio -g none 2>/dev/null | squeeze >"$OUT/$t.perf-dso.txt"
  perf report -i "$data" --no-children --sort dso,symbol --stdio -g none --percent-limit 0.3 \
    2>/dev/null | squeeze >"$OUT/$t.perf-self.txt"
  perf report -i "$data" --children --sort symbol --stdio -g none --percent-limit 1 \
    2>/dev/null | squeeze >"$OUT/$t.perf-children.txt"
  perf report -i "$data" --no-children --sort symbol --stdio -g caller,0.5,callee,function,percent \
    --percent-limit 3 2>/dev/null | squeeze | head -600 >"$OUT/$t.perf-callers.txt"
  log "$t: tps during perf $(awk '/^tps = / {print $3; exit}' "$T/perf-bench.out")"
done
{
  echo
  echo "| pooler | tx | pooler CPU µs/tx (perf task-clock) | context switches/tx |"
  echo "|---|---:|---:|---:|"
  for t in ${PROFILE_TARGETS:-${POOLERS[*]}}; do echo "${STAT_LINE[$t]:-| $t | n/a | | |}"; done
} >>"$OUT/summary.md"
cat "$OUT/summary.md"
log "profiles in $OUT"
