#!/usr/bin/env bash
# bench/profile.sh - where does each pooler spend CPU per transaction? Same setup as bench/run.sh
# (throw-away PostgreSQL, PgBouncer, sluice workers=1 and workers=N, transaction mode, pool 20),
# then for each pooler, under `pgbench -n -S -c 50 -j 10`:
#   1. syscalls per transaction: `strace -c -f -p PID` attached for a fixed-size run
#      (-t PROFILE_TX_PER_CLIENT per client), so counts divide by an exact transaction count;
#   2. a CPU profile: `perf record -e cpu-clock -g -p PID` for PROFILE_SECONDS during a -T run
#      (DWARF call graphs for sluice, frame pointers for the rest), then `perf report` summaries.
# Output: bench/results/profile/<pooler>.{strace,perf-self,perf-children,perf-callers}.txt and
# summary.md (gitignored, like logs/). Knobs: PROFILE_SECONDS (10), PROFILE_TX_PER_CLIENT (200),
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
if [[ $(id -u) == 0 ]]; then
  AS_USER=(setpriv --reuid="$RUN_USER" --regid="$(id -g "$RUN_USER")" --init-groups --)
else
  RUN_USER=$(id -un); AS_USER=()
fi
as_user() { "${AS_USER[@]}" "$@"; }
ulimit -n 20000 2>/dev/null || true

T=$(mktemp -d /tmp/sluice-profile.XXXXXX) || die "mktemp failed"
chmod 755 "$T"; [[ $(id -u) == 0 ]] && chown "$RUN_USER" "$T"
PIDS_TO_KILL=(); PG_STARTED=0
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS_TO_KILL[@]}"; do [[ -n $p ]] && kill -TERM "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${PIDS_TO_KILL[@]}"; do [[ -n $p ]] && kill -KILL "$p" 2>/dev/null; done
  pg_stop
  rm -rf "$T"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
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
for t in "${POOLERS[@]}"; do start_pooler "$t" || die "$t did not start"; done

bench() {  # bench PORT pgbench-args...
  local port=$1; shift
  "$PGBENCH" -h 127.0.0.1 -p "$port" -n -S -c 50 -j 10 "$@" "$DB"
}

{
  echo "# Profile: pgbench -n -S -c 50 -j 10, pool_mode=$POOL_MODE, pool $POOL ($(date -u +%FT%TZ))"
  echo
  echo "| pooler | tx under strace | syscalls | syscalls/tx | top syscalls (calls/tx) |"
  echo "|---|---:|---:|---:|---|"
} >"$OUT/summary.md"

for t in ${PROFILE_TARGETS:-${POOLERS[*]}}; do
  pid=${PID_OF[$t]} port=${PORT_OF[$t]}
  log "$t (pid $pid): warm-up"
  bench "$port" -T 3 >/dev/null 2>&1

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

  # 2. perf record during a timed run
  log "$t: perf record ${SECS}s"
  cg=(--call-graph fp); [[ $t == sluice* ]] && cg=(--call-graph dwarf,16384)
  bench "$port" -T $((SECS + 4)) >"$T/perf-bench.out" 2>&1 &
  bpid=$!; PIDS_TO_KILL+=("$bpid"); sleep 2
  perf record -e cpu-clock -F 2000 "${cg[@]}" -p "$pid" -o "$T/$t.perf.data" -- sleep "$SECS" >/dev/null 2>&1
  wait "$bpid"
  perf report -i "$T/$t.perf.data" --no-children --sort dso,symbol --stdio -g none --percent-limit 0.5 \
    2>/dev/null | grep -v '^$' >"$OUT/$t.perf-self.txt"
  perf report -i "$T/$t.perf.data" --children --sort symbol --stdio -g none --percent-limit 2 \
    2>/dev/null | grep -v '^$' >"$OUT/$t.perf-children.txt"
  perf report -i "$T/$t.perf.data" --no-children --sort symbol --stdio -g caller,0.5,callee,function,percent \
    --percent-limit 3 2>/dev/null | grep -v '^$' | head -400 >"$OUT/$t.perf-callers.txt"
  log "$t: tps during perf $(awk '/^tps = / {print $3; exit}' "$T/perf-bench.out")"
done
cat "$OUT/summary.md"
log "profiles in $OUT"
