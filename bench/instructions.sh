#!/usr/bin/env bash
# bench/instructions.sh - user-space instructions per transaction of each pooler, with callgrind:
# deterministic, so not disturbed by whatever else the machine runs (docs/benchmarks.md, Profile).
# Same setup as bench/run.sh (throw-away PostgreSQL, transaction pooling, pool 20, md5). Each pooler
# is started twice under `valgrind --tool=callgrind` (callgrind_control cannot switch
# instrumentation of a process blocked in epoll_wait here: vgdb cannot interrupt it). Each time
# a warm-up (`pgbench -S -c 10 -j 2 -t 5`: 10 logins, 10 servers open), then
# `pgbench -S -c 10 -j 2 -t INSTR_TX_SHORT` in the first process and `-t INSTR_TX_LONG` in the
# second, then SIGTERM. Both processes do the same start-up, logins and shutdown, so
# (Ir of the second - Ir of the first) / (10 x (LONG - SHORT)) is what one transaction costs in
# user space (10 clients < pool size: no queueing). The janitor's ticks (3 a second, longer in the
# longer run) are the only other difference. PgBouncer's figure includes libevent and libc,
# sluice's libc, libstdc++, Boost and the plugins.
# Output: bench/results/instructions/summary.md, and per pooler the callgrind file of the longer
# process, `callgrind_annotate --inclusive=yes` of it (<pooler>.annotate.txt) and the difference
# of the two processes per function and transaction, largest first (<pooler>.per-tx.txt: inclusive;
# <pooler>.per-tx-self.txt: self cost).
# Knobs: INSTR_TARGETS ("pgbouncer sluice1"), INSTR_TX_SHORT (20), INSTR_TX_LONG (120),
# INSTR_PGBENCH_ARGS ("-S"; e.g. "-S -M extended"), INSTR_CLIENTS (10; above the pool size of 20
# clients queue for servers), INSTR_OUT.
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
SHORT=${INSTR_TX_SHORT:-20}
LONG=${INSTR_TX_LONG:-120}
ARGS=${INSTR_PGBENCH_ARGS:--S}
OUT=${INSTR_OUT:-$HERE/results/instructions}
DB=bench DBUSER=bench DBPASS=benchpw
CLIENTS=${INSTR_CLIENTS:-10}  # fewer than the pool size: no queueing

for t in valgrind callgrind_control callgrind_annotate; do
  command -v "$t" >/dev/null || die "$t not found (apt-get install valgrind)"
done
(( LONG > SHORT )) || die "INSTR_TX_LONG must be larger than INSTR_TX_SHORT"
bench_session instr 1
mkdir -p "$OUT"

sluice_locate
sluice_make_reachable
POOLERS=(pgbouncer sluice1 sluiceN)
declare -A WORKERS_OF=([sluice1]=1 [sluiceN]=$WORKERS_N)
read -r PGPORT p1 p2 p3 <<<"$(free_ports 4)"
declare -A PORT_OF=([pgbouncer]=$p1 [sluice1]=$p2 [sluiceN]=$p3)
declare -A PID_OF=()
export PGPASSWORD=$DBPASS PGUSER=$DBUSER PGDATABASE=$DB PGHOST=127.0.0.1 PGSSLMODE=disable
pg_setup
write_configs

bench() {  # bench PORT pgbench-args...
  local port=$1; shift
  # shellcheck disable=SC2086
  "$PGBENCH" -h 127.0.0.1 -p "$port" -n $ARGS -c "$CLIENTS" -j 2 "$@" "$DB"
}
processed() { awk -F': ' '/^number of transactions actually processed/ {split($2,a,"/"); print a[1]; exit}' "$1"; }
# Ir in a callgrind output file: its "summary:" (or "totals:") line.
ir_of() { awk '/^(summary|totals):/ {print $2; exit}' "$1"; }

{
  echo "# User-space instructions per transaction: pgbench -n $ARGS -c $CLIENTS -j 2, pool_mode=$POOL_MODE, pool $POOL ($(date -u +%FT%TZ))"
  echo
  echo "| pooler | Ir, process with $SHORT tx/client | Ir, process with $LONG tx/client | transactions of difference | **Ir per transaction** |"
  echo "|---|---:|---:|---:|---:|"
} >"$OUT/summary.md"

# run_counted NAME TX: start NAME under callgrind, warm up, TX transactions per client, stop; prints
# "Ir transactions" and leaves the callgrind file as $T/NAME.TX.callgrind
run_counted() {
  local t=$1 tx=$2 pid port cg=$T/$1.$2.callgrind
  POOLER_WRAPPER=(valgrind --tool=callgrind --vgdb=no "--callgrind-out-file=$cg")
  START_TRIES=600 start_pooler "$t" || die "$t did not start under valgrind"
  unset POOLER_WRAPPER
  pid=${PID_OF[$t]} port=${PORT_OF[$t]}
  bench "$port" -t 5 >"$T/warm.out" 2>&1 || die "$t: warm-up failed: $(tail -3 "$T/warm.out")"
  bench "$port" -t "$tx" >"$T/run.out" 2>&1 || die "$t: run failed: $(tail -3 "$T/run.out")"
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  [[ -s $cg ]] || die "$t: no callgrind output"
  echo "$(ir_of "$cg") $(processed "$T/run.out")"
}

for t in ${INSTR_TARGETS:-pgbouncer sluice1}; do
  log "$t: under callgrind, $SHORT then $LONG transactions per client"
  read -r s_ir s_tx <<<"$(run_counted "$t" "$SHORT")" || exit 2
  read -r l_ir l_tx <<<"$(run_counted "$t" "$LONG")" || exit 2
  (( s_tx == CLIENTS * SHORT && l_tx == CLIENTS * LONG )) || die "$t: runs processed $s_tx/$l_tx transactions"
  per=$(calc "round(($l_ir - $s_ir) / ($l_tx - $s_tx))")
  cp "$T/$t.$LONG.callgrind" "$OUT/$t.callgrind.out"
  callgrind_annotate --inclusive=yes --threshold=100 "$T/$t.$SHORT.callgrind" >"$T/$t.short.annotate.txt" 2>/dev/null
  callgrind_annotate --inclusive=yes --threshold=100 "$T/$t.$LONG.callgrind" >"$OUT/$t.annotate.txt" 2>/dev/null
  python3 "$HERE/lib/callgrind_diff.py" "$T/$t.short.annotate.txt" "$OUT/$t.annotate.txt" \
    "$((l_tx - s_tx))" 60 >"$OUT/$t.per-tx.txt"
  # The same difference by self cost: where the instructions themselves are.
  callgrind_annotate --inclusive=no --auto=no --threshold=100 "$T/$t.$SHORT.callgrind" >"$T/$t.short.self.txt" 2>/dev/null
  callgrind_annotate --inclusive=no --auto=no --threshold=100 "$T/$t.$LONG.callgrind" >"$T/$t.long.self.txt" 2>/dev/null
  python3 "$HERE/lib/callgrind_diff.py" "$T/$t.short.self.txt" "$T/$t.long.self.txt" \
    "$((l_tx - s_tx))" 80 >"$OUT/$t.per-tx-self.txt"
  echo "| $t | $s_ir | $l_ir | $((l_tx - s_tx)) | **$per** |" >>"$OUT/summary.md"
  log "$t: $per instructions per transaction"
done
cat "$OUT/summary.md"
log "callgrind files and annotations in $OUT"
