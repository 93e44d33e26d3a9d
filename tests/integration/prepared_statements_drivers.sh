#!/usr/bin/env bash
# Protocol-level prepared statements in transaction mode (issue 8) with real drivers: psycopg 3
# (prepare_threshold=0, and pipeline mode), JDBC (prepareThreshold=1, batches) and node-postgres
# (named queries) each run a mixed workload (clients/ps_psycopg.py, clients/PsJdbc.java,
# clients/ps_node.js: several parameter and result types, inserts, transactions of prepared
# statements, errors inside a transaction then rollback, then more use) in 4 connections at once
# through a pool of 2, then all three at once. Every driver finishes without an error and with
# the right results, its connections ran on more than one backend (one connection's statements on
# a backend it did not prepare them on), and PostgreSQL holds exactly the committed rows.
# A driver that is missing is skipped only when CI is not true. PgBouncer 1.18 fails this test (no
# protocol-level prepared statements before 1.21).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

clients_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/clients" && pwd)
jdbc_jar=/usr/share/java/postgresql.jar
WORKERS=4
ITERS=40

# Which drivers are there (Debian's /usr/bin/python3 carries python3-psycopg).
declare -A have=()
/usr/bin/python3 -c 'import psycopg' 2>/dev/null && have[psycopg]=1
command -v java >/dev/null 2>&1 && [[ -r $jdbc_jar ]] &&
  java --list-modules 2>/dev/null | grep -q '^jdk.compiler@' && have[jdbc]=1
command -v node >/dev/null 2>&1 && [[ -f $clients_dir/node_modules/pg/package.json ]] && have[node]=1
missing=()
for d in psycopg jdbc node; do
  [[ -n ${have[$d]:-} ]] || missing+=("$d")
done
if ((${#missing[@]})); then
  [[ ${CI:-} == true ]] &&
    fail "drivers missing under CI: ${missing[*]} (scripts/install-deps.sh installs python3-psycopg, libpostgresql-jdbc-java, default-jdk-headless, nodejs and npm ci in tests/integration/clients)"
  log "skipping missing drivers: ${missing[*]} (scripts/install-deps.sh installs them)"
  ((${#missing[@]} == 3)) && skip "no driver installed"
fi

pg_start
psql_pg app -q <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL,
                    tags text[] NOT NULL, born date NOT NULL);
INSERT INTO items SELECT g, 'item-' || g, g * 1.5, ARRAY['t' || (g % 3), 'all'], date '2024-01-01' + g
  FROM generate_series(1, 100) g;
CREATE TABLE events (driver text NOT NULL, worker int NOT NULL, seq int NOT NULL, note text NOT NULL,
                     amount numeric(12,2) NOT NULL, at timestamptz NOT NULL DEFAULT now(),
                     PRIMARY KEY (driver, worker, seq));
CREATE TABLE counters (driver text NOT NULL, worker int NOT NULL, n int NOT NULL,
                       PRIMARY KEY (driver, worker));
SQL
# JDBC sends extra_float_digits at startup (as with PgBouncer).
write_config pool_mode=transaction default_pool_size=2 workers=2 admin_users=app \
  ignore_startup_parameters=extra_float_digits
sluice_start "$SLUICE_CONFIG"

client_parses() {
  PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -A -P footer=off -w \
    -h 127.0.0.1 -p "$SLUICE_PORT" -U app -d pgbouncer -c 'SHOW STATS' |
    awk -F'|' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "total_client_parse_count") c = i; next }
               $1 == "app" { print $c }'
}

# driver_cmd DRIVER: the command line of a driver's client program (arguments follow).
driver_cmd() {
  case $1 in
    psycopg) printf '%s\n' /usr/bin/python3 "$clients_dir/ps_psycopg.py" ;;
    jdbc) printf '%s\n' java -cp "$jdbc_jar" "$clients_dir/PsJdbc.java" ;;
    node) printf '%s\n' node "$clients_dir/ps_node.js" ;;
  esac
}

