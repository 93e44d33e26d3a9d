#!/usr/bin/env bash
# Protocol-level prepared statements in transaction mode (issue 8) under pgbench: 20 clients share
# a pool of 2, so their named statements keep landing on servers that never saw them.
# `pgbench -M prepared -S`, `-M extended -S` and `-M prepared` with the TPC-B-like script each run
# with no failed transaction while PostgreSQL never sees more than 2 backends of the app user;
# SHOW CLIENTS shows each pgbench client's one prepared statement, SHOW STATS counts client parses,
# server parses and at least one Bind per statement executed, SHOW SERVERS prepared_statements.
# pgbench 15 prepares synchronously inside each thread, so -j equals -c (with fewer threads
# pgbench itself deadlocks behind any transaction pooler). PgBouncer 1.18 fails this test (no
# protocol-level prepared statements before 1.21).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -i -s 1 -q -h 127.0.0.1 -p "$PG_PORT" -U app app \
  >"$IT_TMP/pgbench-init.log" 2>&1 || { cat "$IT_TMP/pgbench-init.log" >&2; fail "pgbench -i failed"; }
write_config pool_mode=transaction default_pool_size=2 workers=2 admin_users=app
sluice_start "$SLUICE_CONFIG"

# console SHOW: an admin console SHOW with its header line (psql -A, no footer).
console() {
  PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -A -P footer=off -w \
    -h 127.0.0.1 -p "$SLUICE_PORT" -U app -d pgbouncer -c "$1"
}
# col_values COLUMN DATABASE < SHOW-OUTPUT: the values of COLUMN in the rows whose "database" column is
# DATABASE, one per line (columns found by name in the header line).
col_values() {
  awk -F'|' -v col="$1" -v db="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) { if ($i == col) c = i; if ($i == "database") d = i }
              if (!c || !d) { print "no column " col " or database in: " $0 > "/dev/stderr"; exit 1 }
              next }
    $d == db { print $c }'
}
stats_col() { console 'SHOW STATS' | col_values "$1" app; }

# Sample PostgreSQL's view during all the runs: never more than 2 backends of the app user.
(
  while [[ ! -e $IT_TMP/stop-sampler ]]; do
    psql_admin -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND backend_type = 'client backend'"
    sleep 0.2
  done
) >"$IT_TMP/seen.txt" 2>"$IT_TMP/sampler.err" &
sampler=$!
IT_BG_PIDS+=("$sampler")

# run_pgbench NAME ARGS...: 20 clients, 20 threads, 5 s; fails on any error, failed or aborted
# transaction; sets PROCESSED.
PROCESSED=0
run_pgbench() {
  local name=$1 rc=0 out
  shift
  out=$(PGPASSWORD=${IT_PASSWORD[app]} timeout -k 5 60 "$PG_BINDIR/pgbench" -n -c 20 -j 20 -T 5 "$@" \
    -h 127.0.0.1 -p "$SLUICE_PORT" -U app app 2>&1) || rc=$?
  printf '%s\n' "$out" >"$IT_TMP/pgbench-$name.log"
  log "pgbench $name: $(grep -E 'processed|failed' <<<"$out" | tr '\n' ' ')"
  (( rc == 0 )) || fail "pgbench $name ($*) exited with status $rc:
$(grep -v '^progress' <<<"$out" | head -n 40)"
  # pgbench 15 reports a failed PQprepare ("prepared statement "P_0" already exists") and goes
  # on, so a clean exit status alone proves nothing.
  if grep -qi 'error' <<<"$out"; then
    fail "pgbench $name ($*) reported errors:
$(grep -i 'error' <<<"$out" | sort | uniq -c | head -n 20)"
  fi
  log "ok: pgbench $name printed no error"
  assert_not_contains "$out" "aborted" "pgbench $name: no client aborted"
  assert_contains "$out" "number of failed transactions: 0 " "pgbench $name: no failed transaction"
  PROCESSED=$(sed -nE 's/.*number of transactions actually processed: ([0-9]+).*/\1/p' <<<"$out")
  (( PROCESSED > 0 )) || fail "pgbench $name processed no transaction"
}

