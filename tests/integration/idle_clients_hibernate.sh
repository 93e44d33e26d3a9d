#!/usr/bin/env bash
# A client idle between transactions for a second hibernates: sluice ends its relay coroutines
# (about 3 kB of RSS per client) and waits for its next bytes with a plain handler, as before its
# first request. The clients of clients/hibernate.py idle 2.5 s between requests and must not
# notice: a tracked named prepared statement survives, simple queries go on, a Parse split around
# the idle time (the pooler holds half of it meanwhile) arrives whole, and so does a split Query
# (its first half links the server, so that client does not hibernate), and a client idle inside
# a transaction keeps its server and the transaction. sluice's debug log shows the hibernations
# (at least four: two for the prepared-statement client, one each for the simple and split-Parse
# clients). The same clients run again with prepared-statement tracking off
# (max_prepared_statements = 0: the relay's plain scanner path).
# Then the memory: 400 clients run a query each and idle (they hibernate), then 400 more do the
# same while the first are still connected. The second wave's RSS growth per client may be at most
# SLUICE_HIBERNATED_BYTES_LIMIT (default 2500): it reuses what the hibernated first wave gave back.
# Measured: about 960 bytes per client, and 3,942 with hibernation switched off. Not asserted in
# sanitizer builds, where ASan's allocator (redzones, quarantine, shadow memory) decides RSS.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

clients_dir="$SLUICE_SOURCE_DIR/tests/integration/clients"
hibernations() { grep -c "idle: relay hibernates" "$SLUICE_LOG" || true; }

# run_clients MIN_HIBERNATIONS: clients/hibernate.py through the running sluice.
run_clients() {
  local out
  out=$(timeout -k 5 120 /usr/bin/python3 "$clients_dir/hibernate.py" 127.0.0.1 "$SLUICE_PORT" app \
    "${IT_PASSWORD[app]}" app 2.5 2>&1) || fail "hibernate.py failed: $out"
  log "$out"
  local scenario
  for scenario in prepared simple partial-parse partial-query transaction; do
    assert_contains "$out" "ok $scenario" "scenario $scenario"
  done
  assert_lt $(($1 - 1)) "$(hibernations)" "hibernations in sluice's log (at least $1)"
}

pg_start
write_config pool_mode=transaction default_pool_size=1 verbose=1 workers=1 \
  max_prepared_statements=0
sluice_start "$SLUICE_CONFIG"
# Tracking off: a split Parse is forwarded as it comes (that client does not hibernate either).
run_clients 3

write_config pool_mode=transaction default_pool_size=1 verbose=1 workers=1 max_client_conn=1000
sluice_start "$SLUICE_CONFIG"
run_clients 4

n=400
limit=${SLUICE_HIBERNATED_BYTES_LIMIT:-2500}
printf 'SELECT 1;\n\\sleep 60 s\n' >"$IT_TMP/query_then_idle.sql"
# wave LOG: n clients run one query, then idle; WAVE_PID is pgbench's pid.
wave() {
  PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -h 127.0.0.1 -p "$SLUICE_PORT" -U app -n \
    -c "$n" -j 2 -t 1 -f "$IT_TMP/query_then_idle.sql" app >"$1" 2>&1 &
  WAVE_PID=$!
  IT_BG_PIDS+=("$WAVE_PID")
}
# wait_hibernated COUNT: until the log shows COUNT hibernations (at most 60 s). A client hibernates
# only after its query ran.
wait_hibernated() {
  local i
  for ((i = 0; i < 600; i++)); do
    (($(hibernations) >= $1)) && return 0
    sleep 0.1
  done
  fail "only $(hibernations) of $1 hibernations after 60 s"
}
write_config pool_mode=transaction default_pool_size=1 verbose=1 workers=1 max_client_conn=1000 \
  admin_users=app
sluice_start "$SLUICE_CONFIG"
h0=$(hibernations)
wave "$IT_TMP/wave1.out"
first=$WAVE_PID
wait_hibernated $((h0 + n))
sleep 0.5
rss1=$(proc_status_kb "$SLUICE_PID" VmRSS)
wave "$IT_TMP/wave2.out"
second=$WAVE_PID
wait_hibernated $((h0 + 2 * n))
sleep 0.5
rss2=$(proc_status_kb "$SLUICE_PID" VmRSS)
# Both waves still connected (the console client itself is in the pgbouncer pool, not counted).
# (SHOW POOLS column 3, cl_active: logged-in clients not waiting)
assert_eq "$(app_pool_field 3)" $((2 * n)) "clients of both waves connected at the measurement"
per_client=$(((rss2 - rss1) * 1024 / n))
log "VmRSS with $n hibernated clients ${rss1} kB, with $n more ${rss2} kB: ${per_client} bytes each"
assert_rss_bytes_lt "$per_client" "$limit" "RSS growth per client of the second wave (bytes)"
kill "$first" "$second" 2>/dev/null
wait "$first" "$second" 2>/dev/null || true  # killed: their status is the signal
sluice_alive
