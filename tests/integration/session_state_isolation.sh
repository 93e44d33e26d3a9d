#!/usr/bin/env bash
# Session pooling with default_pool_size=1: client A changes session state and disconnects;
# client B gets the same server connection (same backend pid) and must see none of A's state —
# sluice resets the server (server_reset_query, default DISCARD ALL) before reusing it.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
write_config pool_mode=session default_pool_size=1
sluice_start "$SLUICE_CONFIG"

default_path=$(psql_sluice app -c 'SHOW search_path')

a_pid=$(psql_sluice app -q <<'SQL'
CREATE SCHEMA IF NOT EXISTS leak_schema;
CREATE TABLE leak_schema.only_in_leak_schema(x int);
SET application_name = 'leaky_client_a';
SET search_path = leak_schema, public;
SET statement_timeout = '4242s';
SET myapp.secret = 'from-client-a';
CREATE TEMP TABLE leak_tmp(x int);
INSERT INTO leak_tmp VALUES (1);
PREPARE leak_stmt AS SELECT 1;
SELECT pg_advisory_lock(4242);
LISTEN leak_channel;
SELECT pg_backend_pid();
SQL
)
a_pid=$(tail -n 1 <<<"$a_pid")
log "client A ran on backend $a_pid"
[[ $a_pid =~ ^[0-9]+$ ]] || fail "client A did not report its backend pid: $a_pid"

out=$(psql_sluice app <<'SQL'
SELECT 'pid=' || pg_backend_pid();
SELECT 'path=' || current_setting('search_path');
SELECT 'app=' || current_setting('application_name');
SELECT 'timeout=' || current_setting('statement_timeout');
SELECT 'secret=' || coalesce(current_setting('myapp.secret', true), '<null>');
SELECT 'temp=' || coalesce(to_regclass('pg_temp.leak_tmp')::text, '<none>');
SELECT 'unqualified=' || coalesce(to_regclass('only_in_leak_schema')::text, '<none>');
SELECT 'prepared=' || count(*) FROM pg_prepared_statements;
SELECT 'advisory=' || count(*) FROM pg_locks WHERE locktype = 'advisory';
SELECT 'listen=' || count(*) FROM pg_listening_channels();
SQL
)
log "client B saw:"$'\n'"$out"
assert_contains "$out" "pid=$a_pid" "client B reuses client A's server connection"
assert_contains "$out" "path=$default_path" "search_path reset"
assert_not_contains "$out" 'leaky_client_a' "application_name of A not visible to B"
assert_contains "$out" 'app=psql' "B has its own application_name"
assert_contains "$out" 'timeout=0' "statement_timeout reset"
assert_not_contains "$out" 'from-client-a' "custom setting reset"
assert_contains "$out" 'temp=<none>' "A's temp table dropped"
assert_contains "$out" 'unqualified=<none>' "A's search_path not in effect"
assert_contains "$out" 'prepared=0' "A's prepared statement deallocated"
assert_contains "$out" 'advisory=0' "A's advisory lock released"
assert_contains "$out" 'listen=0' "A's LISTEN dropped"
sluice_alive
