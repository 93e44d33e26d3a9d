#!/usr/bin/env bash
# Client-side timeouts end the client with PgBouncer's error texts, and a server that was busy or
# inside a transaction is closed, never handed to the next client: query_timeout (running, and
# while queued via a [users] override), idle_transaction_timeout, transaction_timeout,
# client_idle_timeout, client_login_timeout (also "server down", while the pool has no server);
# query_wait_notify sends its NOTICE to a queued client, which then runs.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start

# expect_fatal NAME TEXT OUTPUT: the client ended with FATAL TEXT.
expect_fatal() {
  assert_contains "$3" "FATAL:  $2" "$1 ends the client with \"$2\""
}

# Backends of user app that PostgreSQL still has (the pooler's server connections).
app_backends() {
  psql_admin -d app -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND backend_type = 'client backend'"
}

# --- query_timeout: a running query; its server is closed, not reused.
write_config pool_mode=transaction default_pool_size=1 query_timeout=1
sluice_start
out=$(psql_sluice app -c "SELECT 'first=' || pg_backend_pid()" -c 'SELECT pg_sleep(4)' 2>&1) && fail "pg_sleep(4) survived query_timeout=1: $out"
expect_fatal query_timeout query_timeout "$out"
first=$(sed -n 's/^first=//p' <<<"$out")
[[ -n $first ]] || fail "no backend pid in: $out"
next=$(psql_sluice app -c 'SELECT pg_backend_pid()')
[[ $next != "$first" ]] || fail "the server of the timed-out query ($first) was handed out again"
grep -q "closing because: query_timeout" "$SLUICE_LOG" || fail "no 'closing because: query_timeout' in the log"

# --- idle_transaction_timeout and transaction_timeout.
write_config pool_mode=transaction default_pool_size=2 idle_transaction_timeout=1
sluice_start
out=$(psql_sluice app 2>&1 <<'SQL'
BEGIN;
SELECT 'in-tx';
\! sleep 2.5
SELECT 'after';
SQL
) && fail "an idle transaction outlived idle_transaction_timeout=1: $out"
assert_contains "$out" "in-tx" "the transaction ran until it went idle"
assert_not_contains "$out" "after" "nothing ran after the timeout"
expect_fatal idle_transaction_timeout "idle transaction timeout" "$out"
# A busy transaction is not idle: a 2 s statement inside one is fine.
assert_eq "$(psql_sluice app -c 'BEGIN' -c 'SELECT pg_sleep(2)' -c "SELECT 'ok'" -c 'COMMIT' | grep -x ok)" "ok" \
  "a transaction busy for longer than idle_transaction_timeout is not cut"

write_config pool_mode=transaction default_pool_size=2 transaction_timeout=2
sluice_start
out=$(psql_sluice app 2>&1 <<'SQL'
BEGIN;
SELECT 'step1';
\! sleep 1.2
SELECT 'step2';
\! sleep 1.5
SELECT 'step3';
SQL
) && fail "a transaction outlived transaction_timeout=2: $out"
assert_contains "$out" "step2" "the transaction ran while younger than the timeout"
assert_not_contains "$out" "step3" "nothing ran after the timeout"
expect_fatal transaction_timeout "transaction timeout" "$out"
assert_eq "$(psql_sluice app -c 'SELECT 1' -c 'SELECT pg_sleep(0.2)' -c "SELECT 'short'" | grep -x short)" "short" \
  "autocommit statements of a long session are not a long transaction"

# --- client_idle_timeout: an idle client (no server, no request) is closed.
write_config pool_mode=transaction default_pool_size=2 client_idle_timeout=1
sluice_start
out=$(psql_sluice app 2>&1 <<'SQL'
SELECT 'before';
\! sleep 2.5
SELECT 'later';
SQL
) && fail "an idle client outlived client_idle_timeout=1: $out"
assert_contains "$out" "before" "the client worked before going idle"
expect_fatal client_idle_timeout client_idle_timeout "$out"

# --- client_login_timeout: a client that does not finish its login is told and closed.
# stalled_login MODE: connects and, for MODE=password, sends a startup packet and never answers the
# password request (for MODE=silent, sends nothing at all); prints what came back, then
# "closed after S s" (S from the connect) or "still open".
stalled_login() {
  "$py" - "$SLUICE_PORT" "$1" <<'PY'
import socket, struct, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
start = time.monotonic()
s = socket.create_connection(("127.0.0.1", port), timeout=6)
if mode == "password":
    params = b"user\0app\0database\0app\0\0"
    s.sendall(struct.pack("!II", 8 + len(params), 196608) + params)
data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    print("still open")
    sys.exit(0)
while len(data) >= 5:
    t, n = data[:1], struct.unpack("!I", data[1:5])[0]
    body, data = data[5:1 + n], data[1 + n:]
    if t == b"E":
        fields = dict((f[:1], f[1:].decode()) for f in body.split(b"\0") if f)
        print("error", fields.get(b"S"), fields.get(b"C"), fields.get(b"M"))
    else:
        print("message", t.decode())
print(f"closed after {time.monotonic() - start:.1f} s")
PY
}
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)
write_config pool_mode=transaction default_pool_size=2 client_login_timeout=1
sluice_start
out=$(stalled_login password)
assert_contains "$out" "message R" "the stalled client got its password request"
assert_contains "$out" "error FATAL 08P01 client_login_timeout" \
  "a client that does not answer its password request is told client_login_timeout"
