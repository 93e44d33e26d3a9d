#!/usr/bin/env bash
# Pool sizing beyond default_pool_size: min_pool_size keeps servers open for a pool with clients;
# reserve_pool_size serves a client queued reserve_pool_timeout with an extra server (and logs
# it); server_login_retry fails new clients fast with the cached login error; server_round_robin
# reuses idle servers in turn instead of the most recent one.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start

app_backends() {
  psql_admin -d app -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND backend_type = 'client backend'"
}

# --- min_pool_size: a pool with one idle client grows to 3 servers by itself.
write_config pool_mode=transaction default_pool_size=5 min_pool_size=3
sluice_start
bg psql_sluice app -c 'SELECT 1' -c '\! sleep 4' -c 'SELECT 2'
holder=$BG_PID
n=0
for _ in $(seq 30); do
  n=$(app_backends)
  (( n >= 3 )) && break
  sleep 0.2
done
assert_eq "$n" "3" "min_pool_size=3 opened three servers for a pool with a client"
sleep 1
assert_eq "$(app_backends)" "3" "and not more"
wait "$holder" || fail "the idle client failed"

# --- reserve_pool_size: the queued client gets a reserve server after reserve_pool_timeout.
write_config pool_mode=transaction default_pool_size=1 reserve_pool_size=1 reserve_pool_timeout=1
sluice_start
bg psql_sluice app -c 'SELECT pg_sleep(5)'
holder=$BG_PID
sleep 0.5
start=$(date +%s%N)
assert_eq "$(psql_sluice app -c 'SELECT 7')" "7" "the queued client is served"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_lt "$elapsed_ms" 4000 "served by a reserve server after ~1 s, not after the 5 s holder (ms)"
grep -q "taking connection from reserve_pool" "$SLUICE_LOG" || fail "no 'taking connection from reserve_pool' in the log"
assert_eq "$(app_backends)" "2" "pool_size 1 + reserve 1 = 2 servers"
wait "$holder" || fail "the holding client failed"

# --- server_login_retry: after a failed login, the next client fails at once with the cache.
dead_port=$(free_port) || fail "no free port for the dead host"
write_config server_login_retry=30 server_connect_timeout=3
sed -i "/^\[databases\]/a down = host=127.0.0.1 port=$dead_port dbname=app" "$SLUICE_CONFIG"
sluice_start
first=$(psql_sluice app -d down -c 'SELECT 1' 2>&1) && fail "a database with no server answered: $first"
log "first client: $first"
start=$(date +%s%N)
second=$(psql_sluice app -d down -c 'SELECT 1' 2>&1) && fail "a database with no server answered: $second"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_contains "$second" "server login has been failing, cached error: " "the second client gets the cached error"
assert_contains "$second" "(server_login_retry)" "naming server_login_retry"
assert_lt "$elapsed_ms" 2000 "and gets it at once (ms)"
assert_eq "$(psql_sluice app -c 'SELECT 8')" "8" "other databases are not affected"

# --- server_round_robin: consecutive transactions go round the idle servers.
pids_in_turn() {
  # Two concurrent clients open two servers; then one client runs 4 transactions in a row.
  bg psql_sluice app -c 'SELECT pg_sleep(1)' >/dev/null
  local h=$BG_PID
  psql_sluice app -c 'SELECT pg_sleep(1)' >/dev/null
  wait "$h"
  psql_sluice app -c 'SELECT pg_backend_pid()' -c 'SELECT pg_backend_pid()' -c 'SELECT pg_backend_pid()' -c 'SELECT pg_backend_pid()' |
    sort -u | wc -l
}
write_config pool_mode=transaction default_pool_size=2 server_round_robin=0
sluice_start
assert_eq "$(pids_in_turn)" "1" "LIFO (default): every transaction reuses the most recent server"
write_config pool_mode=transaction default_pool_size=2 server_round_robin=1
sluice_start
assert_eq "$(pids_in_turn)" "2" "server_round_robin=1: transactions alternate between the servers"

# --- autodb_idle_timeout: a database made from "*" is forgotten once unused that long.
write_config autodb_idle_timeout=1 admin_users=app
sed -i "/^\[databases\]/a * = host=127.0.0.1 port=$PG_PORT" "$SLUICE_CONFIG"
sluice_start
assert_eq "$(psql_sluice app -d postgres -c 'SELECT 10')" "10" "a database served through the * entry"
assert_contains "$(psql_sluice app -d pgbouncer -c 'SHOW DATABASES' | cut -d'|' -f1 | tr '\n' ' ')" "postgres" \
  "SHOW DATABASES lists the auto-created database"
sleep 2.5
assert_not_contains "$(psql_sluice app -d pgbouncer -c 'SHOW DATABASES' | cut -d'|' -f1 | tr '\n' ' ')" "postgres" \
  "autodb_idle_timeout=1 freed it"
grep -q "autodb_idle_timeout, freeing the pool" "$SLUICE_LOG" || fail "no autodb_idle_timeout log line"
assert_eq "$(psql_sluice app -d postgres -c 'SELECT 11')" "11" "and it comes back on the next login"
sluice_alive