# 1. -M prepared, select-only: one named statement per client. 3 s into the run, SHOW CLIENTS
# lists the 20 pgbench clients, and each one that has prepared statements has exactly that one.
show_clients_later() { sleep 3; console 'SHOW CLIENTS'; }
bg show_clients_later >"$IT_TMP/clients-during.txt" 2>&1
clients_probe=$BG_PID
run_pgbench prepared-select -M prepared -S
prepared_select=$PROCESSED
wait "$clients_probe" || fail "SHOW CLIENTS during the run failed: $(cat "$IT_TMP/clients-during.txt")"
client_ps=$(col_values prepared_statements app <"$IT_TMP/clients-during.txt")
log "SHOW CLIENTS prepared_statements of the app clients during -M prepared -S: $(tr '\n' ' ' <<<"$client_ps")"
assert_eq "$(grep -c . <<<"$client_ps")" "20" "pgbench clients listed by SHOW CLIENTS during the run"
(( $(grep -cx 1 <<<"$client_ps") >= 1 )) || fail "no pgbench client shows prepared_statements = 1 in SHOW CLIENTS:
$(cat "$IT_TMP/clients-during.txt")"
assert_eq "$(grep -cvx '[01]' <<<"$client_ps")" "0" "pgbench -S clients whose prepared_statements is neither 0 nor 1"

bind=$(stats_col total_bind_count)
cparse=$(stats_col total_client_parse_count)
sparse=$(stats_col total_server_parse_count)
log "SHOW STATS after -M prepared -S: client parses $cparse, server parses $sparse, binds $bind, transactions $prepared_select"
(( cparse > 0 )) || fail "total_client_parse_count is $cparse after pgbench -M prepared"
(( sparse > 0 )) || fail "total_server_parse_count is $sparse after pgbench -M prepared"
(( bind >= prepared_select )) || fail "total_bind_count $bind < the $prepared_select transactions of pgbench -M prepared -S (one Bind each)"

# 2. -M extended, select-only: unnamed statements pass through.
run_pgbench extended-select -M extended -S

# 3. -M prepared with the default TPC-B-like script: 7 named statements per client, in explicit
# transactions (BEGIN/END are prepared too).
bind_before=$(stats_col total_bind_count)
run_pgbench prepared-tpcb -M prepared
prepared_tpcb=$PROCESSED
bind_after=$(stats_col total_bind_count)
log "SHOW STATS total_bind_count $bind_before -> $bind_after over $prepared_tpcb TPC-B transactions"
(( bind_after - bind_before >= 7 * prepared_tpcb )) ||
  fail "total_bind_count grew by $((bind_after - bind_before)), less than 7 Binds x $prepared_tpcb TPC-B transactions"

touch "$IT_TMP/stop-sampler"
wait "$sampler" || true
[[ -s $IT_TMP/sampler.err ]] && fail "sampling pg_stat_activity failed: $(cat "$IT_TMP/sampler.err")"
samples=$(wc -l <"$IT_TMP/seen.txt")
max_seen=$(sort -n "$IT_TMP/seen.txt" | tail -n 1)
log "pg_stat_activity: $samples samples, at most $max_seen backends of app"
(( samples >= 20 )) || fail "only $samples samples of pg_stat_activity"
(( max_seen >= 1 && max_seen <= 2 )) || fail "PostgreSQL saw $max_seen backends of app, want 1..2"

servers_ps=$(console 'SHOW SERVERS' | col_values prepared_statements app | tr '\n' ' ')
log "SHOW SERVERS prepared_statements after the runs: $servers_ps"
max_server_ps=$(tr ' ' '\n' <<<"$servers_ps" | grep . | sort -n | tail -n 1)
(( ${max_server_ps:-0} > 0 )) || fail "no server shows prepared_statements > 0 after pgbench -M prepared: [$servers_ps]"

assert_eq "$(psql_sluice app -c 'SELECT count(*) FROM pgbench_branches')" "1" "the pool still serves plain queries"
sluice_alive
