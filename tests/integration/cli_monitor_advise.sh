#!/usr/bin/env bash
# `sluice monitor` and `sluice advise` on a pool of one server with one client holding it
# (pg_sleep) and one waiting: the WAITING marker in --pools/--summary/--clients, advise recommends
# a larger pool and prints the same rows psql gets from SHOW ADVICE; --watch refreshes; the
# console still refuses a word after PgBouncer's own SHOWs.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
write_config admin_users=app default_pool_size=1 reserve_pool_size=0
# A transaction-mode database of two servers (its own pool_size) for the pgbench part.
sed -i "/^\[databases\]/a bench = host=127.0.0.1 port=$PG_PORT dbname=app pool_mode=transaction pool_size=2" \
  "$SLUICE_CONFIG"
sluice_start

cli() { "$SLUICE_BIN" "$@"; }
console() { psql_sluice app -d pgbouncer "$@"; }

# --- Nothing running: advise asks PostgreSQL's max_connections through the pooler itself.
out=$(cli advise "$SLUICE_CONFIG") || fail "sluice advise exited $?: $out"
log "advise with an idle pooler:
$out"
assert_contains "$out" "PostgreSQL max_connections = 100 (SHOW max_connections on database app as app)" "max_connections probe"
assert_contains "$out" "no recommendations" "an idle pool of one needs nothing"

# --- One client holds the only server, a second waits.
bg env PGPASSWORD="${IT_PASSWORD[app]}" "$PG_BINDIR/psql" -X -At -h 127.0.0.1 -p "$SLUICE_PORT" -U app -d app \
  -c 'select pg_sleep(10)'
holder=$BG_PID
for ((i = 0; i < 50; i++)); do [[ $(app_pool_field 7) == 1 ]] && break; sleep 0.1; done
assert_eq "$(app_pool_field 7)" 1 "sv_active with the holder"
bg env PGPASSWORD="${IT_PASSWORD[app]}" "$PG_BINDIR/psql" -X -At -h 127.0.0.1 -p "$SLUICE_PORT" -U app -d app \
  -c 'select 1'
waiter=$BG_PID
for ((i = 0; i < 50; i++)); do [[ $(app_pool_field 4) == 1 ]] && break; sleep 0.1; done
assert_eq "$(app_pool_field 4)" 1 "cl_waiting with the waiter"

out=$(cli monitor --pools "$SLUICE_CONFIG") || fail "monitor --pools exited $?"
log "monitor --pools:
$out"
assert_eq "$(head -n 1 <<<"$out" | tr -s ' ')" \
  "database user cl_active cl_waiting sv_active sv_idle sv_used sv_login maxwait pool_mode flags" "--pools header"
row=$(awk '$1 == "app" && $2 == "app"' <<<"$out")
assert_eq "$(awk '{ print $3, $4, $5, $NF }' <<<"$row")" "1 1 1 WAITING" "app/app row: cl_active cl_waiting sv_active flags"
assert_not_contains "$out" $'\e[' "no colour when stdout is not a terminal"

out=$(cli monitor "$SLUICE_CONFIG") || fail "monitor (summary) exited $?"
log "monitor (summary):
$out"
assert_contains "$(head -n 1 <<<"$out")" "db_avg_query_ms" "summary header"
assert_eq "$(awk '$1 == "app" && $2 == "app" { print $4, $NF }' <<<"$out")" "1 WAITING" "summary marks the waiting pool"

out=$(cli monitor --clients "$SLUICE_CONFIG") || fail "monitor --clients exited $?"
log "monitor --clients:
$out"
assert_eq "$(grep -c ' waiting .*WAITING$' <<<"$out")" 1 "one waiting client marked"

# --- advise recommends a larger pool; psql's SHOW ADVICE gives the same rows.
out=$(cli advise --max-connections 100 "$SLUICE_CONFIG") || fail "sluice advise exited $?: $out"
rows=$(console -F '|' -c 'SHOW ADVICE 100')
log "advise under load:
$out
SHOW ADVICE 100:
$rows"
assert_contains "$out" "warning app/app: default_pool_size = 1 -> suggested 2" "advise raises the pool"
assert_contains "$out" "1 client(s) waiting for a server (cl_waiting > 0) with 1 server(s) active and default_pool_size 1" "reason with the numbers"
assert_eq "$(head -n 1 <<<"$rows")" \
  "app|app|warning|default_pool_size|1|2|1 client(s) waiting for a server (cl_waiting > 0) with 1 server(s) active and default_pool_size 1" \
  "SHOW ADVICE row"
expected=$(awk -F'|' '{
  scope = $1; if ($2 != "") scope = scope "/" $2; if (scope == "") scope = "(global)"
  s = ($6 == "") ? "" : " -> suggested " $6
  printf "%-7s %s: %s = %s%s\n        %s\n", $3, scope, $4, $5, s, $7 }' <<<"$rows")
