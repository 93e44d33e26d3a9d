#!/usr/bin/env bash
# PAUSE / RESUME from the admin console (and SIGUSR1 / SIGUSR2): PAUSE returns once every server
# is released and closed while pgbench keeps running; queued clients wait, RESUME lets them
# through, and pgbench ends with no failed transaction. Per-database PAUSE and the error texts.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -i -s 1 -q -h 127.0.0.1 -p "$PG_PORT" -U app app \
  >"$IT_TMP/pgbench-init.log" 2>&1 || { cat "$IT_TMP/pgbench-init.log" >&2; fail "pgbench -i failed"; }
write_config pool_mode=transaction default_pool_size=3 workers=2 admin_users=app stats_users=md5user query_wait_timeout=60
sluice_start
console() { psql_sluice app -d pgbouncer "$@"; }
app_backends() {
  psql_admin -d app -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND backend_type = 'client backend'"
}

bg env PGPASSWORD="${IT_PASSWORD[app]}" "$PG_BINDIR/pgbench" -n -c 6 -j 2 -T 8 -h 127.0.0.1 -p "$SLUICE_PORT" -U app app \
  >"$IT_TMP/pgbench.log" 2>&1
load=$BG_PID
sleep 2
assert_eq "$(console -c 'PAUSE')" "PAUSE" "PAUSE returns once the servers are released"
assert_eq "$(app_backends)" "0" "no server connection is left while paused"
assert_eq "$(console -c 'SHOW STATE' | grep '^paused|')" "paused|yes" "SHOW STATE says paused"
out=$(console -c 'PAUSE' 2>&1) && fail "a second PAUSE succeeded"
assert_contains "$out" "already suspended/paused" "PAUSE twice"
sleep 1.5
waiting=$(console -c 'SHOW POOLS' | awk -F'|' '$1 == "app" && $2 == "app" { print $4 }')
(( waiting > 0 )) || fail "no client queued while paused (cl_waiting=$waiting)"
assert_eq "$(console -c 'RESUME')" "RESUME" "RESUME"
wait "$load" || fail "pgbench failed across PAUSE/RESUME: $(tail -n 5 "$IT_TMP/pgbench.log")"
assert_contains "$(cat "$IT_TMP/pgbench.log")" "number of failed transactions: 0" "no failed transaction across PAUSE/RESUME"
out=$(console -c 'RESUME' 2>&1) && fail "RESUME while not paused succeeded"
assert_contains "$out" "pooler is not paused/suspended" "RESUME when not paused"

# Per database.
assert_eq "$(console -c 'PAUSE app')" "PAUSE" "PAUSE app"
assert_eq "$(console -c 'SHOW DATABASES' | awk -F'|' '$1 == "app" { print $16 }')" "1" "SHOW DATABASES paused=1"
bg psql_sluice trustuser -c "SELECT 'after resume'"
queued=$BG_PID
sleep 1
kill -0 "$queued" 2>/dev/null || fail "a client of a paused database was served"
assert_eq "$(console -c 'RESUME app')" "RESUME" "RESUME app"
wait "$queued" || fail "the queued client failed after RESUME app"
out=$(console -c 'RESUME app' 2>&1) && fail "RESUME of a database that is not paused succeeded"
assert_contains "$out" "database app is not paused" "RESUME db when not paused"
out=$(console -c 'PAUSE nosuchdb' 2>&1) && fail "PAUSE of an unknown database succeeded"
assert_contains "$out" "no such database: nosuchdb" "PAUSE unknown db"
out=$(psql_sluice md5user -d pgbouncer -c 'PAUSE' 2>&1) && fail "a stats user could PAUSE"
assert_contains "$out" "admin access needed" "a stats user cannot PAUSE"

# SUSPEND: relays stop reading until RESUME; the admin's own session keeps working.
held_cmd="PGPASSWORD=${IT_PASSWORD[app]} $PG_BINDIR/psql -X -At -h 127.0.0.1 -p $SLUICE_PORT -U app -d app -c \"SELECT 'held'\""
out=$(psql_sluice app -d pgbouncer 2>&1 <<SQL
SUSPEND;
\\! ($held_cmd >$IT_TMP/held.out 2>&1 &); sleep 1; if [ -s $IT_TMP/held.out ]; then echo LEAKED; else echo STILL-HELD; fi
SHOW STATE;
RESUME;
SQL
) || fail "SUSPEND session failed: $out"
log "SUSPEND session: $(tr '\n' ' ' <<<"$out")"
assert_contains "$out" "STILL-HELD" "a query sent during SUSPEND is not answered"
assert_contains "$out" "suspended|yes" "SHOW STATE says suspended"
for _ in $(seq 30); do [[ -s $IT_TMP/held.out ]] && break; sleep 0.1; done
assert_eq "$(cat "$IT_TMP/held.out")" "held" "the held query runs after RESUME"
console -c 'SUSPEND' >/dev/null
sleep 0.3
assert_eq "$(console -c 'SHOW STATE' | grep '^suspended|')" "suspended|no" "SUSPEND ends when its admin disconnects"

# SIGUSR1 / SIGUSR2.
kill -USR1 "$SLUICE_PID"
sleep 0.5
assert_eq "$(console -c 'SHOW STATE' | grep '^paused|')" "paused|yes" "SIGUSR1 pauses"
kill -USR2 "$SLUICE_PID"
sleep 0.5
assert_eq "$(console -c 'SHOW STATE' | grep '^paused|')" "paused|no" "SIGUSR2 resumes"
assert_eq "$(psql_sluice app -c 'SELECT 9')" "9" "served after SIGUSR2"
sluice_alive
