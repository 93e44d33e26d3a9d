#!/usr/bin/env bash
# auth_query / auth_user (reference §3.2): a user that exists only in PostgreSQL logs in through
# sluice. The lookup runs on a pooled connection as auth_user through a SECURITY DEFINER function
# (what PgBouncer's docs recommend), with the extended protocol; the SCRAM verifier it returns
# serves both the client check (auth_type md5 switches to SCRAM) and, by pass-through, the server
# login — no password of that user is stored anywhere in sluice. PgBouncer's texts for the rest:
# "no such user", "error response from auth_query", "expected 2 columns from auth_query, not 1".
# A role without a password (NULL secret) is refused whatever it sends.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
psql_admin -d postgres -q <<'EOF'
SET password_encryption = 'scram-sha-256';
CREATE ROLE authuser LOGIN PASSWORD 'auth-secret-1';
CREATE ROLE dynuser LOGIN PASSWORD 'dyn-secret-1';
CREATE ROLE nopw LOGIN;
EOF
psql_admin -d app -q <<'EOF'
CREATE FUNCTION public.user_lookup(i_username text, OUT uname text, OUT phash text)
RETURNS record AS $$
BEGIN
  SELECT rolname, rolpassword FROM pg_catalog.pg_authid
   WHERE rolname = i_username AND rolcanlogin INTO uname, phash;
  RETURN;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog;
REVOKE ALL ON FUNCTION public.user_lookup(text) FROM public;
GRANT EXECUTE ON FUNCTION public.user_lookup(text) TO authuser;
EOF

lookup="SELECT uname, phash FROM public.user_lookup(\$1) WHERE uname IS NOT NULL"
write_config auth_type=md5 auth_user=authuser "auth_query=$lookup"
printf '"authuser" "auth-secret-1"\n' >>"$IT_TMP/userlist.txt"
one_col="onecol = host=127.0.0.1 port=$PG_PORT dbname=app auth_query='SELECT \$1::text'"
broken="broken = host=127.0.0.1 port=$PG_PORT dbname=app auth_query='SELECT x FROM no_such_function(\$1)'"
sed -i "/^app = /a $one_col" "$SLUICE_CONFIG"
sed -i "/^app = /a $broken" "$SLUICE_CONFIG"
sluice_start "$SLUICE_CONFIG"

out=$(psql_to 127.0.0.1 "$SLUICE_PORT" dynuser dyn-secret-1 -c 'SELECT current_user') ||
  fail "dynuser (only in PostgreSQL) refused: $out"
assert_eq dynuser "$out" "auth_query user logs in, server login by SCRAM pass-through"
out=$(psql_to "$SLUICE_SOCK" "$SLUICE_PORT" dynuser dyn-secret-1 -c 'SELECT 40 + 2') ||
  fail "dynuser over the Unix socket refused: $out"
assert_eq 42 "$out" "auth_query user, second login (pool reused)"
grep -q 'connection authenticated: identity="dynuser" method=scram-sha-256' "$PG_LOG" ||
  fail "PostgreSQL did not see dynuser log in with SCRAM"

# expect_refused DESCRIPTION TEXT DB USER PASSWORD
expect_refused() {
  local rc=0 out
  out=$(PGPASSWORD=$5 "$PG_BINDIR/psql" -X -At -w -h 127.0.0.1 -p "$SLUICE_PORT" -U "$4" -d "$3" \
    -c 'SELECT 42' 2>&1) || rc=$?
  (( rc != 0 )) || fail "$1: let in ($out)"
  assert_contains "$out" "$2" "$1"
  assert_not_contains "$out" $'\n42' "$1: no result"
}
expect_refused "auth_query user, wrong password" 'SASL authentication failed' app dynuser wrong
expect_refused "user in neither file nor PostgreSQL" 'no such user' app ghost whatever
expect_refused "role without a password, password given" 'password authentication failed' app nopw x
expect_refused "auth_query that fails" 'error response from auth_query' broken dynuser dyn-secret-1
grep -q 'auth_query failed: function no_such_function' "$SLUICE_LOG" ||
  fail "the server's own error is not in the log"
expect_refused "auth_query with one column" 'expected 2 columns from auth_query, not 1' onecol dynuser dyn-secret-1

# RELOAD keeps the pool of an auth_query user (its secret is not in auth_file to compare with).
kill -HUP "$SLUICE_PID"
for _ in $(seq 50); do grep -q 'configuration reloaded' "$SLUICE_LOG" && break; sleep 0.1; done
grep -q 'configuration reloaded' "$SLUICE_LOG" || fail "RELOAD did not complete"
if grep -q 'app/dynuser: server or login settings changed' "$SLUICE_LOG"; then
  fail "RELOAD retired dynuser's pool"
fi

# The auth_user's pool keeps serving after the failures, and userlist users are unaffected.
out=$(psql_to 127.0.0.1 "$SLUICE_PORT" dynuser dyn-secret-1 -c 'SELECT 7') || fail "dynuser after failures: $out"
assert_eq 7 "$out" "auth_query still works after failed lookups"
out=$(psql_sluice app -c 'SELECT current_user') || fail "userlist user refused: $out"
assert_eq app "$out" "auth_file users do not go through auth_query"
sluice_alive
