#!/usr/bin/env bash
# bench/run.sh - side-by-side benchmark: direct PostgreSQL vs PgBouncer vs sluice.
#
# One run starts a throw-away PostgreSQL, PgBouncer and sluice on free loopback ports, runs
# pgbench against all three, reads each pooler's CPU time and memory from /proc, and prints a
# markdown table (also saved to bench/results/latest.md, raw numbers in bench/results/latest.json).
# Everything it starts is stopped and its temp dir removed on exit. Only 127.0.0.1 is used.
#
# Exit 0 when measurements were taken; non-zero only if something could not run.
# See bench/README.md for the knobs (BENCH_* environment variables).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")

# Default: the first optimized build found (run-local.sh makes build-release/, test.sh makes build/).
if [[ -z ${SLUICE_BIN:-} ]]; then
  for b in build-release build build-rel build-main; do
    [[ -x $ROOT/$b/core/sluice ]] && { SLUICE_BIN=$ROOT/$b/core/sluice; break; }
  done
  SLUICE_BIN=${SLUICE_BIN:-$ROOT/build/core/sluice}
fi
SLUICE_BUILD_DIR=$(cd "$(dirname "$SLUICE_BIN")/.." 2>/dev/null && pwd)
SLUICE_PLUGIN_DIR=${SLUICE_PLUGIN_DIR:-$SLUICE_BUILD_DIR/plugins}
SLUICE_WORKERS=${SLUICE_WORKERS:-0}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGBOUNCER_BIN=${PGBOUNCER_BIN:-/usr/sbin/pgbouncer}
PGBENCH=${PGBENCH:-$PGBIN/pgbench}
[ -x "$PGBENCH" ] || PGBENCH=$(command -v pgbench || true)

DUR=${BENCH_SECONDS:-20}                  # each throughput run
CDUR=${BENCH_CONNECT_SECONDS:-10}         # each -C (connect per transaction) run; 0 = skip
CLIENTS=${BENCH_CLIENTS:-50}
THREADS=${BENCH_THREADS:-10}
POOL=${BENCH_POOL_SIZE:-20}
SCALE=${BENCH_SCALE:-10}
IDLE_N=${BENCH_IDLE_CLIENTS:-5000}        # 0 = skip the idle-memory test
IDLE_SLEEP=${BENCH_IDLE_SLEEP:-15}
WARMUP=${BENCH_WARMUP:-3}
AUTH=${BENCH_AUTH:-md5}                   # md5 or trust (client side of both poolers)
RUN_USER=${BENCH_USER:-postgres}          # non-root user that runs postgres/pgbouncer/sluice
PERF_EVENT=${BENCH_PERF_EVENT:-instructions}
RESULTS_DIR=${BENCH_RESULTS_DIR:-$HERE/results}
NOFILE=${BENCH_NOFILE:-20000}

DB=bench
DBUSER=bench
DBPASS=benchpw

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 2; }

# ---------------------------------------------------------------- preconditions
[ -x "$SLUICE_BIN" ] || die "sluice binary not found at $SLUICE_BIN (build: cmake -S $ROOT -B $ROOT/build-main && cmake --build $ROOT/build-main --target sluice pool_session auth_trust auth_md5 -j2)"
[ -d "$SLUICE_PLUGIN_DIR" ] || die "plugin dir not found: $SLUICE_PLUGIN_DIR"
[ -x "$PGBOUNCER_BIN" ] || die "pgbouncer not found at $PGBOUNCER_BIN (apt-get install pgbouncer)"
[ -x "$PGBIN/postgres" ] || die "PostgreSQL binaries not found in $PGBIN"
[ -n "$PGBENCH" ] || die "pgbench not found"
for t in ss python3 timeout; do command -v "$t" >/dev/null || die "$t not found"; done

if [ "$(id -u)" = 0 ]; then
  id "$RUN_USER" >/dev/null 2>&1 || die "user $RUN_USER does not exist (set BENCH_USER)"
  AS_USER=(setpriv --reuid="$RUN_USER" --regid="$(id -g "$RUN_USER")" --init-groups --)
else
  RUN_USER=$(id -un)
  AS_USER=()
fi
as_user() { "${AS_USER[@]}" "$@"; }

ulimit -n "$NOFILE" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" -lt $((IDLE_N + 500)) ] && [ "$IDLE_N" -gt 0 ]; then
  log "warning: open-files limit $(ulimit -n) is low for $IDLE_N idle clients"
fi

