#!/usr/bin/env bash
# Corner cases of protocol-level prepared statements in transaction mode (issue 8), through a pool
# of 2, with clients/ps_edge.py (psycopg 3 and the libpq-free clients/pgwire.py):
#   Flush and pipelines of named Parse/Bind/Execute before one Sync, an error inside one;
#   Close of a named statement, then the same name with other text; Close of unknown names;
#   DEALLOCATE ALL / DISCARD ALL from a client, then its names prepared again, and another
#   client's statement on the same server still working;
#   SQL-level PREPARE / EXECUTE / DEALLOCATE inside one transaction;
#   ALTER TABLE (column type, SELECT * gaining a column) between executions outside a transaction:
#   no "cached plan must not change result type" reaches the client, on either server;
#   Binds of 64 KiB to 4 MB (streamed past their names) with the bytes intact; Close + Sync with
#   no server linked answered by the pooler (no server assignment);
#   max_prepared_statements=3 with 10 statements round-robin: right results, no server holds more
#   than 3 (SHOW SERVERS and PostgreSQL's pg_prepared_statements agree); RELOAD to 5 and to 2
#   while clients run: the new bound holds on the existing servers;
#   session mode: named statements reach PostgreSQL under the client's names, untouched.
# PgBouncer 1.18 fails this test (no protocol-level prepared statements before 1.21).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

clients_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/clients" && pwd)
if ! /usr/bin/python3 -c 'import psycopg' 2>/dev/null; then
  [[ ${CI:-} == true ]] && fail "python3-psycopg is missing (scripts/install-deps.sh installs it)"
  skip "python3-psycopg is missing (scripts/install-deps.sh installs it)"
fi

pg_start

# edge SCENARIO [ARGS...]: run one scenario of ps_edge.py through sluice; fails on any error.
edge() {
  local scenario=$1 out rc=0 t0=$SECONDS
  shift
  out=$(timeout -k 5 90 /usr/bin/python3 "$clients_dir/ps_edge.py" "$scenario" 127.0.0.1 "$SLUICE_PORT" app \
    "${IT_PASSWORD[app]}" "$@" 2>&1) || rc=$?
  (( rc == 0 )) || fail "scenario $scenario failed (exit status $rc):
$(tail -n 30 <<<"$out")"
  assert_contains "$out" "OK $scenario" "scenario $scenario ($((SECONDS - t0)) s)"
  EDGE_OUT=$out
}
EDGE_OUT=""

console() {
  PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -A -P footer=off -w \
    -h 127.0.0.1 -p "$SLUICE_PORT" -U app -d pgbouncer -c "$1"
}

# check_server_bound MAX: every server of app holds at most MAX prepared statements and at least
# one holds exactly MAX, by SHOW SERVERS and by PostgreSQL's pg_prepared_statements, which agree.
check_server_bound() {
  local max=$1 shown counts pid n
  shown=$(console 'SHOW SERVERS' | awk -F'|' '
    NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "prepared_statements") c = i; if ($i == "remote_pid") p = i
                                            if ($i == "database") d = i }; next }
    $d == "app" { print $p, $c }')
  log "SHOW SERVERS (remote_pid prepared_statements): $(tr '\n' ';' <<<"$shown")"
  assert_eq "$(grep -c . <<<"$shown")" "2" "servers of app in SHOW SERVERS"
  edge server-counts
  counts=$(sed -n 's/^server //p' <<<"$EDGE_OUT")
  log "pg_prepared_statements (pid count): $(tr '\n' ';' <<<"$counts")"
  while read -r pid n; do
    (( n <= max )) || fail "backend $pid holds $n prepared statements, max_prepared_statements is $max"
    assert_eq "$(awk -v p="$pid" '$1 == p { print $2 }' <<<"$shown")" "$n" \
      "SHOW SERVERS prepared_statements of backend $pid matches PostgreSQL"
  done <<<"$counts"
  assert_eq "$(awk '{ print $2 }' <<<"$counts" | sort -n | tail -n 1)" "$max" "the fullest server holds max_prepared_statements"
}

# --- Transaction mode, default max_prepared_statements.
write_config pool_mode=transaction default_pool_size=2 workers=2 admin_users=app
sluice_start "$SLUICE_CONFIG"
edge flush
edge close
edge dealloc
edge sqlprepare
edge alter
edge large-bind  # Binds over 64 KiB: names rewritten, parameters streamed
# Close of named statements with no server linked: the pooler answers, no server is assigned.
assignments() {
  console 'SHOW STATS_TOTALS' | awk -F'|' '
    NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "database") d = i; if ($i == "server_assignment_count") a = i }; next }
    $d == "app" { print $a }'
}
before=$(assignments)
edge close-local
after=$(assignments)
assert_eq "$((after - before))" "1" "server assignments for five Parses + Sync, then five Close + Sync"
sluice_alive

# --- max_prepared_statements=3: a per-server LRU of 3 under 10 statements.
write_config pool_mode=transaction default_pool_size=2 workers=2 admin_users=app max_prepared_statements=3
sluice_start "$SLUICE_CONFIG"
edge lru 4 15
log "$(grep executions <<<"$EDGE_OUT")"
check_server_bound 3

# RELOAD with another max_prepared_statements while clients keep executing.
for max in 5 2; do
  rm -f "$IT_TMP/stop-lru"
  bg timeout -k 5 90 /usr/bin/python3 "$clients_dir/ps_edge.py" lru 127.0.0.1 "$SLUICE_PORT" app \
    "${IT_PASSWORD[app]}" 4 5 "$IT_TMP/stop-lru" >"$IT_TMP/lru-$max.out" 2>&1
  lru=$BG_PID
  sleep 1
  sed -i "s/^max_prepared_statements = .*/max_prepared_statements = $max/" "$SLUICE_CONFIG"
  assert_eq "$(console 'RELOAD')" "RELOAD" "RELOAD with max_prepared_statements = $max"
  assert_eq "$(console 'SHOW CONFIG' | awk -F'|' '$1 == "max_prepared_statements" { print $2 }')" "$max" \
    "SHOW CONFIG max_prepared_statements after RELOAD"
  sleep 2
  touch "$IT_TMP/stop-lru"
  wait "$lru" || fail "clients executing across RELOAD (max_prepared_statements = $max) failed:
$(tail -n 20 "$IT_TMP/lru-$max.out")"
  assert_contains "$(cat "$IT_TMP/lru-$max.out")" "OK lru" "clients executing across the RELOAD"
  log "$(grep executions "$IT_TMP/lru-$max.out")"
  check_server_bound "$max"
done
sluice_alive

# --- Session mode: passed through untouched.
write_config pool_mode=session default_pool_size=2 workers=2 admin_users=app
sluice_start "$SLUICE_CONFIG"
edge session
sluice_alive