# start_driver DRIVER TAG: run the driver's workload in the background (output in $IT_TMP/TAG.out);
# sets BG_PID.
start_driver() {
  local -a cmd
  mapfile -t cmd < <(driver_cmd "$1")
  bg timeout -k 5 120 "${cmd[@]}" 127.0.0.1 "$SLUICE_PORT" app "${IT_PASSWORD[app]}" "$WORKERS" "$ITERS" "$2" \
    >"$IT_TMP/$2.out" 2>&1
}

# check_driver TAG PID: the workload under TAG finished cleanly, on more than one backend, and
# PostgreSQL holds exactly its committed rows.
check_driver() {
  local tag=$1 pid=$2 rc=0 out pids max_per
  wait "$pid" || rc=$?
  out=$(cat "$IT_TMP/$tag.out")
  (( rc == 0 )) || fail "$tag workload failed (exit status $rc):
$(head -n 40 <<<"$out")"
  assert_contains "$out" "OK" "$tag workload finished"
  pids=$(sed -n 's/^pids //p' <<<"$out")
  max_per=$(sed -n 's/^max_pids_per_worker //p' <<<"$out")
  log "$tag: backends seen: $pids; at most $max_per per connection"
  (( $(tr ',' '\n' <<<"$pids" | grep -c .) > 1 )) || fail "$tag: every query ran on one backend ($pids)"
  (( max_per > 1 )) || fail "$tag: no connection ran on more than one backend"
  assert_eq "$(psql_admin -d app -c "SELECT count(*) FROM events WHERE driver = '$tag'")" "$((WORKERS * ITERS * 3))" \
    "$tag: committed events in PostgreSQL"
  assert_eq "$(psql_admin -d app -c "SELECT count(*) FROM events WHERE driver = '$tag' AND note = 'rolled back'")" "0" \
    "$tag: rolled-back events in PostgreSQL"
  assert_eq "$(psql_admin -d app -c "SELECT count(*) || '/' || sum(n) FROM counters WHERE driver = '$tag'")" \
    "$WORKERS/$((WORKERS * ITERS))" "$tag: counters (workers/increments) in PostgreSQL"
}

# One driver at a time.
for d in psycopg jdbc node; do
  [[ -n ${have[$d]:-} ]] || continue
  before=$(client_parses)
  t0=$SECONDS
  start_driver "$d" "$d"
  check_driver "$d" "$BG_PID"
  after=$(client_parses)
  log "$d: $((SECONDS - t0)) s, $((after - before)) client parses counted by SHOW STATS"
  (( after - before >= WORKERS )) || fail "$d: SHOW STATS counted $((after - before)) client parses, want >= $WORKERS"
  sluice_alive
done

# All drivers at once: the same pool of 2 serves them together, and PostgreSQL never sees more
# than 2 backends of app.
(
  while [[ ! -e $IT_TMP/stop-sampler ]]; do
    psql_admin -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND backend_type = 'client backend'"
    sleep 0.2
  done
) >"$IT_TMP/seen.txt" 2>"$IT_TMP/sampler.err" &
sampler=$!
IT_BG_PIDS+=("$sampler")
declare -A running=()
for d in psycopg jdbc node; do
  [[ -n ${have[$d]:-} ]] || continue
  start_driver "$d" "$d-together"
  running[$d-together]=$BG_PID
done
for tag in "${!running[@]}"; do
  check_driver "$tag" "${running[$tag]}"
done
touch "$IT_TMP/stop-sampler"
wait "$sampler" || true
[[ -s $IT_TMP/sampler.err ]] && fail "sampling pg_stat_activity failed: $(cat "$IT_TMP/sampler.err")"
max_seen=$(sort -n "$IT_TMP/seen.txt" | tail -n 1)
log "pg_stat_activity while all drivers ran: $(wc -l <"$IT_TMP/seen.txt") samples, at most $max_seen backends of app"
(( max_seen >= 1 && max_seen <= 2 )) || fail "PostgreSQL saw $max_seen backends of app, want 1..2"
sluice_alive
