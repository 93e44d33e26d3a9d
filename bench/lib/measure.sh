# shellcheck shell=bash
# bench/lib/measure.sh - one pgbench run / one idle-clients hold against one target, measured
# from /proc. Sourced by bench/run.sh.
#
# Uses: PORT_OF, PID_OF, POOLERS, PGPID, PGBENCH, DB, T, FAILURES, emit().

all_pooler_ticks() {  # CPU ticks of every pooler process (for the "other load" figure)
  local t tot=0
  for t in "${POOLERS[@]}"; do tot=$(( tot + $(cpu_ticks "${PID_OF[$t]}") )); done
  echo "$tot"
}

# pgbench_first_error OUT RC DURATION: the error line of a pgbench output that says most, without
# pgbench's "pgbench: error: " prefix, whitespace collapsed, at most 300 characters: the first
# line of a client that aborted (what made pgbench exit non-zero), else the first error line (e.g.
# a failed PQprepare, after which pgbench goes on), the generic "Run was aborted" summary only if
# nothing more specific was printed, and a note when timeout(1) killed pgbench. Empty when none.
pgbench_first_error() {
  local out=$1 rc=$2 dur=$3 line
  line=$(grep -E 'client [0-9]+ .*aborted' "$out" | head -1)
  line=${line##*pgbench: }  # two clients' lines can interleave: "pgbench:pgbench: error: client ..."
  [[ -n $line ]] || line=$(grep -iE 'error|abort|fatal|could not' "$out" | grep -viE 'run was aborted' | head -1)
  [[ -n $line ]] || line=$(grep -iE 'error|abort|fatal|could not' "$out" | head -1)
  [[ -z $line && ($rc == 124 || $rc == 137) ]] && line="pgbench did not finish: killed after $((dur + 90)) s"
  line=${line#pgbench: }; line=${line#error: }; line=${line#fatal: }
  printf '%s' "$line" | tr -s ' \t\r' ' ' | cut -c1-300
}

# run_one TEST TARGET DURATION pgbench-args...
run_one() {
  local test=$1 target=$2 dur=$3; shift 3
  local port=${PORT_OF[$target]} pid=${PID_OF[$target]:-} out="$T/pgbench-${test// /_}-$target.out"
  local c0=0 c1=0 rc b0 pg0 po0 b1 pg1 po1 wall ucpu scpu hwm_reset=0 hwm="" rss=""
  if [[ -n $pid ]]; then
    reset_hwm "$pid" && hwm_reset=1
    c0=$(cpu_ticks "$pid")
  fi
  b0=$(busy_ticks); pg0=$(pg_ticks "$PGPID"); po0=$(all_pooler_ticks)
  local TIMEFORMAT='%3R %3U %3S'
  { time timeout -k 5 $((dur + 90)) "$PGBENCH" -h 127.0.0.1 -p "$port" -n -T "$dur" "$@" "$DB" >"$out" 2>&1; } 2>"$T/time.tmp"
  rc=$?
  if [[ -n $pid ]]; then
    c1=$(cpu_ticks "$pid"); hwm=$(status_kb "$pid" VmHWM); rss=$(status_kb "$pid" VmRSS)
  fi
  sleep 0.5   # let the postmaster reap backends that just exited (their CPU moves to its cutime)
  b1=$(busy_ticks); pg1=$(pg_ticks "$PGPID"); po1=$(all_pooler_ticks)
  read -r wall ucpu scpu <"$T/time.tmp"
  # CPU used during the run by anything that is not pgbench, PostgreSQL or a pooler (other users'
  # builds, plus softirq time the kernel charges to no process), in cores
  local other machine
  read -r other machine <<<"$(python3 -c "
t=$CLK_TCK; d=max(${wall:-$dur} + 0.5, 0.001)
busy=($b1-$b0)/t; ours=($pg1-$pg0 + $po1-$po0)/t + ${ucpu:-0} + ${scpu:-0}
print(round(max(busy-ours,0)/d,2), round(busy/d,2))")"
  local tps lat tx failed errs alive=1 cpu_us="" ms_per_1k=""
  tps=$(awk '/^tps = / {print $3; exit}' "$out")
  lat=$(awk '/^latency average = / {print $4; exit}' "$out")
  tx=$(awk -F': ' '/^number of transactions actually processed/ {split($2,a,"/"); print a[1]; exit}' "$out")
  failed=$(awk -F': ' '/^number of failed transactions/ {split($2,a," "); print a[1]; exit}' "$out")
  # every line pgbench printed about an error (a client aborted, a failed PQprepare, the final
  # "Run was aborted"), and the first of them, preferring a specific one over that final summary
  errs=$(grep -ciE 'error|abort|fatal|could not' "$out")
  local first_err
  first_err=$(pgbench_first_error "$out" "$rc" "$dur")
  if [[ -n $pid ]]; then
    kill -0 "$pid" 2>/dev/null || alive=0
    cpu_us=$(( (c1 - c0) * 1000000 / CLK_TCK ))
    # CPU milliseconds per 1,000 transactions (numerically the same as microseconds per transaction)
    [[ -n $tx && $tx -gt 0 ]] && ms_per_1k=$(calc "round($cpu_us/$tx, 2)")
  fi
  emit kind=throughput test="$test" target="$target" round="${ROUND:-1}" rc="$rc" tps="${tps:-}" latency_ms="${lat:-}" \
       transactions="${tx:-}" failed="${failed:-}" error_lines="$errs" error="$first_err" pooler_cpu_us="$cpu_us" \
       cpu_ms_per_1k_tx="$ms_per_1k" peak_rss_kb="$hwm" rss_end_kb="$rss" hwm_reset="$hwm_reset" \
       pooler_alive="$alive" args="$*" seconds="$dur" pgbench_cpu_s="$(calc "round(${ucpu:-0}+${scpu:-0},2)")" \
       postgres_cpu_s="$(calc "round(($pg1-$pg0)/$CLK_TCK,2)")" machine_busy_cores="$machine" other_cpu_cores="$other"
  log "$(printf '%-16s %-9s rc=%s tps=%-9s lat=%sms tx=%s failed=%s error-lines=%s cpu=%sms/1k-tx peak-rss=%skB other-load=%s cores' \
    "$test" "$target" "$rc" "${tps:-?}" "${lat:-?}" "${tx:-?}" "${failed:-?}" "$errs" "${ms_per_1k:--}" "${hwm:--}" "$other")"
  # a run whose pgbench exited non-zero, printed no tps or printed any error is a failed run: the
  # report shows its first error instead of its figures. pgbench still prints tps for the clients
  # that had not aborted, and goes on (exit 0) after a failed PQprepare; neither is a figure.
  if [[ $rc != 0 || -z $tps || $errs -gt 0 ]]; then
    log "  pgbench on $target exited $rc with $errs error lines; first error: ${first_err:-none}; last lines:"
    tail -5 "$out" | sed 's/^/    /' >&2
    FAILURES+=("$test on $target: pgbench rc=$rc, $errs error lines (${first_err:-no error line})")
  fi
  if [[ $alive == 0 ]]; then
    log "  $target (pid $pid) DIED during $test"; FAILURES+=("$target died during $test")
    PID_OF[$target]=""
  fi
}

# idle_one TARGET: IDLE_N clients log in and stay idle (pgbench running a script that only
# sleeps); RSS per idle client = (VmRSS with them - VmRSS before) / N; also the peak (VmHWM).
idle_one() {
  local target=$1 port=${PORT_OF[$1]} pid=${PID_OF[$1]} out="$T/pgbench-idle-$1.out"
  local before with after hwm fds0 fds1 n=0 t0 t1 ok=1 bpid hwm_reset=0
  printf '\\sleep %s s\n' "$IDLE_SLEEP" >"$T/idle.sql"
  sleep 1
  reset_hwm "$pid" && hwm_reset=1
  before=$(status_kb "$pid" VmRSS); fds0=$(nfds "$pid")
  t0=$(date +%s.%N)
  timeout -k 5 $((IDLE_SLEEP + 240)) "$PGBENCH" -h 127.0.0.1 -p "$port" -n -c "$IDLE_N" -j 2 -t 1 -f "$T/idle.sql" "$DB" >"$out" 2>&1 &
  bpid=$!; PIDS_TO_KILL+=("$bpid")
  local deadline=$((SECONDS + 180))
  while :; do
    n=$(established_to "$port")
    [[ $n -ge $IDLE_N ]] && break
    if ! kill -0 "$bpid" 2>/dev/null || [[ $SECONDS -ge $deadline ]]; then ok=0; break; fi
    sleep 0.2
  done
  t1=$(date +%s.%N)
  sleep 1   # let the last logins finish
  with=$(status_kb "$pid" VmRSS); hwm=$(status_kb "$pid" VmHWM); fds1=$(nfds "$pid"); n=$(established_to "$port")
  local connect_s; connect_s=$(calc "round($t1-$t0, 2)")
  wait "$bpid"; local rc=$?
  sleep 2
  after=$(status_kb "$pid" VmRSS)
  local alive=1; kill -0 "$pid" 2>/dev/null || alive=0
  local per="" peak_per=""
  if [[ $ok == 1 ]]; then
    per=$(calc "round(($with-$before)*1024/$IDLE_N)")
    peak_per=$(calc "round(($hwm-$before)*1024/$IDLE_N)")
  fi
  emit kind=idle target="$target" clients="$IDLE_N" connected="$n" rss_before_kb="$before" rss_with_kb="$with" \
       peak_rss_kb="$hwm" hwm_reset="$hwm_reset" rss_after_kb="$after" bytes_per_client="$per" \
       peak_bytes_per_client="$peak_per" fds_before="$fds0" fds_with="$fds1" connect_seconds="$connect_s" \
       pgbench_rc="$rc" pooler_alive="$alive" all_connected="$ok"
  log "idle $target: $n/$IDLE_N connected in ${connect_s}s, RSS ${before} -> ${with} kB (peak ${hwm} kB, after ${after} kB), fds ${fds0} -> ${fds1}, ${per:-?} B/client, pgbench rc=$rc"
  if [[ $ok != 1 ]]; then
    log "  only $n of $IDLE_N clients connected; pgbench output:"; tail -5 "$out" | sed 's/^/    /' >&2
    FAILURES+=("idle test on $target: only $n of $IDLE_N clients connected ($(grep -iE 'error|fatal|could not' "$out" | head -1))")
  elif [[ $rc != 0 ]]; then
    FAILURES+=("idle test on $target: pgbench rc=$rc ($(grep -iE 'error|fatal|could not' "$out" | head -1))")
  fi
  [[ $alive == 1 ]] || { FAILURES+=("$target died during idle test"); PID_OF[$target]=""; }
}
