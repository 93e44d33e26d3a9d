#!/usr/bin/env bash
# The admin console (psql -d pgbouncer) answers like PgBouncer 1.25: SHOW headers, counters that
# move under pgbench, SHOW CLIENTS/SERVERS across shards, permissions (admin_users, stats_users,
# others refused), PgBouncer's error texts, the drivers' fake SHOW/SET, RELOAD (applied, and
# refused with the old config kept).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -i -s 1 -q -h 127.0.0.1 -p "$PG_PORT" -U app app \
  >"$IT_TMP/pgbench-init.log" 2>&1 || { cat "$IT_TMP/pgbench-init.log" >&2; fail "pgbench -i failed"; }
write_config pool_mode=transaction default_pool_size=2 workers=2 admin_users=app stats_users=md5user stats_period=1
sluice_start

console() { psql_sluice app -d pgbouncer "$@"; }
# header CMD: the column names of a SHOW, '|'-separated, as psql prints them.
header() {
  PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/psql" -X -A -w -h 127.0.0.1 -p "$SLUICE_PORT" -U app -d pgbouncer \
    -c "$1" | head -n 1
}

# --- Headers, as PgBouncer 1.25.2 sends them.
assert_eq "$(header 'SHOW POOLS')" \
  "database|user|cl_active|cl_waiting|cl_active_cancel_req|cl_waiting_cancel_req|sv_active|sv_active_cancel|sv_being_canceled|sv_idle|sv_used|sv_tested|sv_login|maxwait|maxwait_us|pool_mode|load_balance_hosts" \
  "SHOW POOLS header"
assert_eq "$(header 'SHOW DATABASES')" \
  "name|host|port|database|force_user|pool_size|min_pool_size|reserve_pool_size|server_lifetime|pool_mode|load_balance_hosts|max_connections|current_connections|max_client_connections|current_client_connections|paused|disabled" \
  "SHOW DATABASES header"
assert_eq "$(header 'SHOW CLIENTS')" \
  "type|user|database|replication|state|addr|port|local_addr|local_port|connect_time|request_time|wait|wait_us|close_needed|ptr|link|remote_pid|tls|application_name|prepared_statements|id" \
  "SHOW CLIENTS header"
assert_eq "$(header 'SHOW SERVERS')" "$(header 'SHOW CLIENTS')" "SHOW SERVERS has the same header"
assert_eq "$(header 'SHOW STATS')" \
  "database|total_server_assignment_count|total_xact_count|total_query_count|total_received|total_sent|total_xact_time|total_query_time|total_wait_time|total_client_parse_count|total_server_parse_count|total_bind_count|avg_server_assignment_count|avg_xact_count|avg_query_count|avg_recv|avg_sent|avg_xact_time|avg_query_time|avg_wait_time|avg_client_parse_count|avg_server_parse_count|avg_bind_count" \
  "SHOW STATS header"
assert_eq "$(header 'SHOW USERS')" \
  "name|pool_size|reserve_pool_size|pool_mode|max_user_connections|current_connections|max_user_client_connections|current_client_connections" \
  "SHOW USERS header"
assert_eq "$(header 'SHOW CONFIG')" "key|value|default|changeable" "SHOW CONFIG header"
assert_eq "$(header 'show lists')" "list|items" "commands are case-insensitive"
assert_eq "$(console -c 'SHOW LISTS' | cut -d'|' -f1 | tr '\n' ' ')" \
  "databases users peers pools peer_pools free_clients used_clients login_clients free_servers used_servers dns_names dns_zones dns_queries dns_pending " \
  "SHOW LISTS rows in PgBouncer's order"
assert_contains "$(console -c 'SHOW VERSION')" "PgBouncer 1.25.2" "SHOW VERSION names the compatible PgBouncer version"
assert_eq "$(console -c 'SELECT VERSION')" "$(console -c 'SHOW VERSION')" "SELECT x is SHOW x"
assert_eq "$(console -c 'SHOW CONFIG' | grep '^default_pool_size|')" "default_pool_size|2|20|yes" "SHOW CONFIG row"

# --- Counters move under pgbench; a client running on one shard is seen from another.
bg env PGPASSWORD="${IT_PASSWORD[app]}" "$PG_BINDIR/pgbench" -n -S -c 4 -j 2 -T 4 -h 127.0.0.1 -p "$SLUICE_PORT" -U app app \
  >"$IT_TMP/pgbench.log" 2>&1
