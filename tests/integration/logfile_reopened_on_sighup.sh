#!/usr/bin/env bash
# logfile + pidfile, and log rotation as operators do it with PgBouncer: move the logfile away,
# send SIGHUP, and the daemon writes to a fresh file at the configured path.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
write_config
logfile=$SLUICE_SOCK/sluice-file.log   # a directory the daemon's user may write to
pidfile=$SLUICE_SOCK/sluice.pid
write_config "logfile=$logfile" "pidfile=$pidfile" log_connections=1
sluice_start "$SLUICE_CONFIG"

assert_eq "$(cat "$pidfile")" "$SLUICE_PID" "pidfile holds the daemon's pid"
assert_eq "$(psql_sluice app -c 'SELECT 1')" "1" "served"
assert_contains "$(cat "$logfile")" "login attempt: db=app user=app" "login logged to the logfile"

mv "$logfile" "$logfile.1"
kill -HUP "$SLUICE_PID"
for _ in $(seq 50); do [[ -f $logfile ]] && break; sleep 0.1; done
[[ -f $logfile ]] || fail "no new logfile after SIGHUP"
assert_eq "$(psql_sluice md5user -c 'SELECT 2')" "2" "served after the reload"
sleep 0.2
assert_contains "$(cat "$logfile")" "login attempt: db=app user=md5user" "new lines go to the new file"
assert_not_contains "$(cat "$logfile.1")" "user=md5user" "nothing new in the rotated file"
sluice_alive

# -d: start-up errors happen before the fork, so they reach the shell with exit status 1.
write_config "logfile=$SLUICE_SOCK/d.log" "pidfile=$SLUICE_SOCK/d.pid" pool_mode=statement \
  plugins=pool_session,auth_md5
rc=0
(cd "$IT_TMP" && timeout 20 "$SLUICE_RUN_BIN" -d "$SLUICE_CONFIG") >"$IT_TMP/d.out" 2>&1 || rc=$?
(( rc == 1 )) || fail "sluice -d with a refused setting exited $rc, want 1"
assert_contains "$(cat "$IT_TMP/d.out")" "pool_mode statement is not available" "the refusal is printed before forking"
[[ ! -e $SLUICE_SOCK/d.pid ]] || fail "a pidfile was left behind by a refused start"

# -d with a good config: the parent returns at once, the daemon serves, the pidfile names it.
write_config "logfile=$SLUICE_SOCK/d.log" "pidfile=$SLUICE_SOCK/d.pid"
(cd "$IT_TMP" && timeout 20 "$SLUICE_RUN_BIN" -d "$SLUICE_CONFIG") || fail "sluice -d failed to start"
for _ in $(seq 50); do [[ -s $SLUICE_SOCK/d.pid ]] && break; sleep 0.1; done
dpid=$(cat "$SLUICE_SOCK/d.pid")
IT_BG_PIDS+=("$dpid")
kill -0 "$dpid" || fail "daemonized sluice (pid $dpid) is not running"
for _ in $(seq 50); do "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$SLUICE_PORT" && break; sleep 0.1; done
assert_eq "$(psql_sluice app -c 'SELECT 3')" "3" "the daemonized sluice serves"
kill -TERM "$dpid"
for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$dpid" 2>/dev/null && fail "daemonized sluice did not exit on SIGTERM"
[[ ! -e $SLUICE_SOCK/d.pid ]] || fail "pidfile not removed at exit"
