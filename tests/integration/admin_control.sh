#!/usr/bin/env bash
# Admin console control commands with PgBouncer's semantics and texts: DISABLE/ENABLE db,
# RECONNECT + WAIT_CLOSE, KILL db (clients dropped, database left paused until RESUME),
# KILL_CLIENT id (from SHOW CLIENTS), SHUTDOWN WAIT_FOR_SERVERS (exits once servers are released),
# SIGINT (the same), SHUTDOWN (immediate).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
write_config pool_mode=transaction default_pool_size=2 workers=2 admin_users=app
sluice_start
console() { psql_sluice app -d pgbouncer "$@"; }
server_pids() {
  psql_admin -d app -c "SELECT pid FROM pg_stat_activity WHERE usename <> 'postgres' AND backend_type = 'client backend' ORDER BY pid" | tr '\n' ' '
}

# --- DISABLE / ENABLE.
assert_eq "$(console -c 'DISABLE app')" "DISABLE" "DISABLE app"
out=$(psql_sluice trustuser -c 'SELECT 1' 2>&1) && fail "a login to a disabled database succeeded"
assert_contains "$out" 'FATAL:  database "app" is disabled' "login to a disabled database"
assert_eq "$(console -c 'SHOW DATABASES' | awk -F'|' '$1 == "app" { print $17 }')" "1" "SHOW DATABASES disabled=1"
assert_eq "$(console -c 'ENABLE app')" "ENABLE" "ENABLE app"
assert_eq "$(psql_sluice trustuser -c 'SELECT 1')" "1" "logins work again after ENABLE"
out=$(console -c 'DISABLE nosuchdb' 2>&1) && fail "DISABLE of an unknown database succeeded"
assert_contains "$out" "no such database: nosuchdb" "DISABLE unknown db"

# --- RECONNECT: idle servers are replaced; a busy one is closed when given back (WAIT_CLOSE).
psql_sluice trustuser -c 'SELECT 1' >/dev/null
before=$(server_pids)
[[ -n ${before// /} ]] || fail "no server connection before RECONNECT"
bg psql_sluice trustuser -c 'SELECT pg_sleep(2)' >/dev/null
busy=$BG_PID
sleep 0.5
assert_eq "$(console -c 'RECONNECT app')" "RECONNECT" "RECONNECT app"
start=$SECONDS
assert_eq "$(console -c 'WAIT_CLOSE app')" "WAIT_CLOSE" "WAIT_CLOSE returns"
(( SECONDS - start >= 1 )) || fail "WAIT_CLOSE did not wait for the busy server"
wait "$busy" || fail "the busy client failed across RECONNECT"
psql_sluice trustuser -c 'SELECT 1' >/dev/null
after=$(server_pids)
for pid in $before; do
  [[ " $after " != *" $pid "* ]] || fail "server $pid from before RECONNECT is still open ($after)"
done
log "servers before RECONNECT: $before; after: $after"

# --- KILL_CLIENT and KILL.
bg psql_sluice md5user -c 'SELECT pg_sleep(5)' >"$IT_TMP/victim.out" 2>&1
victim=$BG_PID
sleep 1
id=$(console -c 'SHOW CLIENTS' | awk -F'|' '$2 == "md5user" { print $21 }')
[[ -n $id ]] || fail "md5user not in SHOW CLIENTS"
assert_eq "$(console -c "KILL_CLIENT $id")" "KILL_CLIENT" "KILL_CLIENT $id"
wait "$victim" && fail "the killed client's query succeeded"
assert_contains "$(cat "$IT_TMP/victim.out")" "killed by admin console" "the killed client is told why"
out=$(console -c "KILL_CLIENT $id" 2>&1) && fail "KILL_CLIENT of a gone client succeeded"
assert_contains "$out" "client not found" "KILL_CLIENT of an unknown id"
out=$(console -c "KILL_CLIENT abc" 2>&1) && fail "KILL_CLIENT abc succeeded"
assert_contains "$out" "invalid client pointer supplied" "KILL_CLIENT with a bad id"

bg psql_sluice md5user -c 'SELECT pg_sleep(5)' >"$IT_TMP/victim2.out" 2>&1
victim=$BG_PID
sleep 1
assert_eq "$(console -c 'KILL app')" "KILL" "KILL app"
wait "$victim" && fail "a client of the killed database kept running"
assert_eq "$(console -c 'SHOW DATABASES' | awk -F'|' '$1 == "app" { print $16 }')" "1" "KILL leaves the database paused"
assert_eq "$(console -c 'RESUME app')" "RESUME" "RESUME after KILL"
assert_eq "$(psql_sluice trustuser -c 'SELECT 2')" "2" "served after RESUME"

# --- SHUTDOWN WAIT_FOR_SERVERS: exits once the busy server is released.
bg psql_sluice trustuser -c "SELECT pg_sleep(2), 'finished'" >"$IT_TMP/last.out" 2>&1
last=$BG_PID
sleep 0.5
assert_eq "$(console -c 'SHUTDOWN WAIT_FOR_SERVERS')" "SHUTDOWN" "SHUTDOWN WAIT_FOR_SERVERS"
wait "$last" || fail "the running query was cut by SHUTDOWN WAIT_FOR_SERVERS: $(cat "$IT_TMP/last.out")"
assert_contains "$(cat "$IT_TMP/last.out")" "finished" "the running query finished"
for _ in $(seq 50); do kill -0 "$SLUICE_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SLUICE_PID" 2>/dev/null && fail "sluice still runs after SHUTDOWN WAIT_FOR_SERVERS with no server left"
wait "$SLUICE_PID"; rc=$?
assert_eq "$rc" "0" "exit status after SHUTDOWN WAIT_FOR_SERVERS"
SLUICE_PID=""

# --- SIGINT behaves the same; plain SHUTDOWN exits at once.
sluice_start
bg psql_sluice trustuser -c "SELECT pg_sleep(1.5), 'finished'" >"$IT_TMP/last.out" 2>&1
last=$BG_PID
sleep 0.5
kill -INT "$SLUICE_PID"
wait "$last" || fail "the running query was cut by SIGINT: $(cat "$IT_TMP/last.out")"
for _ in $(seq 50); do kill -0 "$SLUICE_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SLUICE_PID" 2>/dev/null && fail "sluice still runs after SIGINT with no server left"
SLUICE_PID=""
sluice_start
console -c 'SHUTDOWN' >/dev/null 2>&1 || true
for _ in $(seq 50); do kill -0 "$SLUICE_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SLUICE_PID" 2>/dev/null && fail "sluice still runs after SHUTDOWN"
SLUICE_PID=""
log "SHUTDOWN exited"