secs=$(sed -n 's/^closed after \([0-9.]*\) s$/\1/p' <<<"$out")
[[ -n $secs ]] || fail "the stalled client was not closed: $out"
awk -v s="$secs" 'BEGIN { exit !(s >= 0.9 && s < 3.5) }' ||
  fail "client_login_timeout=1 closed the stalled client after $secs s"
out=$(stalled_login silent)
secs=$(sed -n 's/^closed after \([0-9.]*\) s$/\1/p' <<<"$out")
[[ -n $secs ]] || fail "a client that sent nothing was not closed: $out"
awk -v s="$secs" 'BEGIN { exit !(s >= 0.9 && s < 3.5) }' ||
  fail "client_login_timeout=1 closed a client that sent nothing after $secs s"
grep -q "closing because: client_login_timeout" "$SLUICE_LOG" ||
  fail "no 'closing because: client_login_timeout' in the log"
# A client that logs in on time keeps its session for longer than the timeout.
assert_eq "$(psql_sluice app -c 'SELECT pg_sleep(1.5)' -c "SELECT 'kept'" | grep -x kept)" "kept" \
  "a logged-in client outlives client_login_timeout"

# --- client_login_timeout (server down): the first client of a pool waits for the pool's first
# server (the welcome). A server that accepts the connection and never answers keeps it waiting:
# like PgBouncer, the wait ends at client_login_timeout from the client's connect, with "server
# down", long before server_connect_timeout (30 s here) or query_wait_timeout (120 s).
hung_port=$(free_port)
"$py" - "$hung_port" <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    held.append(s.accept()[0])  # accepted, never answered
PY
IT_BG_PIDS+=("$!")
for ((i = 0; i < 50; i++)); do
  [[ -n $(ss -Hltn "( sport = :$hung_port )" 2>/dev/null) ]] && break
  sleep 0.1
done
[[ -n $(ss -Hltn "( sport = :$hung_port )" 2>/dev/null) ]] || fail "the never-answering server is not listening"
write_config pool_mode=transaction default_pool_size=2 client_login_timeout=1 \
  server_connect_timeout=30
sed -i "/^\[databases\]/a hung = host=127.0.0.1 port=$hung_port dbname=app" "$SLUICE_CONFIG"
sluice_start
t0=$(date +%s.%N)
rc=0
out=$(psql_sluice app -d hung -c 'SELECT 1' 2>&1) || rc=$?
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "a client of a server that never answers: rc=$rc after $secs s: $out"
((rc != 0)) || fail "a client of a server that never answers logged in: $out"
expect_fatal "client_login_timeout=1 while the pool has no server" \
  "client_login_timeout (server down)" "$out"
awk -v s="$secs" 'BEGIN { exit !(s >= 0.9 && s < 3.5) }' ||
  fail "client_login_timeout=1 ended the wait for the pool's first server after $secs s"
# One FATAL, not that one and then the janitor's own client_login_timeout as well.
sleep 0.5  # past the next janitor tick
assert_eq "$(grep -c 'pooler error: client_login_timeout' "$SLUICE_LOG" || true)" 1 \
  "FATALs sent to the client that waited for the pool's first server"
# The pool's own databases still work meanwhile.
assert_eq "$(psql_sluice app -c 'SELECT 2')" 2 "a query on a working database"

# --- query_wait_notify, and query_timeout while queued (a [users] override).
write_config pool_mode=transaction default_pool_size=1 query_wait_notify=1
sed -i "/^\[databases\]/a shared = host=127.0.0.1 port=$PG_PORT dbname=app user=app" "$SLUICE_CONFIG"
printf '\n[users]\nmd5user = query_timeout=1\n' >>"$SLUICE_CONFIG"
sluice_start
bg psql_sluice app -d shared -c 'SELECT pg_sleep(3)'
holder=$BG_PID
sleep 0.5
out=$(psql_sluice trustuser -d shared -c "SELECT 'served'" 2>&1) || fail "a queued client failed: $out"
assert_contains "$out" "NOTICE:  No server connection available in postgres backend, client being queued" \
  "query_wait_notify=1 tells a client queued for over a second"
assert_contains "$out" "served" "the queued client ran once the server was free"
wait "$holder" || fail "the holding client failed"
bg psql_sluice app -d shared -c 'SELECT pg_sleep(3)'
holder=$BG_PID
sleep 0.5
out=$(psql_sluice md5user -d shared -c "SELECT 'never'" 2>&1) && fail "md5user ran despite query_timeout=1 while queued: $out"
expect_fatal "query_timeout (queued, [users] override)" query_timeout "$out"
assert_not_contains "$out" "never" "the timed-out request did not run"
wait "$holder" || fail "the holding client failed (users without the override keep no query_timeout)"
assert_lt "$(app_backends)" 2 "the pool of one never grew"
sluice_alive