load=$BG_PID
sleep 2.6  # two stats_periods of traffic: the last closed one has averages
avg=$(console -c 'SHOW STATS' | awk -F'|' '$1 == "app" { print $15 }')
log "avg_query_count while pgbench runs: $avg"
(( avg > 0 )) || fail "avg_query_count is $avg while pgbench runs"
wait "$load" || fail "pgbench failed: $(cat "$IT_TMP/pgbench.log")"
out=$(cat "$IT_TMP/pgbench.log")
xacts=$(console -c 'SHOW STATS' | awk -F'|' '$1 == "app" { print $3 }')
queries=$(console -c 'SHOW STATS' | awk -F'|' '$1 == "app" { print $4 }')
processed=$(sed -nE 's/.*number of transactions actually processed: ([0-9]+).*/\1/p' <<<"$out")
(( xacts >= processed )) || fail "total_xact_count $xacts < pgbench's $processed transactions"
(( queries >= processed )) || fail "total_query_count $queries < pgbench's $processed"
log "SHOW STATS app: $xacts xacts, $queries queries for pgbench's $processed"
grep -Eq "LOG stats: [0-9]+ xacts/s, [0-9]+ queries/s, [0-9]+ client parses/s, [0-9]+ server parses/s, [0-9]+ binds/s, in [0-9]+ B/s, out [0-9]+ B/s, xact [0-9]+ us, query [0-9]+ us, wait [0-9]+ us" "$SLUICE_LOG" ||
  fail "no periodic stats line in the log"
pool=$(console -c 'SHOW POOLS' | grep '^app|app|')
[[ -n $pool ]] || fail "no app/app row in SHOW POOLS"
IFS='|' read -r -a p <<<"$pool"
assert_eq "${p[15]}" "transaction" "SHOW POOLS pool_mode"
(( p[9] + p[10] >= 1 && p[9] + p[10] <= 2 )) || fail "sv_idle+sv_used = ${p[9]}+${p[10]}, want 1..2 after pgbench: $pool"
assert_eq "$(console -c 'SHOW POOLS' | grep -c '^pgbouncer|pgbouncer|')" "1" "the console's own pool is listed"

bg psql_sluice md5user -c 'SELECT pg_sleep(3)' >/dev/null
holder=$BG_PID
sleep 1
clients=$(console -c 'SHOW CLIENTS')
assert_contains "$clients" "C|md5user|app|none|active|127.0.0.1|" "SHOW CLIENTS shows the busy client as active"
assert_contains "$clients" "C|app|pgbouncer|none|" "and the console client itself"
servers=$(console -c 'SHOW SERVERS')
assert_contains "$servers" "S|md5user|app|none|active|127.0.0.1|$PG_PORT|" "SHOW SERVERS shows its server as active"
wait "$holder" || fail "the busy client failed"

# --- Permissions and errors.
stats_user() { psql_sluice md5user -d pgbouncer "$@"; }
assert_contains "$(stats_user -c 'SHOW POOLS')" "app|app|" "a stats user may SHOW"
out=$(stats_user -c 'RELOAD' 2>&1) && fail "a stats user could RELOAD"
assert_contains "$out" "ERROR:  admin access needed" "a stats user may not RELOAD"
out=$(psql_sluice trustuser -d pgbouncer -c 'SHOW POOLS' 2>&1) && fail "a user in neither list got in"
assert_contains "$out" "FATAL:  not allowed" "other users are refused"
out=$(console -c 'SHOW NONSENSE' 2>&1) && fail "SHOW NONSENSE succeeded"
assert_contains "$out" "ERROR:  invalid command 'SHOW NONSENSE', use SHOW HELP;" "unknown command text"
out=$(console -c 'SHOW HELP' 2>&1)
assert_contains "$out" "NOTICE:  Console usage" "SHOW HELP"
assert_eq "$(console -c 'SHOW client_encoding')" "UTF-8" "fake SHOW client_encoding for drivers"
assert_contains "$(console -c "SET client_encoding = 'UTF8'" 2>&1)" "SET ignored" "fake SET"

