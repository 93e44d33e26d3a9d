#!/usr/bin/env bash
# A client idle between transactions for a second hibernates: sluice ends its relay coroutines
# (about 2.7 kB of RSS per client) and waits for its next bytes with a plain handler, as before its
# first request. The clients of clients/hibernate.py idle 2.5 s between requests and must not
# notice: a tracked named prepared statement survives, simple queries go on, a Parse split around
# the idle time (the pooler holds half of it meanwhile) arrives whole, and so does a split Query
# (its first half links the server, so that client does not hibernate), and a client idle inside
# a transaction keeps its server and the transaction. sluice's debug log shows exactly the
# expected hibernations: two for the prepared-statement client, one each for the simple and
# split-Parse clients.
# Then the memory: 400 clients run a query each and idle (they hibernate), then 400 more do the
# same. The second wave's RSS growth per client may be at most SLUICE_HIBERNATED_BYTES_LIMIT
# (default 2500; sanitizer builds 16384): it reuses what the hibernated first wave gave back.
# Measured: 1,269 bytes per client, and 3,942 with hibernation switched off.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

clients_dir="$SLUICE_SOURCE_DIR/tests/integration/clients"
pg_start
write_config pool_mode=transaction default_pool_size=1 verbose=1 workers=1 max_client_conn=1000
sluice_start "$SLUICE_CONFIG"

out=$(timeout -k 5 120 /usr/bin/python3 "$clients_dir/hibernate.py" 127.0.0.1 "$SLUICE_PORT" app \
  "${IT_PASSWORD[app]}" app 2.5 2>&1) || fail "hibernate.py failed: $out"
log "$out"
for scenario in prepared simple partial-parse partial-query transaction; do
  assert_contains "$out" "ok $scenario" "scenario $scenario"
done

hibernations=$(grep -c "idle: relay hibernates" "$SLUICE_LOG")
assert_eq "$hibernations" 4 "hibernations in sluice's log"

if [[ ${SLUICE_SANITIZED:-0} == 1 ]]; then
  limit=${SLUICE_HIBERNATED_BYTES_LIMIT:-16384}
else
  limit=${SLUICE_HIBERNATED_BYTES_LIMIT:-2500}
fi
n=400
# Long enough for both waves to be connected when the second is measured.
printf 'SELECT 1;\n\\sleep 8 s\n' >"$IT_TMP/query_then_idle.sql"
# wave LOG: n clients run one query, then idle; WAVE_PID is pgbench's pid.
wave() {
  PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -h 127.0.0.1 -p "$SLUICE_PORT" -U app -n \
    -c "$n" -j 2 -t 1 -f "$IT_TMP/query_then_idle.sql" app >"$1" 2>&1 &
  WAVE_PID=$!
  IT_BG_PIDS+=("$WAVE_PID")
}
# wait_hibernated COUNT: until the log shows COUNT hibernations (at most 30 s).
wait_hibernated() {
  for ((i = 0; i < 300; i++)); do
    (($(grep -c "idle: relay hibernates" "$SLUICE_LOG") >= $1)) && return 0
    sleep 0.1
  done
  fail "only $(grep -c "idle: relay hibernates" "$SLUICE_LOG") of $1 hibernations after 30 s"
}
wave "$IT_TMP/wave1.out"
first=$WAVE_PID
wait_hibernated $((4 + n))
sleep 0.5
rss1=$(proc_status_kb "$SLUICE_PID" VmRSS)
wave "$IT_TMP/wave2.out"
second=$WAVE_PID
wait_hibernated $((4 + 2 * n))
sleep 0.5
rss2=$(proc_status_kb "$SLUICE_PID" VmRSS)
per_client=$(((rss2 - rss1) * 1024 / n))
log "VmRSS with $n hibernated clients ${rss1} kB, with $n more ${rss2} kB: ${per_client} bytes each"
assert_lt "$per_client" "$limit" "RSS growth per client of the second wave (bytes)"
# Every client of both waves ran its query and left cleanly.
wait "$first" || fail "first wave: $(tail -3 "$IT_TMP/wave1.out")"
wait "$second" || fail "second wave: $(tail -3 "$IT_TMP/wave2.out")"
for w in 1 2; do
  assert_contains "$(cat "$IT_TMP/wave$w.out")" "number of transactions actually processed: $n/$n" \
    "wave $w"
done
sluice_alive
