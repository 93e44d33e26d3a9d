#!/usr/bin/env bash
# A client that gives up while queued for a server (default_pool_size=1, the only server busy)
# must not have its statement run later on the server it would have got; the pool stays usable.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
psql_pg app -c 'CREATE TABLE IF NOT EXISTS left_behind(x int)' >/dev/null
write_config pool_mode=session default_pool_size=1
sluice_start "$SLUICE_CONFIG"

bg psql_sluice app -c 'SELECT pg_sleep(3)'
holder=$BG_PID
sleep 1
# B queues behind A with an INSERT, then goes away before a server is free.
bg psql_sluice app -c 'INSERT INTO left_behind VALUES (1)'
quitter=$BG_PID
sleep 1
kill_tree "$quitter"
wait "$holder" || fail "the holding client failed"
sleep 1

assert_eq "$(psql_pg app -c 'SELECT count(*) FROM left_behind')" "0" "the departed client's INSERT never ran"
assert_eq "$(psql_sluice app -c 'SELECT 5')" "5" "the pool still serves"
sluice_alive
