#!/usr/bin/env bash
# pool_mode = transaction: 10 pgbench clients share 2 server connections with no failed
# transaction, PostgreSQL never sees more than 2 connections from sluice, and one client's
# consecutive transactions may land on different backends. pool_mode = statement: single
# statements work; an explicit BEGIN closes the client with PgBouncer's error.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -i -s 1 -q -h 127.0.0.1 -p "$PG_PORT" -U app app \
  >"$IT_TMP/pgbench-init.log" 2>&1 || { cat "$IT_TMP/pgbench-init.log" >&2; fail "pgbench -i failed"; }
write_config pool_mode=transaction default_pool_size=2 workers=2
sluice_start "$SLUICE_CONFIG"

# Sample PostgreSQL's view while pgbench runs: never more than 2 connections from sluice.
max_seen=0
(
  for _ in $(seq 20); do
    psql_admin -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND backend_type = 'client backend'"
    sleep 0.25
  done
) >"$IT_TMP/seen.txt" &
sampler=$!
out=$(PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -n -c 10 -j 2 -T 6 -h 127.0.0.1 -p "$SLUICE_PORT" -U app app 2>&1) ||
  fail "pgbench through sluice failed: $out"
wait "$sampler"
max_seen=$(sort -n "$IT_TMP/seen.txt" | tail -n 1)
log "pgbench (transaction mode): $(grep -E 'processed|failed' <<<"$out" | tr '\n' ' ')"
assert_contains "$out" "number of failed transactions: 0" "no failed transaction"
processed=$(sed -nE 's/.*number of transactions actually processed: ([0-9]+).*/\1/p' <<<"$out")
(( processed > 0 )) || fail "pgbench processed no transaction"
(( max_seen >= 1 && max_seen <= 2 )) || fail "PostgreSQL saw $max_seen connections from sluice, want 1..2"

# A transaction keeps its server; between transactions the client may move.
tx=$(psql_sluice app <<'SQL'
BEGIN;
SELECT 'a=' || pg_backend_pid();
SELECT 'b=' || pg_backend_pid();
COMMIT;
SQL
)
a=$(sed -n 's/^a=//p' <<<"$tx")
b=$(sed -n 's/^b=//p' <<<"$tx")
assert_eq "$a" "$b" "both statements of one transaction ran on the same backend"

# Statement mode.
write_config pool_mode=statement default_pool_size=2
sluice_start "$SLUICE_CONFIG"
assert_eq "$(psql_sluice app -c 'SELECT 11')" "11" "a single statement works in statement mode"
assert_eq "$(psql_sluice app -c 'BEGIN; SELECT 12; COMMIT;' | grep -x 12)" "12" "BEGIN..COMMIT in one Query packet is allowed"
rc=0
err=$(psql_sluice app <<'SQL' 2>&1
BEGIN;
SELECT 13;
SQL
) || rc=$?
(( rc != 0 )) || fail "explicit BEGIN was accepted in statement mode: $err"
assert_contains "$err" "transaction blocks not allowed in statement pooling mode" "explicit BEGIN refused"
assert_eq "$(psql_sluice app -c 'SELECT 14')" "14" "the pool still serves after the refusal"
sluice_alive