assert_eq "$(tail -n +2 <<<"$out")" "$expected" "advise prints exactly the SHOW ADVICE rows"
header=$(PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/psql" -X -A -w -h 127.0.0.1 -p "$SLUICE_PORT" -U app -d pgbouncer \
  -c 'SHOW ADVICE' | head -n 1)
assert_eq "$header" "database|user|severity|setting|current|suggested|reason" "SHOW ADVICE header"

# --- On a terminal: cleared and redrawn in place, the waiting row coloured red.
out=$(script -qec "$SLUICE_BIN monitor --pools --watch 0.2 --count 2 $SLUICE_CONFIG" /dev/null)
assert_eq "$(grep -o $'\e\[H\e\[2J' <<<"$out" | wc -l)" 2 "each refresh clears the terminal"
assert_contains "$out" $'\e[1;31mapp ' "the waiting pool is red on a terminal"

# --- --watch: at least two refreshes within 3 s (plain separators: stdout is not a terminal).
rc=0
out=$(timeout 3 "$SLUICE_BIN" monitor --pools --watch 1 "$SLUICE_CONFIG") || rc=$?
assert_eq "$rc" 124 "monitor --watch runs until stopped"
refreshes=$(grep -c "^sluice monitor  127.0.0.1:$SLUICE_PORT" <<<"$out")
assert_lt 1 "$refreshes" "refreshes within 3 s of --watch 1 ($refreshes)"
out=$(cli monitor --pools --watch 0.2 --count 3 "$SLUICE_CONFIG") || fail "--count exited $?"
assert_eq "$(grep -c '^sluice monitor' <<<"$out")" 3 "--count 3 refreshes"

wait "$holder" || fail "the holder's query failed"
wait "$waiter" || fail "the waiting client's query failed"

# --- pgbench, 8 clients on a transaction-mode pool of two servers: advise (probing
# max_connections itself, through the idle app pool) recommends a larger pool for bench.
printf 'select pg_sleep(0.05);\n' >"$IT_TMP/sleep.sql"
bg env PGPASSWORD="${IT_PASSWORD[app]}" "$PG_BINDIR/pgbench" -n -f "$IT_TMP/sleep.sql" -c 8 -j 2 -T 6 \
  -h 127.0.0.1 -p "$SLUICE_PORT" -U app bench
load=$BG_PID
sleep 2
out=$(cli advise "$SLUICE_CONFIG") || fail "sluice advise under pgbench exited $?: $out"
log "advise under pgbench:
$out"
assert_contains "$out" "PostgreSQL max_connections = 100 (SHOW max_connections on database app as app)" "probe under load"
assert_contains "$out" "warning bench/app: pool_size = 2 -> suggested " "advise raises bench's pool_size"
assert_contains "$out" "client(s) waiting for a server (cl_waiting > 0) with 2 server(s) active and pool_size 2" "bench reason"
out=$(cli monitor --servers "$SLUICE_CONFIG") || fail "monitor --servers exited $?"
log "monitor --servers under pgbench:
$out"
assert_eq "$(awk '$3 == "bench" && $4 == "active"' <<<"$out" | wc -l)" 2 "both bench servers active"
wait "$load" || fail "pgbench failed"
xacts=$(console -c 'SHOW STATS' | awk -F'|' '$1 == "bench" { print $3 }')
out=$(cli monitor --stats "$SLUICE_CONFIG") || fail "monitor --stats exited $?"
log "monitor --stats after pgbench:
$out"
assert_eq "$(awk '$1 == "bench" { print $9 }' <<<"$out")" "$xacts" "--stats total_xact is SHOW STATS total_xact_count"
(( xacts > 0 )) || fail "no transactions counted for bench"

# --- PgBouncer's own SHOWs still refuse a trailing word; SHOW ADVICE checks its argument.
out=$(console -c 'SHOW POOLS x' 2>&1) && fail "SHOW POOLS x succeeded"
assert_contains "$out" "ERROR:  invalid command 'SHOW POOLS x', use SHOW HELP;" "SHOW POOLS x"
out=$(console -c 'SHOW client_encoding x' 2>&1) && fail "SHOW client_encoding x succeeded"
assert_contains "$out" "ERROR:  invalid command 'SHOW client_encoding x', use SHOW HELP;" "fake SHOW with a word"
out=$(console -c 'SHOW ADVICE lots' 2>&1) && fail "SHOW ADVICE lots succeeded"
assert_contains "$out" "ERROR:  SHOW ADVICE: the argument is PostgreSQL's max_connections, a positive integer" "SHOW ADVICE argument check"
sluice_alive
