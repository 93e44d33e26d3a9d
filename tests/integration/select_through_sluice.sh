#!/usr/bin/env bash
# SELECTs through sluice over TCP and over the Unix socket, for four users whose server-side
# login uses four different methods (scram-sha-256, md5, password, trust). Clients log in to
# sluice with auth_type md5 against the plaintext userlist; sluice must then log in to PostgreSQL
# with the method the server asks for, and results must come back unchanged.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
psql_pg app -q <<'SQL'
CREATE TABLE greeting(id int PRIMARY KEY, msg text);
INSERT INTO greeting VALUES (1, 'hello from postgres'), (2, 'grüße 日本 🚀');
GRANT SELECT ON greeting TO PUBLIC;
SQL
write_config
sluice_start "$SLUICE_CONFIG"

for u in app md5user plainuser trustuser; do
  for transport in tcp unix; do
    if [[ $transport == tcp ]]; then via=psql_sluice; else via=psql_sluice_unix; fi
    out=$($via "$u" -c 'SELECT 1') || fail "$u via $transport: SELECT 1 failed: $out"
    assert_eq 1 "$out" "$u via $transport: SELECT 1"
    out=$($via "$u" -c "SELECT current_user || '|' || current_database() || '|' || msg FROM greeting WHERE id = 1") ||
      fail "$u via $transport: query failed: $out"
    assert_eq "$u|app|hello from postgres" "$out" "$u via $transport: server data"
    out=$($via "$u" -c 'SELECT msg FROM greeting WHERE id = 2')
    assert_eq 'grüße 日本 🚀' "$out" "$u via $transport: UTF-8 data"
  done
done

# sluice logged in to the server with each user's own method (PostgreSQL logs the method).
for pair in app:scram-sha-256 md5user:md5 plainuser:password; do
  u=${pair%%:*}
  m=${pair#*:}
  grep -q "identity=\"$u\" method=$m " "$PG_LOG" ||
    fail "PostgreSQL log has no '$u' login with method $m"
  log "ok: server-side login of $u used $m"
done

# A multi-row result, several statements in one query string, and an error in the middle of a
# session that must not break the session.
out=$(psql_sluice app -c 'SELECT count(*), sum(i) FROM generate_series(1, 100000) i')
assert_eq '100000|5000050000' "$out" "aggregate over 100000 rows"
out=$(psql_sluice app -c "SELECT string_agg(i::text, ',') FROM generate_series(1, 20000) i" | md5sum)
exp=$(psql_pg app -c "SELECT string_agg(i::text, ',') FROM generate_series(1, 20000) i" | md5sum)
assert_eq "$exp" "$out" "a 110 kB single value is identical through sluice"
out=$(psql_sluice app -v ON_ERROR_STOP=0 -c 'SELECT 1/0' -c 'SELECT 2' 2>&1 || true)
assert_contains "$out" 'division by zero' "error passed through"
assert_contains "$out" '2' "session usable after an error"
out=$(printf 'SELECT 3;\nSELECT 4;\n' | psql_sluice md5user)
assert_eq $'3\n4' "$out" "two statements from a script"

sluice_alive
