#!/usr/bin/env bash
# Client connection limits refuse the client over the limit with PgBouncer's texts, count per
# database and per login user with [databases]/[users] overrides, and free the slot when the
# client goes: max_client_conn, max_db_client_connections, max_user_client_connections.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start

# hold USER DB NAME: a client connected through sluice for 4 s, application_name NAME (its pid
# in BG_PID).
hold() {
  bg hold_as "$@"
}
hold_as() {
  PGAPPNAME=$3 psql_sluice "$1" -d "$2" -c 'SELECT pg_sleep(4)'
}

# holding NAME...: waits until each named holder runs its query on PostgreSQL (it is past
# sluice's limits then), for at most 20 s.
holding() {
  local names n=0
  names=$(printf "'%s'," "$@")
  for _ in $(seq 200); do
    n=$(psql_admin -c "SELECT count(DISTINCT application_name) FROM pg_stat_activity
                       WHERE state = 'active' AND application_name IN (${names%,})")
    [ "$n" -eq $# ] && return 0
    sleep 0.1
  done
  fail "holders $* expected to run their query, $n of them did"
}

# refused USER DB TEXT WHAT: a new client is refused with FATAL TEXT.
refused() {
  local out
  out=$(psql_sluice "$1" -d "$2" -c 'SELECT 1' 2>&1) && fail "$4: the client was let in: $out"
  assert_contains "$out" "FATAL:  $3" "$4"
}

write_config max_db_client_connections=2 default_pool_size=10
sed -i "/^\[databases\]/a small = host=127.0.0.1 port=$PG_PORT dbname=app max_db_client_connections=1" "$SLUICE_CONFIG"
printf '\n[users]\nmd5user = max_user_client_connections=1\n' >>"$SLUICE_CONFIG"
sluice_start

# Global max_db_client_connections=2 on "app": the third client is refused.
hold app app h1; h1=$BG_PID
hold trustuser app h2; h2=$BG_PID
holding h1 h2
refused plainuser app "client connections exceeded (max_db_client_connections)" \
  "a third client of database app is refused (max_db_client_connections=2)"
# The per-database override: "small" takes one client.
hold app small h3; h3=$BG_PID
holding h3
refused trustuser small "client connections exceeded (max_db_client_connections)" \
  "a second client of database small is refused (its own max_db_client_connections=1)"
wait "$h1" "$h2" "$h3" || fail "a holding client failed"
assert_eq "$(psql_sluice plainuser -c 'SELECT 2')" "2" "slots are given back when clients leave"

# [users] max_user_client_connections=1 for md5user, across databases.
hold md5user app h1; h1=$BG_PID
holding h1
refused md5user small "client connections exceeded (max_user_client_connections)" \
  "md5user's second client is refused (max_user_client_connections=1), even on another database"
assert_eq "$(psql_sluice trustuser -d small -c 'SELECT 3')" "3" "other users are not limited"
wait "$h1" || fail "the holding client failed"
assert_eq "$(psql_sluice md5user -c 'SELECT 4')" "4" "md5user's slot is given back"

# max_client_conn counts every client, logged in or not.
write_config max_client_conn=2
sluice_start
hold app app h1; h1=$BG_PID
hold app app h2; h2=$BG_PID
holding h1 h2
refused trustuser app "no more connections allowed (max_client_conn)" "the third client is refused (max_client_conn=2)"
wait "$h1" "$h2" || fail "a holding client failed"
assert_eq "$(psql_sluice trustuser -c 'SELECT 5')" "5" "max_client_conn slots are given back"
sluice_alive