# --- Beyond PgBouncer: the extended query protocol (psycopg 3 uses it for every execute()).
if [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import psycopg' 2>/dev/null; then
  out=$(PGPASSWORD=${IT_PASSWORD[app]} /usr/bin/python3 - "$SLUICE_PORT" <<'PY' 2>&1
import sys, psycopg
with psycopg.connect(host="127.0.0.1", port=int(sys.argv[1]), user="app", dbname="pgbouncer",
                     autocommit=True) as conn:
    cur = conn.execute("SHOW POOLS")
    names = [c.name for c in cur.description]
    rows = cur.fetchall()
    print("columns", len(names), names[0], names[-1])
    print("app row", any(r[0] == "app" and r[1] == "app" for r in rows))
    print("version", conn.execute("SHOW VERSION").fetchone()[0].startswith("PgBouncer 1.25.2"))
    conn.execute("RELOAD")
    print("reload ok")
    try:
        conn.execute("SHOW NONSENSE")
    except psycopg.Error as e:
        print("error", str(e).strip())
    print("after error", conn.execute("SHOW STATE").fetchall()[0])
PY
  ) || fail "psycopg 3 on the console failed: $out"
  log "psycopg 3: $out"
  assert_contains "$out" "columns 17 database load_balance_hosts" "psycopg 3 gets SHOW POOLS' 17 columns"
  assert_contains "$out" "app row True" "psycopg 3 sees the app pool"
  assert_contains "$out" "version True" "psycopg 3 SHOW VERSION"
  assert_contains "$out" "reload ok" "psycopg 3 RELOAD"
  assert_contains "$out" "error invalid command 'SHOW NONSENSE', use SHOW HELP;" "psycopg 3 gets the console's error"
  assert_contains "$out" "after error ('active', 'yes')" "the connection is usable after an error"
elif [[ ${CI:-} == true ]]; then
  fail "python3-psycopg is missing (scripts/install-deps.sh installs it)"
fi

# --- SET key = value: applied at once; refused with a reason otherwise.
assert_eq "$(console -c 'SET default_pool_size = 4')" "SET default_pool_size=4" "SET default_pool_size"
assert_eq "$(console -c 'SHOW CONFIG' | grep '^default_pool_size|' | cut -d'|' -f2)" "4" "SHOW CONFIG after SET"
assert_eq "$(console -c "SET application_name_add_host TO '1'")" "SET application_name_add_host=1" "SET ... TO 'string'"
out=$(console -c 'SET listen_port = 1' 2>&1) && fail "SET listen_port succeeded"
assert_contains "$out" "listen_port cannot be changed while running" "SET of a restart-only key"
out=$(console -c 'SET nosuch = 1' 2>&1) && fail "SET nosuch succeeded"
assert_contains "$out" "unknown config parameter: nosuch" "SET of an unknown key"
out=$(console -c 'SET default_pool_size = lots' 2>&1) && fail "SET default_pool_size = lots succeeded"
assert_contains "$out" "ERROR:" "SET with a bad value is refused"
out=$(stats_user -c 'SET default_pool_size = 5' 2>&1) && fail "a stats user could SET"
assert_contains "$out" "admin access needed" "a stats user may not SET"

# --- RELOAD: applied; a broken config is refused and the old one kept.
# A client connected across the RELOAD keeps working; the existing pool grows to 3 servers.
bg psql_sluice app -c "SELECT 'before'" -c '\! sleep 2' -c "SELECT 'after reload'" >"$IT_TMP/across.out" 2>&1
across=$BG_PID
sleep 0.5
sed -i 's/^default_pool_size = 2$/default_pool_size = 3/' "$SLUICE_CONFIG"
assert_eq "$(console -c 'RELOAD')" "RELOAD" "RELOAD succeeds with its command tag"
assert_eq "$(console -c 'SHOW DATABASES' | awk -F'|' '$1 == "app" { print $6 }')" "3" "SHOW DATABASES pool_size after RELOAD"
for i in 1 2 3 4; do
  bg psql_sluice app -c 'SELECT pg_sleep(1.5)' >/dev/null
done
sleep 0.8
n=$(psql_admin -d app -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND backend_type = 'client backend' AND query LIKE '%pg_sleep(1.5)%'")
assert_eq "$n" "3" "the existing pool now opens default_pool_size=3 servers (4 clients, 3 running)"
wait "$across" || fail "a client connected across RELOAD failed: $(cat "$IT_TMP/across.out")"
assert_contains "$(cat "$IT_TMP/across.out")" "after reload" "the client connected across RELOAD kept working"
sleep 2
printf 'default_pool_size = lots\n' >>"$SLUICE_CONFIG"
out=$(console -c 'RELOAD' 2>&1) && fail "RELOAD of a broken config succeeded"
assert_contains "$out" "ERROR:  RELOAD failed, see logs for additional details" "a bad RELOAD is refused"
assert_contains "$out" "DETAIL:  $SLUICE_CONFIG:" "the RELOAD error names the file (and line)"
assert_contains "$out" "default_pool_size" "and the key"
grep -q "RELOAD failed, keeping the old configuration: .*sluice.ini:[0-9]*.*default_pool_size" "$SLUICE_LOG" ||
  fail "the log does not name file, line and key of the bad RELOAD"
assert_eq "$(console -c 'SHOW CONFIG' | grep '^default_pool_size|' | cut -d'|' -f2)" "3" "the old configuration stays"
assert_eq "$(psql_sluice app -c 'SELECT 1')" "1" "clients still served"
sluice_alive
