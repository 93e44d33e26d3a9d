#!/usr/bin/env bash
# Several hosts per database (host=a,b): load_balance_hosts=round-robin spreads new server
# connections over the hosts, =disable sticks to the first; and, beyond PgBouncer, a host that
# refuses connections is skipped (clients never see its error) until server_login_retry passes.
# PostgreSQL listens on 127.0.0.1 and 127.0.0.2; inet_server_addr() tells which one a server
# connection reached. Nothing listens on 127.0.0.3.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
psql_admin -d postgres -c "ALTER SYSTEM SET listen_addresses = '127.0.0.1,127.0.0.2'" >/dev/null
printf 'host all all 127.0.0.2/32 scram-sha-256\n' >>"$PG_DATA/pg_hba.conf"
as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 restart -l "$PG_LOG" -o "-c port=$PG_PORT" \
  >"$IT_TMP/pg_restart.log" 2>&1 || { cat "$IT_TMP/pg_restart.log" >&2; fail "pg_ctl restart failed"; }

# addrs DB N: N concurrent clients each report the server address of their server connection.
addrs() {
  local db=$1 n=$2 i
  for i in $(seq "$n"); do
    psql_sluice app -d "$db" -c 'SELECT host(inet_server_addr()), pg_sleep(1)' >"$IT_TMP/addr.$i" 2>&1 &
  done
  wait
  cat "$IT_TMP"/addr.* | cut -d'|' -f1 | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' '
  rm -f "$IT_TMP"/addr.*
}

write_config pool_mode=session default_pool_size=4
sed -i "/^\[databases\]/a rr = host=127.0.0.1,127.0.0.2 port=$PG_PORT dbname=app\nsticky = host=127.0.0.1,127.0.0.2 port=$PG_PORT dbname=app load_balance_hosts=disable\nhalf = host=127.0.0.3,127.0.0.1 port=$PG_PORT dbname=app" "$SLUICE_CONFIG"
sluice_start

got=$(addrs rr 4)
assert_eq "$got" "127.0.0.1=2 127.0.0.2=2 " "round-robin: four server connections, two per host"
got=$(addrs sticky 4)
assert_eq "$got" "127.0.0.1=4 " "load_balance_hosts=disable: all on the first host"

# 127.0.0.3 refuses: the client is served by 127.0.0.1 and sees no error; for
# server_login_retry (15 s) later logins do not try 127.0.0.3 again.
assert_eq "$(psql_sluice app -d half -c 'SELECT host(inet_server_addr())')" "127.0.0.1" \
  "the first client of a database whose first host refuses is served by the second"
assert_eq "$(grep -c "host 127.0.0.3 skipped" "$SLUICE_LOG")" "1" "the refusal was logged once"
got=$(addrs half 4)
assert_eq "$got" "127.0.0.1=4 " "a refusing host is skipped; every client is served"
assert_eq "$(grep -c "host 127.0.0.3 skipped" "$SLUICE_LOG")" "1" "no new attempt on the skipped host"
sluice_alive
