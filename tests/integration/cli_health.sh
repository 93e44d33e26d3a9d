#!/usr/bin/env bash
# `sluice health`: one line per check and exit 0 with everything up (pidfile process, console,
# SELECT 1 through the pooler to each database, a forced-user database as its forced user); exit 1
# naming the failing database once PostgreSQL is stopped, 0 again when it is back; --timeout bounds
# a console that never answers; flags instead of a config file.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
write_config admin_users=app pidfile="$IT_TMP/sluice.pid" server_login_retry=1
# A second database whose servers are logged into as md5user (force_user).
sed -i "/^\[databases\]/a forced = host=127.0.0.1 port=$PG_PORT dbname=app user=md5user password=${IT_PASSWORD[md5user]}" \
  "$SLUICE_CONFIG"
sluice_start

health() { "$SLUICE_BIN" health "$@"; }

# --- Everything up: passwords come from the config's auth_file (no PGPASSWORD).
out=$(health "$SLUICE_CONFIG") || fail "sluice health exited $? with everything up: $out"
log "health output:
$out"
assert_contains "$out" "ok    process: pid $SLUICE_PID is running (pidfile $IT_TMP/sluice.pid)" "process line"
assert_contains "$out" "ok    console: SHOW VERSION at 127.0.0.1:$SLUICE_PORT as app: PgBouncer 1.25.2 (sluice" "console line"
assert_contains "$out" "ok    database app: SELECT 1 as app (" "app database line"
assert_contains "$out" "ok    database forced: SELECT 1 as md5user (" "forced-user database line"
assert_not_contains "$out" "pgbouncer:" "the console's virtual database is not queried"
assert_eq "$(wc -l <<<"$out")" 4 "one line per check"

# --- Without a config: -h/-p/-U and PGPASSWORD; the console answering stands for the process.
# With no auth_file to read md5user's password from, the forced database is checked as app.
out=$(PGPASSWORD=${IT_PASSWORD[app]} health -h 127.0.0.1 -p "$SLUICE_PORT" -U app) &&
  fail "md5user's password was found without a config"
assert_contains "$out" "FAIL  database forced: SELECT 1 as md5user: the server asks for a password; none given" \
  "a missing password is named"
out=$(PGPASSWORD=${IT_PASSWORD[app]} health -h 127.0.0.1 -p "$SLUICE_PORT" -U app --db-user app) ||
  fail "sluice health with flags exited $?: $out"
assert_contains "$out" "ok    process: up (no pidfile set; the console answers)" "process line without pidfile"
assert_contains "$out" "ok    database app: SELECT 1 as app (" "app database line with flags"
assert_contains "$out" "ok    database forced: SELECT 1 as app (" "--db-user for the forced database"
# The same over the Unix socket (-h is a directory, as in libpq).
out=$(PGPASSWORD=${IT_PASSWORD[app]} health -h "$SLUICE_SOCK" -p "$SLUICE_PORT" -U app --db-user app) ||
  fail "sluice health over the Unix socket exited $?: $out"
assert_contains "$out" "ok    console: SHOW VERSION at $SLUICE_SOCK/.s.PGSQL.$SLUICE_PORT as app: PgBouncer 1.25.2" "console over the Unix socket"
out=$(PGPASSWORD=wrong health -h 127.0.0.1 -p "$SLUICE_PORT" -U app) && fail "a wrong password passed"
assert_contains "$out" "FAIL  console: 127.0.0.1:$SLUICE_PORT as app: password authentication failed" "wrong password named"

# --- PostgreSQL stopped: the databases fail (named), the pooler checks still pass.
as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null
rc=0
out=$(health "$SLUICE_CONFIG") || rc=$?
log "health output with PostgreSQL stopped (exit $rc):
$out"
assert_eq "$rc" 1 "exit code with PostgreSQL stopped"
assert_contains "$out" "ok    console: SHOW VERSION" "console still answers"
assert_contains "$out" "FAIL  database app: SELECT 1 as app: server connection failed: Connection refused" "app database named as failing, with the pooler's error"
assert_not_contains "$out" "closed the connection" "the FATAL text is reported, not only the close"
assert_contains "$out" "FAIL  database forced: SELECT 1 as md5user: " "forced database named as failing"

# --- PostgreSQL back: 0 again (server_login_retry=1 lets the pool retry within a second).
as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -o "-c port=$PG_PORT" start >/dev/null
rc=1
for ((i = 0; i < 20; i++)); do
  rc=0
  out=$(health "$SLUICE_CONFIG") || rc=$?
  ((rc == 0)) && break
  sleep 0.5
done
assert_eq "$rc" 0 "exit code once PostgreSQL is back"
assert_contains "$out" "ok    database app: SELECT 1 as app (" "app database back"

# --- --timeout: a listener that accepts and never answers.
silent=$(free_port)
bg /usr/bin/python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $silent)); s.listen(5)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
"
sleep 0.5
start=$(date +%s%N)
rc=0
out=$(health -h 127.0.0.1 -p "$silent" -U app --timeout 1) || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
assert_eq "$rc" 1 "exit code against a silent listener"
assert_contains "$out" "FAIL  console: 127.0.0.1:$silent as app: timed out" "timeout named"
assert_lt "$ms" 3000 "--timeout 1 returns within 3 s (took $ms ms)"
sluice_alive
