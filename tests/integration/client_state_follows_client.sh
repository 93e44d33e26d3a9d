#!/usr/bin/env bash
# Transaction pooling with one server connection: two clients connected at the same time with
# different startup parameters (TimeZone via PGTZ, application_name via PGAPPNAME) take turns on
# the same backend, and each always sees its own values: sluice SETs them when a client gets a
# server whose values differ (PgBouncer's tracked parameters). With server_check_delay = 0 every
# reuse of an idle server first runs server_check_query (seen in PostgreSQL's statement log).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
psql_admin -d postgres -q -c "ALTER SYSTEM SET log_statement = 'all'"
psql_admin -d postgres -q -c "SELECT pg_reload_conf()" >/dev/null
write_config pool_mode=transaction default_pool_size=1 \
  "server_check_query=SELECT 4242 AS sluice_check" server_check_delay=0
sluice_start "$SLUICE_CONFIG"

# Each client reports its settings and backend 6 times, sleeping between its transactions so
# that the other one gets the server in between.
client_script() {
  local tag=$1 i
  for i in 1 2 3 4 5 6; do
    printf "SELECT '%s|' || current_setting('TimeZone') || '|' || current_setting('application_name') || '|' || pg_backend_pid();\n" "$tag"
    printf "SELECT pg_sleep(0.15);\n"
  done
}
# (Assignments before a function call are in its environment, and so in psql's.)
client_script A | PGTZ=America/New_York PGAPPNAME=client_a psql_sluice app \
  >"$IT_TMP/a.out" 2>"$IT_TMP/a.err" &
a=$!
sleep 0.07
client_script B | PGTZ=Asia/Tokyo PGAPPNAME=client_b psql_sluice app \
  >"$IT_TMP/b.out" 2>"$IT_TMP/b.err" &
b=$!
wait "$a" || fail "client A failed: $(cat "$IT_TMP/a.err")"
wait "$b" || fail "client B failed: $(cat "$IT_TMP/b.err")"

a_lines=$(grep '^A|' "$IT_TMP/a.out")
b_lines=$(grep '^B|' "$IT_TMP/b.out")
log "client A saw:"$'\n'"$a_lines"
log "client B saw:"$'\n'"$b_lines"
assert_eq "$(wc -l <<<"$a_lines")" 6 "client A ran 6 reports"
assert_eq "$(wc -l <<<"$b_lines")" 6 "client B ran 6 reports"
assert_eq "$(cut -d'|' -f2,3 <<<"$a_lines" | sort -u)" "America/New_York|client_a" \
  "client A always sees its own TimeZone and application_name"
assert_eq "$(cut -d'|' -f2,3 <<<"$b_lines" | sort -u)" "Asia/Tokyo|client_b" \
  "client B always sees its own TimeZone and application_name"
# One server connection for both: the values really moved with the clients.
pids=$(cut -d'|' -f4 <<<"$a_lines"$'\n'"$b_lines" | sort -u)
assert_eq "$(wc -l <<<"$pids")" 1 "both clients ran on the one server connection ($pids)"

checks=$(grep -c "statement: SELECT 4242 AS sluice_check" "$PG_LOG" || true)
log "server_check_query ran $checks times"
(( checks >= 6 )) || fail "server_check_query ran $checks times, want at least 6 (a check per reuse)"
sluice_alive
