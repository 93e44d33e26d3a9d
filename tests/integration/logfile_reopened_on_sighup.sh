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
