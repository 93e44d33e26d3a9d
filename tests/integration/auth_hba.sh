#!/usr/bin/env bash
# auth_type = hba: the first matching line of auth_hba_file picks the method per connection
# (reference §3.4), each method with its own right/wrong password behaviour; "reject" gives
# "login rejected", no line gives "no authentication method is found"; "peer" on the Unix socket
# checks the client process's OS user through an auth_ident_file map; an @file lists users; a
# RELOAD with a line sluice cannot honour is refused naming file and line, and the old rules keep
# working.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
write_config auth_type=hba "auth_hba_file=$IT_TMP/hba.conf" "auth_ident_file=$IT_TMP/ident.conf"
os_user=$(id -un)
printf 'plainuser\n# comment\n' >"$IT_TMP/plain_users.txt"
cat >"$IT_TMP/hba.conf" <<EOF
# TYPE  DATABASE  USER              ADDRESS       METHOD
local   app       trustuser                       peer map=ops
local   all       all                             reject
host    app       md5user           127.0.0.1/32  md5
host    app       @plain_users.txt  127.0.0.1/32  password
host    app       app               127.0.0.1/32  scram-sha-256
host    app       trustuser         127.0.0.1/32  trust
host    all       rejectme          all           reject
host    all       all               127.0.0.2/32  md5
EOF
printf '# MAP SYSTEM-USER DB-USER\nops %s trustuser\n' "$os_user" >"$IT_TMP/ident.conf"
chmod 0644 "$IT_TMP"/hba.conf "$IT_TMP"/ident.conf "$IT_TMP"/plain_users.txt
sluice_start "$SLUICE_CONFIG"

# expect_refused DESCRIPTION TEXT HOST USER PASSWORD
expect_refused() {
  local rc=0 out
  out=$(psql_to "$3" "$SLUICE_PORT" "$4" "$5" -c 'SELECT 42' 2>&1) || rc=$?
  (( rc != 0 )) || fail "$1: let in ($out)"
  assert_contains "$out" "$2" "$1"
  assert_not_contains "$out" $'\n42' "$1: no result"
}

for u in md5user plainuser app trustuser; do
  out=$(psql_sluice "$u" -c 'SELECT current_user') || fail "hba: $u refused: $out"
  assert_eq "$u" "$out" "hba: $u logs in over TCP with its line's method"
done
expect_refused "md5 line, wrong password" 'password authentication failed' 127.0.0.1 md5user wrong
expect_refused "password line, wrong password" 'password authentication failed' 127.0.0.1 plainuser wrong
expect_refused "scram-sha-256 line, wrong password" 'SASL authentication failed' 127.0.0.1 app wrong
expect_refused "reject line" 'login rejected' 127.0.0.1 rejectme whatever
expect_refused "no matching line" 'no authentication method is found' 127.0.0.1 nosuchuser whatever
# Which method ran shows in what the client was asked: trust asks for nothing (no password given).
out=$(psql_to 127.0.0.1 "$SLUICE_PORT" trustuser '' -c 'SELECT 1') || fail "trust line asked for a password: $out"

# peer over the Unix socket: this process's OS user is mapped to trustuser only.
out=$(psql_to "$SLUICE_SOCK" "$SLUICE_PORT" trustuser '' -c 'SELECT current_user') ||
  fail "peer login of $os_user as trustuser refused: $out"
assert_eq trustuser "$out" "peer with map=ops"
out=$(psql_to "$SLUICE_SOCK" "$SLUICE_PORT" app "${IT_PASSWORD[app]}" -c 'SELECT 42' 2>&1) &&
  fail "Unix socket, app: let in ($out)"
assert_contains "$out" 'FATAL:  login rejected' "Unix socket, app: the reject line (not the peer line)"
printf 'ops %s app\n' "nobody-else" >"$IT_TMP/ident.conf"  # takes effect only on RELOAD
kill -HUP "$SLUICE_PID"
for _ in $(seq 50); do grep -q 'configuration reloaded' "$SLUICE_LOG" && break; sleep 0.1; done
grep -q 'configuration reloaded' "$SLUICE_LOG" || fail "RELOAD did not complete"
expect_refused "peer after the map lost $os_user" 'unix socket login rejected' "$SLUICE_SOCK" trustuser ''

# A RELOAD with a line sluice cannot honour keeps the old rules, and says where the line is.
echo "host all all all ldap" >>"$IT_TMP/hba.conf"
kill -HUP "$SLUICE_PID"
for _ in $(seq 50); do grep -q 'RELOAD failed' "$SLUICE_LOG" && break; sleep 0.1; done
assert_contains "$(cat "$SLUICE_LOG")" "RELOAD failed, keeping the old configuration: $IT_TMP/hba.conf:10: auth_hba_file: unsupported authentication method \"ldap\"" "bad hba line refused with file and line"
out=$(psql_sluice md5user -c 'SELECT 5') || fail "md5user refused after the failed RELOAD: $out"
assert_eq 5 "$out" "old hba rules still serve"
sluice_alive
