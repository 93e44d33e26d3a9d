#!/usr/bin/env bash
# Clients queued for a server hold their request, not an I/O buffer: with the pool's only server
# busy, 400 pgbench clients send a query each and queue. sluice's RSS may grow by at most
# SLUICE_QUEUED_BYTES_LIMIT bytes per queued client (default 5120; not asserted in sanitizer
# builds, where ASan's allocator, with redzones, quarantine and shadow memory, decides RSS). A
# queued client that kept the 32 KB buffer its request was read into would pin at least the
# buffer's first page (that alone measured 7.3 kB per queued client, against 3.2 kB for a parked
# request), and all 32 KB of a buffer reused after a large read. Then the server comes free and
# every queued query runs (pgbench: 400 transactions, no failure).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

limit=${SLUICE_QUEUED_BYTES_LIMIT:-5120}
n=400

pg_start
write_config pool_mode=transaction default_pool_size=1 max_client_conn=1000 log_connections=0 \
  admin_users=app workers=1
sluice_start "$SLUICE_CONFIG"

# The pool's server logs in (and the welcome is learnt) before anything is measured.
assert_eq "$(psql_sluice app -c 'SELECT 1')" 1 "a first query"
printf 'SELECT 1;\n' >"$IT_TMP/one.sql"

# The holder keeps the only server busy until it is cancelled.
bg psql_sluice app -c 'SELECT pg_sleep(120)'
holder="FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(120)%' AND state = 'active'"
for ((i = 0; i < 100; i++)); do
  [[ $(psql_admin -d app -c "SELECT count(*) $holder") == 1 ]] && break
  sleep 0.1
done
sleep 0.5
before_kb=$(proc_status_kb "$SLUICE_PID" VmRSS)

PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -h 127.0.0.1 -p "$SLUICE_PORT" -U app -n \
  -c "$n" -j 2 -t 1 -f "$IT_TMP/one.sql" app >"$IT_TMP/pgbench.out" 2>&1 &
pgbench_pid=$!
IT_BG_PIDS+=("$pgbench_pid")
waiting=0
for ((i = 0; i < 300; i++)); do
  waiting=$(app_pool_field 4)  # cl_waiting
  [[ $waiting -ge $n ]] && break
  sleep 0.1
done
assert_eq "$waiting" "$n" "clients queued behind the busy server (cl_waiting)"
with_kb=$(proc_status_kb "$SLUICE_PID" VmRSS)
per_client=$(((with_kb - before_kb) * 1024 / n))
log "sluice VmRSS ${before_kb} kB -> ${with_kb} kB with $n queued clients: ${per_client} bytes each"
assert_rss_bytes_lt "$per_client" "$limit" "RSS growth per queued client (bytes)"

# The server comes free: every queued query runs.
psql_admin -d app -c "SELECT pg_cancel_backend(pid) $holder" >/dev/null
wait "$pgbench_pid" || fail "pgbench failed: $(tail -5 "$IT_TMP/pgbench.out")"
assert_contains "$(cat "$IT_TMP/pgbench.out")" "number of transactions actually processed: $n/$n" \
  "queued transactions that ran"
assert_contains "$(cat "$IT_TMP/pgbench.out")" "number of failed transactions: 0" "pgbench failures"
sluice_alive
log "ok"
