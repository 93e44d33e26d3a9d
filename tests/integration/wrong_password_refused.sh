#!/usr/bin/env bash
# A wrong password, and a user that is not in the userlist, are refused by sluice with
# PgBouncer's/PostgreSQL's error text "password authentication failed"; the daemon keeps
# serving correct logins afterwards.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
write_config
sluice_start "$SLUICE_CONFIG"

for u in app md5user trustuser; do
  rc=0
  out=$(psql_to 127.0.0.1 "$SLUICE_PORT" "$u" 'not-the-password' -c 'SELECT 1' 2>&1) || rc=$?
  (( rc != 0 )) || fail "$u with a wrong password was let in (output: $out)"
  assert_contains "$out" 'password authentication failed' "$u with a wrong password"
  assert_not_contains "$out" $'\n1' "$u with a wrong password got no result"
done

rc=0
out=$(psql_to 127.0.0.1 "$SLUICE_PORT" nosuchuser 'whatever' -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "unknown user was let in (output: $out)"
assert_contains "$out" 'password authentication failed' "unknown user"

rc=0
out=$(psql_to "$SLUICE_SOCK" "$SLUICE_PORT" app 'not-the-password' -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "wrong password over the Unix socket was let in (output: $out)"
assert_contains "$out" 'password authentication failed' "wrong password over the Unix socket"

# An empty password must not be accepted either.
rc=0
out=$(psql_to 127.0.0.1 "$SLUICE_PORT" app '' -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "empty password was let in (output: $out)"

sluice_alive
out=$(psql_sluice app -c 'SELECT 42')
assert_eq 42 "$out" "correct login still works after refused ones"