# ---------------------------------------------------------------- temp dir, cleanup
T=$(mktemp -d /tmp/sluice-bench.XXXXXX) || die "mktemp failed"
chmod 755 "$T"
[ "$(id -u)" = 0 ] && chown "$RUN_USER" "$T"
PIDS_TO_KILL=()
PG_STARTED=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in "${PIDS_TO_KILL[@]}"; do
    [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
  done
  for p in "${PIDS_TO_KILL[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  if [ "$PG_STARTED" = 1 ]; then
    as_user "$PGBIN/pg_ctl" -D "$T/pgdata" -m immediate -w stop >/dev/null 2>&1
  fi
  # keep the logs next to the results, then remove the temp dir
  if [ -d "$RESULTS_DIR" ]; then
    mkdir -p "$RESULTS_DIR/logs" && rm -f "$RESULTS_DIR/logs/"*
    cp "$T"/*.log "$T"/*.err "$T"/*.out "$RESULTS_DIR/logs/" 2>/dev/null
    cp "$T/pgdata/log/"* "$RESULTS_DIR/logs/" 2>/dev/null
  fi
  [ "${BENCH_KEEP_TMP:-0}" = 1 ] && log "temp dir kept: $T" || rm -rf "$T"
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

mkdir -p "$RESULTS_DIR"

# ---------------------------------------------------------------- helpers
free_ports() {  # print N free loopback TCP ports
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
EOF
}

cpu_ticks() {  # utime+stime (all threads) of PID, in clock ticks
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }  # drop "pid (comm) "
  # shellcheck disable=SC2086
  set -- $s     # now $1 = state (field 3); utime = field 14 -> $12, stime = field 15 -> $13
  echo $(( ${12} + ${13} ))
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU ticks of the whole PostgreSQL cluster: postmaster (incl. reaped children) + live children
pg_ticks() {
  local s tot=0 c
  s=$(cat "/proc/$PGPID/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  tot=$(( ${12} + ${13} + ${14} + ${15} ))
  for c in $(ps -o pid= --ppid "$PGPID"); do tot=$(( tot + $(cpu_ticks "$c") )); done
  echo "$tot"
}
busy_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
established_to() { ss -Htn state established "( dport = :$1 )" 2>/dev/null | wc -l; }
listening() { [ -n "$(ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]; }
CLK_TCK=$(getconf CLK_TCK)

RESULTS_JSONL="$T/results.jsonl"
: >"$RESULTS_JSONL"
emit() { python3 -c 'import json,sys; print(json.dumps(dict(a.split("=",1) for a in sys.argv[1:])))' "$@" >>"$RESULTS_JSONL"; }

FAILURES=()

# ---------------------------------------------------------------- ports
read -r PGPORT BPORT SPORT <<<"$(free_ports 3)"
[ -n "$SPORT" ] || die "could not pick free ports"
log "ports: postgres=$PGPORT pgbouncer=$BPORT sluice=$SPORT; temp dir $T"

export PGPASSWORD=$DBPASS PGUSER=$DBUSER PGDATABASE=$DB PGHOST=127.0.0.1 PGCONNECT_TIMEOUT=10
unset PGSERVICE PGSSLMODE PGOPTIONS
export PGSSLMODE=disable

# ---------------------------------------------------------------- PostgreSQL
log "initdb"
as_user "$PGBIN/initdb" -D "$T/pgdata" -U "$DBUSER" --auth-local=trust --auth-host=md5 -E UTF8 --locale=C \
  >"$T/initdb.out" 2>&1 || { cat "$T/initdb.out" >&2; die "initdb failed"; }
cat >>"$T/pgdata/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$T'
max_connections = 250
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = md5
logging_collector = on
log_directory = 'log'
log_filename = 'postgresql.log'
log_min_messages = warning
EOF
as_user "$PGBIN/pg_ctl" -D "$T/pgdata" -l "$T/pg_ctl.log" -w -t 60 start >/dev/null 2>&1 \
  || { cat "$T/pg_ctl.log" >&2; die "postgres did not start"; }
PG_STARTED=1
PGPID=$(head -1 "$T/pgdata/postmaster.pid")
as_user "$PGBIN/psql" -h "$T" -p "$PGPORT" -d postgres -qAt \
  -c "ALTER ROLE $DBUSER PASSWORD '$DBPASS'" -c "CREATE DATABASE $DB" >"$T/setup.out" 2>&1 \
  || { cat "$T/setup.out" >&2; die "could not set up role/database"; }

log "pgbench -i -s $SCALE"
timeout 300 "$PGBENCH" -i -q -s "$SCALE" -h 127.0.0.1 -p "$PGPORT" "$DB" >"$T/pgbench-init.out" 2>&1 \
  || { cat "$T/pgbench-init.out" >&2; die "pgbench -i failed"; }

# ---------------------------------------------------------------- poolers
MD5SECRET="md5$(printf '%s%s' "$DBPASS" "$DBUSER" | md5sum | cut -d' ' -f1)"
printf '"%s" "%s"\n' "$DBUSER" "$MD5SECRET" >"$T/userlist.txt"

common_ini() {  # $1 = port, $2 = name
  cat <<EOF
[databases]
$DB = host=127.0.0.1 port=$PGPORT dbname=$DB
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $1
unix_socket_dir = $T
auth_type = $AUTH
auth_file = $T/userlist.txt
pool_mode = session
default_pool_size = $POOL
max_client_conn = $((IDLE_N > 10000 ? IDLE_N + 100 : 10000))
log_connections = 0
log_disconnections = 0
logfile = $T/$2.log
pidfile = $T/$2.pid
server_tls_sslmode = disable
EOF
}
common_ini "$BPORT" pgbouncer >"$T/pgbouncer.ini"
{ common_ini "$SPORT" sluice; printf 'plugin_dir = %s\nworkers = %s\n' "$SLUICE_PLUGIN_DIR" "$SLUICE_WORKERS"; } >"$T/sluice.ini"
[ "$(id -u)" = 0 ] && chown "$RUN_USER" "$T"/*.ini "$T/userlist.txt"

start_pooler() {  # $1 = name, $2 = port, rest = command; sets POOLER_PID
  local name=$1 port=$2; shift 2
  # a simple command in the background: bash forks and the child execs setpriv, which execs the
  # pooler, so $! is the pooler's own PID (no wrapper process in between)
  "${AS_USER[@]}" "$@" >"$T/$name.out" 2>"$T/$name.err" &
  POOLER_PID=$!
  PIDS_TO_KILL+=("$POOLER_PID")
  for _ in $(seq 1 100); do
    listening "$port" && break
    kill -0 "$POOLER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! kill -0 "$POOLER_PID" 2>/dev/null || ! listening "$port"; then
    log "$name failed to start; stderr:"; tail -20 "$T/$name.err" >&2; tail -20 "$T/$name.log" 2>/dev/null >&2
    POOLER_PID=""
    return 1
  fi
  sleep 0.2
  log "$name running, pid $POOLER_PID ($(cat /proc/"$POOLER_PID"/comm)), open-files limit $(awk '/Max open files/ {print $4}' /proc/"$POOLER_PID"/limits)"
}

BOUNCER_PID=""; SLUICE_PID=""
if start_pooler pgbouncer "$BPORT" "$PGBOUNCER_BIN" "$T/pgbouncer.ini"; then BOUNCER_PID=$POOLER_PID; else FAILURES+=("pgbouncer did not start"); fi
if start_pooler sluice "$SPORT" "$SLUICE_BIN" "$T/sluice.ini"; then SLUICE_PID=$POOLER_PID; else FAILURES+=("sluice did not start"); fi

declare -A PORT_OF=([direct]=$PGPORT [pgbouncer]=$BPORT [sluice]=$SPORT)
declare -A PID_OF=([direct]="" [pgbouncer]=$BOUNCER_PID [sluice]=$SLUICE_PID)
TARGETS=()
TARGETS+=(direct)
for t in pgbouncer sluice; do
  [ -n "${PID_OF[$t]}" ] || continue
  if out=$(timeout 20 "$PGBIN/psql" -h 127.0.0.1 -p "${PORT_OF[$t]}" -qAtc 'select 1' 2>&1) && [ "$out" = 1 ]; then
    TARGETS+=("$t")
  else
    log "$t: sanity query failed: $out"; FAILURES+=("$t: sanity query 'select 1' failed: $out")
  fi
done
log "targets: ${TARGETS[*]}"
SLUICE_BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$SLUICE_BUILD_DIR/CMakeCache.txt" 2>/dev/null)
log "sluice: $SLUICE_BIN (build type: ${SLUICE_BUILD_TYPE:-unknown})"
case "$SLUICE_BUILD_TYPE" in Debug|"") log "warning: sluice is not an optimized build; its CPU and tps numbers are not representative (see bench/README.md)";; esac

# ---------------------------------------------------------------- perf probe (instructions)
PERF_OK=0; PERF_NOTE=""
if command -v perf >/dev/null; then
  probe=$(perf stat -x, -e "$PERF_EVENT" true 2>&1 >/dev/null)
  if printf '%s' "$probe" | grep -qiE 'not supported|not counted|error|permission'; then
    PERF_NOTE="skipped: \`perf stat -e $PERF_EVENT\` is not supported here ($(printf '%s' "$probe" | head -1 | tr -d '\n'))"
  else
    PERF_OK=1
  fi
else
  PERF_NOTE="skipped: perf not installed (apt-get install linux-perf)"
fi
[ "$PERF_OK" = 1 ] && log "perf: counting $PERF_EVENT per transaction" || log "perf: $PERF_NOTE"

# ---------------------------------------------------------------- throughput runs
# run_one TEST TARGET DURATION pgbench-args...
run_one() {
  local test=$1 target=$2 dur=$3; shift 3
  local port=${PORT_OF[$target]} pid=${PID_OF[$target]} out="$T/pgbench-${test// /_}-$target.out"
  local c0=0 c1=0 perf_pid="" perf_out="$T/perf-${test// /_}-$target.csv" rc
  local b0 pg0 bo0 sl0 b1 pg1 bo1 sl1 bench_cpu
  [ -n "$pid" ] && c0=$(cpu_ticks "$pid")
  b0=$(busy_ticks); pg0=$(pg_ticks); bo0=$(cpu_ticks "${PID_OF[pgbouncer]:-0}"); sl0=$(cpu_ticks "${PID_OF[sluice]:-0}")
  if [ -n "$pid" ] && [ "$PERF_OK" = 1 ]; then
    perf stat -x, -e "$PERF_EVENT" -p "$pid" -o "$perf_out" >/dev/null 2>&1 &
    perf_pid=$!; PIDS_TO_KILL+=("$perf_pid")
  fi
  local TIMEFORMAT='%3R %3U %3S'
  { time timeout -k 5 $((dur + 90)) "$PGBENCH" -h 127.0.0.1 -p "$port" -T "$dur" "$@" "$DB" >"$out" 2>&1; } 2>"$T/time.tmp"
  rc=$?
  [ -n "$pid" ] && c1=$(cpu_ticks "$pid")
  sleep 0.5   # let the postmaster reap backends that just exited (their CPU moves to its cutime)
  b1=$(busy_ticks); pg1=$(pg_ticks); bo1=$(cpu_ticks "${PID_OF[pgbouncer]:-0}"); sl1=$(cpu_ticks "${PID_OF[sluice]:-0}")
  local wall; read -r wall _ <"$T/time.tmp"
  bench_cpu=$(awk '{print $2+$3}' "$T/time.tmp")
  # CPU used by anything else on the machine during the run (other users' builds, ...), in cores;
  # includes softirq time the kernel does not charge to a process
  local other_cores machine_cores
  other_cores=$(python3 -c "
t=$CLK_TCK; d=max(${wall:-$dur} + 0.5, 0.001)
busy=($b1-$b0)/t; ours=($pg1-$pg0 + $bo1-$bo0 + $sl1-$sl0)/t + ${bench_cpu:-0}
print(round(max(busy-ours,0)/d,2), round(busy/d,2))")
  read -r other_cores machine_cores <<<"$other_cores"
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid" 2>/dev/null; wait "$perf_pid" 2>/dev/null; fi
  local tps lat tx failed errs alive=1 instr=""
  tps=$(awk '/^tps = / {print $3; exit}' "$out")
  lat=$(awk '/^latency average = / {print $4; exit}' "$out")
  tx=$(awk -F': ' '/^number of transactions actually processed/ {split($2,a,"/"); print a[1]; exit}' "$out")
  failed=$(awk -F': ' '/^number of failed transactions/ {split($2,a," "); print a[1]; exit}' "$out")
  errs=$(grep -ciE 'error|abort|fatal|could not' "$out")
  [ -n "$pid" ] && { kill -0 "$pid" 2>/dev/null || alive=0; }
  [ -f "$perf_out" ] && instr=$(awk -F, -v ev="$PERF_EVENT" '$3 ~ ev && $1 ~ /^[0-9]+$/ {print $1; exit}' "$perf_out")
  local cpu_us="" cpu_per_tx="" instr_per_tx=""
  if [ -n "$pid" ]; then
    cpu_us=$(( (c1 - c0) * 1000000 / CLK_TCK ))
    [ -n "$tx" ] && [ "$tx" -gt 0 ] && cpu_per_tx=$(python3 -c "print(round($cpu_us/$tx, 2))")
    [ -n "$instr" ] && [ -n "$tx" ] && [ "$tx" -gt 0 ] && instr_per_tx=$(python3 -c "print(round($instr/$tx))")
  fi
  emit kind=throughput test="$test" target="$target" rc="$rc" tps="${tps:-}" latency_ms="${lat:-}" \
       transactions="${tx:-}" failed="${failed:-}" error_lines="$errs" pooler_cpu_us="$cpu_us" \
       cpu_us_per_tx="$cpu_per_tx" instructions="$instr" instructions_per_tx="$instr_per_tx" \
       pooler_alive="$alive" args="$*" seconds="$dur" pgbench_cpu_s="$bench_cpu" \
       postgres_cpu_s="$(awk -v a="$pg0" -v b="$pg1" -v t="$CLK_TCK" 'BEGIN{printf "%.2f", (b-a)/t}')" machine_busy_cores="$machine_cores" other_cpu_cores="$other_cores"
  log "$(printf '%-22s %-9s rc=%s tps=%s lat=%sms tx=%s cpu/tx=%sus other-load=%s cores %s' "$test" "$target" "$rc" "${tps:-?}" "${lat:-?}" "${tx:-?}" "${cpu_per_tx:--}" "$other_cores" "${instr_per_tx:+instr/tx=$instr_per_tx}")"
  if [ "$rc" != 0 ] || [ -z "$tps" ]; then
    log "  pgbench on $target exited $rc; last lines:"; tail -5 "$out" | sed 's/^/    /' >&2
    FAILURES+=("$test on $target: pgbench rc=$rc ($(grep -iE 'error|abort|fatal|could not' "$out" | head -1))")
  fi
  if [ "$alive" = 0 ]; then
    log "  $target process $pid DIED during $test"; FAILURES+=("$target died during $test")
    PID_OF[$target]=""
    local keep=(); for x in "${TARGETS[@]}"; do [ "$x" = "$target" ] || keep+=("$x"); done; TARGETS=("${keep[@]}")
  fi
}

if [ "$WARMUP" -gt 0 ]; then
  for t in "${TARGETS[@]}"; do
    timeout -k 5 $((WARMUP + 60)) "$PGBENCH" -h 127.0.0.1 -p "${PORT_OF[$t]}" -n -S -c "$POOL" -j 2 -T "$WARMUP" "$DB" >"$T/warmup-$t.out" 2>&1 \
      || log "warm-up on $t failed: $(tail -2 "$T/warmup-$t.out" | tr '\n' ' ')"
  done
fi

TESTS=(
  "select-only c$CLIENTS|$DUR|-S -c $CLIENTS -j $THREADS"
  "tpcb-like c$CLIENTS|$DUR|-c $CLIENTS -j $THREADS"
  "select-only c$POOL|$DUR|-S -c $POOL -j $THREADS"
  "tpcb-like c$POOL|$DUR|-c $POOL -j $THREADS"
)
[ "$CDUR" -gt 0 ] && TESTS+=("select-only -C c$CLIENTS|$CDUR|-S -C -c $CLIENTS -j $THREADS")

for spec in "${TESTS[@]}"; do
  IFS='|' read -r name dur args <<<"$spec"
  for t in "${TARGETS[@]}"; do
    # shellcheck disable=SC2086
    run_one "$name" "$t" "$dur" $args
  done
done

# ---------------------------------------------------------------- idle-client memory
idle_one() {  # $1 = target
  local target=$1 port=${PORT_OF[$1]} pid=${PID_OF[$1]} out="$T/pgbench-idle-$1.out"
  local before with after fds0 fds1 n=0 t0 t1 ok=1 bpid
  printf '\\sleep %s s\n' "$IDLE_SLEEP" >"$T/idle.sql"
  sleep 1
  before=$(rss_kb "$pid"); fds0=$(nfds "$pid")
  t0=$(date +%s.%N)
  timeout -k 5 $((IDLE_SLEEP + 240)) "$PGBENCH" -h 127.0.0.1 -p "$port" -n -c "$IDLE_N" -j 2 -t 1 -f "$T/idle.sql" "$DB" >"$out" 2>&1 &
  bpid=$!; PIDS_TO_KILL+=("$bpid")
  local deadline=$((SECONDS + 180))
  while :; do
    n=$(established_to "$port")
    [ "$n" -ge "$IDLE_N" ] && break
    if ! kill -0 "$bpid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then ok=0; break; fi
    sleep 0.2
  done
  t1=$(date +%s.%N)
  sleep 1   # let the last logins finish
  with=$(rss_kb "$pid"); fds1=$(nfds "$pid"); n=$(established_to "$port")
  local connect_s; connect_s=$(python3 -c "print(round($t1-$t0, 2))")
  wait "$bpid"; local rc=$?
  sleep 2
  after=$(rss_kb "$pid")
  local alive=1; kill -0 "$pid" 2>/dev/null || alive=0
  local per=""; [ "$ok" = 1 ] && per=$(python3 -c "print(round(($with-$before)*1024/$IDLE_N))")
  emit kind=idle target="$target" clients="$IDLE_N" connected="$n" rss_before_kb="$before" rss_with_kb="$with" \
       rss_after_kb="$after" bytes_per_client="$per" fds_before="$fds0" fds_with="$fds1" connect_seconds="$connect_s" \
       pgbench_rc="$rc" pooler_alive="$alive" all_connected="$ok"
  log "idle $target: $n/$IDLE_N connected in ${connect_s}s, RSS ${before} -> ${with} kB (after: ${after} kB), fds ${fds0} -> ${fds1}, ${per:-?} B/client, pgbench rc=$rc"
  if [ "$ok" != 1 ]; then
    log "  only $n of $IDLE_N clients connected; pgbench output:"; tail -5 "$out" | sed 's/^/    /' >&2
    FAILURES+=("idle test on $target: only $n of $IDLE_N clients connected ($(grep -iE 'error|fatal|could not' "$out" | head -1))")
  elif [ "$rc" != 0 ]; then
    FAILURES+=("idle test on $target: pgbench rc=$rc ($(grep -iE 'error|fatal|could not' "$out" | head -1))")
  fi
  [ "$alive" = 1 ] || FAILURES+=("$target died during idle test")
}
if [ "$IDLE_N" -gt 0 ]; then
  for t in pgbouncer sluice; do
    [ -n "${PID_OF[$t]}" ] && idle_one "$t"
  done
fi

# ---------------------------------------------------------------- pooler log scan
for t in pgbouncer sluice; do
  cnt=$(cat "$T/$t.log" "$T/$t.err" 2>/dev/null | grep -cE 'ERROR|FATAL|WARNING|PANIC|abort|terminate')
  emit kind=log target="$t" error_lines="$cnt"
  [ "$cnt" -gt 0 ] && { log "$t log has $cnt ERROR/FATAL/WARNING lines, first ones:"; cat "$T/$t.log" "$T/$t.err" 2>/dev/null | grep -E 'ERROR|FATAL|WARNING|PANIC|abort|terminate' | head -5 | sed 's/^/    /' >&2; }
done

# ---------------------------------------------------------------- report
printf '%s\n' "${FAILURES[@]:-}" >"$T/failures.txt"
emit kind=meta date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" host_cores="$(nproc)" kernel="$(uname -r)" \
     postgres="$("$PGBIN/postgres" --version)" pgbouncer="$("$PGBOUNCER_BIN" --version | head -1)" \
     sluice="$("$SLUICE_BIN" --version 2>&1 | head -1)" sluice_git="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+dirty')" \
     sluice_build_type="$SLUICE_BUILD_TYPE" \
     sluice_bin="$SLUICE_BIN" sluice_workers="$SLUICE_WORKERS" scale="$SCALE" pool_size="$POOL" auth="$AUTH" seconds="$DUR" connect_seconds="$CDUR" \
     idle_clients="$IDLE_N" clk_tck="$CLK_TCK" perf_event="$PERF_EVENT" perf_note="$PERF_NOTE"

python3 "$HERE/report.py" "$RESULTS_JSONL" "$T/failures.txt" "$RESULTS_DIR/latest.json" "$RESULTS_DIR/latest.md" \
  || die "report generation failed"
cat "$RESULTS_DIR/latest.md"

# non-zero only if something could not run: no throughput number at all, or a target that did
# not start / could not answer a query. Slow or erroring runs are results, not failures.
ran=$(grep -c '"kind": "throughput"' "$RESULTS_JSONL")
[ "$ran" -gt 0 ] || exit 1
for f in "${FAILURES[@]:-}"; do
  case "$f" in *"did not start"*|*"sanity query"*) exit 1;; esac
done
exit 0
