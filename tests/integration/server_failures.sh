#!/usr/bin/env bash
# Failures on either side never leak a dirty or dead server to another client (transaction
# mode): a server killed mid-transaction gives its client an error and is not reused; idle
# servers killed in the pool are skipped silently; a client that vanishes mid-transaction does
# not leave its transaction to the next client; PostgreSQL restarting under pgbench load is
# survived and the pool refills.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
psql_pg app -c 'CREATE TABLE failures(x int)' >/dev/null
PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -i -s 1 -q -h 127.0.0.1 -p "$PG_PORT" -U app app \
  >"$IT_TMP/pgbench-init.log" 2>&1 || { cat "$IT_TMP/pgbench-init.log" >&2; fail "pgbench -i failed"; }
write_config pool_mode=transaction default_pool_size=2 server_login_retry=1
sluice_start

kill_app_backends() {
  psql_admin -d app -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'app' AND backend_type = 'client backend' $1" >/dev/null
}

# --- A server killed in the middle of a transaction.
admin_psql="$PG_BINDIR/psql -X -At -h $PG_SOCK -p $PG_PORT -U postgres -d app"
rc=0
out=$(psql_sluice app 2>&1 <<SQL
BEGIN;
SELECT 'victim=' || pg_backend_pid();
\\! $admin_psql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app' AND state = 'idle in transaction'" >/dev/null
SELECT 'survived';
SQL
) || rc=$?
log "client of the killed server: rc=$rc: $out"
(( rc != 0 )) || fail "the client of a killed server saw no error: $out"
assert_not_contains "$out" "survived" "nothing ran after the server died"
victim=$(sed -n 's/^victim=//p' <<<"$out")
[[ -n $victim ]] || fail "no victim pid in: $out"
pids=$(psql_sluice app -c 'SELECT pg_backend_pid()' -c 'SELECT pg_backend_pid()' -c 'SELECT pg_backend_pid()')
assert_not_contains "$pids" "$victim" "the dead server is never handed out again"

# --- Idle servers killed while in the pool: the next clients do not notice.
bg psql_sluice app -c 'SELECT pg_sleep(0.5)' >/dev/null
h=$BG_PID
psql_sluice app -c 'SELECT pg_sleep(0.5)' >/dev/null
wait "$h"
kill_app_backends ""
sleep 0.5
for i in 1 2 3; do
  assert_eq "$(psql_sluice app -c "SELECT $i")" "$i" "query $i after the pool's idle servers were killed"
done

# --- A client that vanishes mid-transaction: its transaction never reaches the next client.
write_config pool_mode=transaction default_pool_size=1
sluice_start
bg psql_sluice app -c 'BEGIN' -c 'INSERT INTO failures VALUES (1)' -c '\! sleep 10' -c 'COMMIT'
quitter=$BG_PID
sleep 1.5
# psql itself first: killing its `\! sleep` child first would let it send COMMIT.
psql_pid=$(pgrep -P "$quitter" -x psql) || fail "no psql under $quitter"
kill -9 "$psql_pid"
kill_tree "$quitter"
sleep 0.5
assert_eq "$(psql_sluice app -c 'SELECT count(*) FROM failures')" "0" "the vanished client's uncommitted row is not visible"
assert_eq "$(psql_sluice app -c 'BEGIN' -c 'SELECT 1' -c 'COMMIT' | grep -x 1)" "1" "the next client can open its own transaction"

# --- PostgreSQL restarts under load; the pool refills and serves without errors afterwards.
write_config pool_mode=transaction default_pool_size=4 server_login_retry=1 query_wait_timeout=30
sluice_start
bg env PGPASSWORD="${IT_PASSWORD[app]}" "$PG_BINDIR/pgbench" -n -c 8 -j 2 -T 8 -h 127.0.0.1 -p "$SLUICE_PORT" -U app app \
  >"$IT_TMP/pgbench-restart.log" 2>&1
load=$BG_PID
sleep 2
as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 restart -l "$PG_LOG" -o "-c port=$PG_PORT" \
  >"$IT_TMP/pg_restart.log" 2>&1 || { cat "$IT_TMP/pg_restart.log" >&2; fail "pg_ctl restart failed"; }
log "PostgreSQL restarted under load"
wait "$load" || log "pgbench during the restart ended with errors, as expected: $(tail -n 3 "$IT_TMP/pgbench-restart.log" | tr '\n' ' ')"
sluice_alive
# Logins failed while PostgreSQL was down: for server_login_retry (1 s) new clients fail fast
# with the cached error, as in PgBouncer. After that the pool refills.
sleep 1.5
out=$(PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -n -c 8 -j 2 -T 4 -h 127.0.0.1 -p "$SLUICE_PORT" -U app app 2>&1) ||
  fail "pgbench after the restart failed: $out"
assert_contains "$out" "number of failed transactions: 0" "no failed transaction after the restart"
processed=$(sed -nE 's/.*number of transactions actually processed: ([0-9]+).*/\1/p' <<<"$out")
(( processed > 0 )) || fail "pgbench processed nothing after the restart"
n=$(psql_admin -d app -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND backend_type = 'client backend'")
assert_lt "$n" 5 "the refilled pool stays within default_pool_size=4"
sluice_alive
