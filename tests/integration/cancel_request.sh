#!/usr/bin/env bash
# A CancelRequest sent to sluice reaches the right server backend: psql running pg_sleep(30)
# gets SIGINT after 2 s (psql turns it into a CancelRequest on a new connection to sluice) and
# must end with PostgreSQL's "canceling statement due to user request" well before 30 s. An
# unrelated client on another server connection keeps its query running. In every pool mode:
# in transaction and statement mode the client's key maps to whichever server it holds now.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
for mode in session transaction statement; do
write_config default_pool_size=4 pool_mode=$mode
sluice_start "$SLUICE_CONFIG"

# A bystander whose query must NOT be cancelled.
bystander_out=$IT_TMP/bystander.out
bystander() { psql_sluice md5user -c 'SELECT pg_sleep(5), 7' >"$bystander_out" 2>&1; }
bg bystander
bystander=$BG_PID

for transport in tcp unix; do
  if [[ $transport == tcp ]]; then host=127.0.0.1; else host=$SLUICE_SOCK; fi
  start=$SECONDS
  rc=0
  out=$(PGPASSWORD=${IT_PASSWORD[app]} timeout -s INT 2 "$PG_BINDIR/psql" -X -At -w -h "$host" -p "$SLUICE_PORT" \
    -U app -d app -c 'SELECT pg_sleep(30)' 2>&1) || rc=$?
  took=$((SECONDS - start))
  log "$mode/$transport: psql exited with $rc after ${took}s: $out"
  assert_contains "$out" 'canceling statement due to user request' "$mode/$transport: cancelled query's error"
  assert_lt "$took" 10 "$mode/$transport: seconds until the cancelled query returned"
  sluice_alive
done

wait "$bystander" || fail "the bystander's query failed: $(cat "$bystander_out")"
assert_eq '|7' "$(cat "$bystander_out")" "$mode: bystander's query ran to completion"

out=$(psql_sluice app -c 'SELECT 1')
assert_eq 1 "$out" "$mode: query after the cancels"
done
