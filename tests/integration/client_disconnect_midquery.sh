#!/usr/bin/env bash
# A client killed (SIGKILL) in the middle of a query must not hurt the daemon or other clients.
# With default_pool_size=1 the only server connection is busy in pg_sleep(30) when the client
# dies; sluice must drop (or otherwise recover) it, so the next client gets a working server
# well before the sleep would have ended — and never the dead client's result.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
write_config default_pool_size=1
sluice_start "$SLUICE_CONFIG"

for round in 1 2; do
  # Started as a plain command so that $! is psql itself (not a subshell around it).
  PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/psql" -X -At -w -h 127.0.0.1 -p "$SLUICE_PORT" -U app -d app \
    -c 'SELECT pg_sleep(30)' >/dev/null 2>&1 &
  victim=$!
  IT_BG_PIDS+=("$victim")
  # Wait until the query really runs on the server (at most 10 s), then one more second.
  for ((i = 0; i < 100; i++)); do
    n=$(psql_admin -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'")
    (( n > 0 )) && break
    sleep 0.1
  done
  (( n > 0 )) || fail "round $round: pg_sleep(30) never became active on the server"
  sleep 1
  [[ $(cat "/proc/$victim/comm" 2>/dev/null) == psql ]] || fail "round $round: pid $victim is not psql"
  kill -9 "$victim"
  wait "$victim" 2>/dev/null || true
  log "round $round: killed psql (pid $victim) mid-query"

  start=$SECONDS
  rc=0
  # Same user and database as the victim: it needs the pool's only server connection.
  out=$(PGPASSWORD=${IT_PASSWORD[app]} timeout 25 "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -At -w \
    -h 127.0.0.1 -p "$SLUICE_PORT" -U app -d app -c 'SELECT 41 + 1' 2>&1) || rc=$?
  took=$((SECONDS - start))
  (( rc == 0 )) || fail "round $round: another client's SELECT through sluice failed (rc=$rc, ${took}s): $out"
  assert_eq 42 "$out" "round $round: another client's SELECT right after the kill"
  assert_lt "$took" 15 "round $round: seconds the next client waited for a server"
  sluice_alive
done

# The daemon keeps serving a burst of short clients.
for i in $(seq 1 10); do
  out=$(psql_sluice app -c "SELECT $i")
  assert_eq "$i" "$out" "client $i after the kills"
done
sluice_alive
