#!/usr/bin/env bash
# The metrics_prometheus plugin against the real daemon and PostgreSQL: /metrics shows a queued
# client (pool of 1, a pg_sleep holder and a waiting client) with pgbouncer_exporter's names and
# labels, stats totals that grow with queries, per-shard counters that add up to them, latency
# histograms whose buckets hold the queued client's wait, and passes
# `promtool check metrics`; the shipped alert rules and dashboard use only exported names; /healthz
# answers 200; RELOAD with a new prometheus_port moves the listener; /readyz answers 200, then 503
# naming the database once PostgreSQL is stopped; SHOW CONFIG lists the exporter's keys.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
PROM_PORT=$(free_port) || fail "no free port for the exporter"
write_config pool_mode=session default_pool_size=1 workers=2 admin_users=app \
  prometheus_listen_addr=127.0.0.1 prometheus_port="$PROM_PORT"
sluice_start

url() { printf 'http://127.0.0.1:%s%s' "$PROM_PORT" "$1"; }
# status PATH: the HTTP status code ("000" when nothing answers).
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$(url "$1")" || true; }
body() { curl -sS --max-time 10 "$(url "$1")"; }
# metric 'NAME{labels}': the sample's value in a fresh scrape, "" when absent.
metric() { body /metrics | awk -v k="$1" '$1 == k { print $2 }'; }
# wait_metric 'NAME{labels}' VALUE: scrape until the sample has VALUE (10 s at most).
wait_metric() {
  local i v=""
  for ((i = 0; i < 100; i++)); do
    v=$(metric "$1")
    [[ $v == "$2" ]] && return 0
    sleep 0.1
  done
  fail "$1 is '$v', expected $2"
}

# The exporter thread binds right after start-up.
for ((i = 0; i < 100; i++)); do
  [[ $(status /healthz) == 200 ]] && break
  sleep 0.1
done
assert_eq "$(status /healthz)" "200" "/healthz status"
assert_eq "$(body /healthz)" "ok" "/healthz body"
grep -q "metrics listening on http://127.0.0.1:$PROM_PORT/metrics" "$SLUICE_LOG" ||
  fail "no 'metrics listening on' line in the log"
assert_eq "$(status /nope)" "404" "unknown path"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 10 "$(url /metrics)")" "405" "POST"
assert_eq "$(psql_sluice app -d pgbouncer -c 'SHOW CONFIG' | grep '^prometheus_port|')" \
  "prometheus_port|$PROM_PORT|0|yes" "SHOW CONFIG lists prometheus_port"
assert_eq "$(psql_sluice app -d pgbouncer -c 'SHOW CONFIG' | grep '^prometheus_listen_addr|')" \
  "prometheus_listen_addr|127.0.0.1|127.0.0.1|yes" "SHOW CONFIG lists prometheus_listen_addr"

assert_eq "$(metric pgbouncer_up)" "1" "pgbouncer_up"
assert_contains "$(body /metrics)" 'pgbouncer_version_info{version="PgBouncer 1.25.2 (sluice ' "version_info"
assert_eq "$(metric pgbouncer_config_max_client_connections)" "200" "max_client_conn from the config"

# --- Stats totals grow with queries.
assert_eq "$(psql_sluice app -c 'SELECT 1')" "1" "first query"
q0=$(metric 'pgbouncer_stats_totals_queries_pooled_total{database="app"}')
[[ $q0 =~ ^[0-9]+$ ]] || fail "no queries_pooled_total for app: '$q0'"
for i in 1 2 3 4 5; do
  psql_sluice app -c "SELECT $i" >/dev/null
done
q1=$(metric 'pgbouncer_stats_totals_queries_pooled_total{database="app"}')
log "queries_pooled_total: $q0 -> $q1"
(( q1 >= q0 + 5 )) || fail "queries_pooled_total went from $q0 to $q1 after 5 queries"
# Per-shard load (workers=2): client connections go round the shards, so both ran queries, and the
# per-shard counters add up to the per-database ones (only app has pools with queries).
scrape=$(body /metrics)
s0=$(awk '$1 == "sluice_shard_queries_total{shard=\"0\"}" { print $2 }' <<<"$scrape")
s1=$(awk '$1 == "sluice_shard_queries_total{shard=\"1\"}" { print $2 }' <<<"$scrape")
total=$(awk '$1 == "pgbouncer_stats_totals_queries_pooled_total{database=\"app\"}" { print $2 }' <<<"$scrape")
log "queries per shard: $s0 + $s1, app total $total"
[[ $s0 =~ ^[0-9]+$ && $s1 =~ ^[0-9]+$ ]] || fail "no sluice_shard_queries_total for shards 0 and 1: '$s0' '$s1'"
(( s0 > 0 && s1 > 0 )) || fail "a shard ran no queries: $s0 $s1"
assert_eq "$((s0 + s1))" "$total" "per-shard queries add up to queries_pooled_total"
assert_eq "$(metric 'pgbouncer_databases_pool_size{name="app",host="127.0.0.1",port="'"$PG_PORT"'",database="app",force_user="",pool_mode=""}')" \
  "1" "databases_pool_size with pgbouncer_exporter's labels"

# --- A queued client: pool of 1 held by pg_sleep (session mode), a second client waits.
bg psql_sluice app -c 'SELECT pg_sleep(4)'
holder=$BG_PID
wait_metric 'pgbouncer_pools_server_active_connections{database="app",user="app"}' 1
bg psql_sluice app -c 'SELECT 42'
waiter=$BG_PID
wait_metric 'pgbouncer_pools_client_waiting_connections{database="app",user="app"}' 1
sleep 0.3  # let the queued client age, so its maxwait is measurably non-zero
scrape=$(body /metrics)
maxwait=$(awk '$1 == "sluice_pools_client_maxwait_seconds{database=\"app\",user=\"app\"}" { print $2 }' <<<"$scrape")
log "sub-second maxwait while queued: $maxwait"
/usr/bin/python3 -c "import sys; v=float(sys.argv[1]); sys.exit(0 if 0.2 < v < 10 else 1)" "$maxwait" ||
  fail "sluice_pools_client_maxwait_seconds is '$maxwait' while a client has queued for >0.3 s"
assert_contains "$scrape" 'pgbouncer_pools_client_waiting_connections{database="app",user="app"} 1' "in the same scrape"
# pgbouncer_exporter 0.12's SHOW CLIENTS grouping (ABI 0.5: the exporter's thread lists clients).
assert_contains "$scrape" 'pgbouncer_client_connections{database="app",user="app",application_name="psql",state="waiting"} 1' "client_connections: the waiter"
assert_contains "$scrape" 'pgbouncer_client_connections{database="app",user="app",application_name="psql",state="active"} 1' "client_connections: the holder"
# promtool: the exposition as a whole is valid and passes Prometheus' lint.
if command -v promtool >/dev/null 2>&1; then
  lint=$(promtool check metrics <<<"$scrape" 2>&1) || fail "promtool check metrics: $lint"
  log "promtool check metrics: ok"
elif [[ ${CI:-} == true ]]; then
  fail "promtool not found; CI must install the Debian package prometheus (scripts/install-deps.sh)"
else
  log "promtool not installed: format not linted"
fi
# Every metric the shipped alert rules and dashboard use is one this scrape exports.
configs=$SLUICE_SOURCE_DIR/configs
printf '%s\n' "$scrape" >"$IT_TMP/scrape.txt"
missing=$(/usr/bin/python3 - "$IT_TMP/scrape.txt" "$configs/prometheus/sluice-alerts.yml" \
  "$configs/grafana/sluice-dashboard.json" <<'PY'
import json, re, sys
exported = set(re.findall(r"^# TYPE (\S+) ", open(sys.argv[1]).read(), re.M))
# Rule file: every non-comment line; dashboard: the queries of its panels and variables.
text = "\n".join(l for l in open(sys.argv[2]) if not l.lstrip().startswith("#"))
dash = json.load(open(sys.argv[3]))
text += "\n".join(t["expr"] for p in dash["panels"] for t in p["targets"])
text += "\n".join(v.get("query", "") for v in dash["templating"]["list"])
used = set(re.findall(r"\b((?:pgbouncer|sluice|process)_[a-z_]*[a-z])\b", text))
hist = set(re.findall(r"^# TYPE (\S+) histogram", open(sys.argv[1]).read(), re.M))
used = {re.sub(r"_(bucket|sum|count)$", "", u) if re.sub(r"_(bucket|sum|count)$", "", u) in hist else u
        for u in used}
print(" ".join(sorted(used - exported)) if len(used) > 20 else "too few metric names found")
PY
)
assert_eq "$missing" "" "metrics used by configs/ but not exported"
if command -v promtool >/dev/null 2>&1; then
  out=$(promtool check rules "$configs/prometheus/sluice-alerts.yml" 2>&1) || fail "promtool check rules: $out"
  out=$(cd "$configs/prometheus" && promtool test rules sluice-alerts_test.yml 2>&1) ||
    fail "promtool test rules: $out"
  log "promtool check rules / test rules: ok"
fi
wait "$holder" || fail "the holder failed"
wait "$waiter" || fail "the queued client failed"
wait_metric 'pgbouncer_pools_client_waiting_connections{database="app",user="app"}' 0
wait_metric 'pgbouncer_pools_client_maxwait_seconds{database="app",user="app"}' 0
# Histograms: exactly one wait (the queued client's, ~3.7 s) falls between 2.5 s and 5 s, and every
# query of the app database was observed once.
scrape=$(body /metrics)
hist() { awk -v k="$1" '$1 == k { print $2 }' <<<"$scrape"; }
b25=$(hist 'sluice_client_wait_seconds_bucket{database="app",le="2.5"}')
b5=$(hist 'sluice_client_wait_seconds_bucket{database="app",le="5"}')
log "client wait histogram: le=2.5 -> $b25, le=5 -> $b5"
[[ $b25 =~ ^[0-9]+$ && $b5 =~ ^[0-9]+$ ]] || fail "no client wait buckets: '$b25' '$b5'"
assert_eq "$((b5 - b25))" "1" "waits between 2.5 s and 5 s"
assert_eq "$(hist 'sluice_query_duration_seconds_count{database="app"}')" \
  "$(hist 'pgbouncer_stats_totals_queries_pooled_total{database="app"}')" "query histogram count = queries_pooled_total"
assert_eq "$(hist 'sluice_query_duration_seconds_sum{database="app"}')" \
  "$(hist 'pgbouncer_stats_totals_queries_duration_seconds_total{database="app"}')" "query histogram sum = queries_duration_seconds_total"
assert_eq "$(hist 'sluice_client_wait_seconds_count{database="app"}')" \
  "$(hist 'sluice_client_wait_seconds_bucket{database="app",le="+Inf"}')" "_count = +Inf bucket"
wait_sec=$(metric 'pgbouncer_stats_totals_client_wait_seconds_total{database="app"}')
log "client_wait_seconds_total after the queued client: $wait_sec"
/usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 1.0 else 1)" "$wait_sec" ||
  fail "client_wait_seconds_total is '$wait_sec' after a client queued for ~3.7 s"

# --- RELOAD moves the listener to a new port without a restart.
old_port=$PROM_PORT
PROM_PORT=$(free_port) || fail "no free port for the exporter"
sed -i "s/^prometheus_port = .*/prometheus_port = $PROM_PORT/" "$SLUICE_CONFIG"
psql_sluice app -d pgbouncer -c 'RELOAD' >/dev/null || fail "RELOAD failed"
for ((i = 0; i < 100; i++)); do
  [[ $(status /healthz) == 200 ]] && break
  sleep 0.1
done
assert_eq "$(status /healthz)" "200" "/healthz on the port RELOAD set"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$old_port/healthz" || true)" \
  "000" "nothing answers on the old port"
assert_eq "$(metric 'pgbouncer_pools_client_waiting_connections{database="app",user="app"}')" "0" \
  "the new listener serves /metrics"

# --- Under pgbench with the pool of 1 (session mode): clients queue behind the one server, and a
# scrape during the run shows them waiting with a non-zero maxwait.
printf 'SELECT pg_sleep(0.02);\n' >"$IT_TMP/sleep.sql"
bg env PGPASSWORD="${IT_PASSWORD[app]}" "$PG_BINDIR/pgbench" -n -h 127.0.0.1 -p "$SLUICE_PORT" -U app \
  -c 8 -j 2 -T 3 -f "$IT_TMP/sleep.sql" app
bench=$BG_PID
seen_waiting="" seen_maxwait=""
for ((i = 0; i < 100; i++)); do
  scrape=$(body /metrics)
  w=$(awk '$1 == "pgbouncer_pools_client_waiting_connections{database=\"app\",user=\"app\"}" { print $2 }' <<<"$scrape")
  m=$(awk '$1 == "sluice_pools_client_maxwait_seconds{database=\"app\",user=\"app\"}" { print $2 }' <<<"$scrape")
  if [[ $w =~ ^[0-9]+$ ]] && (( w > 0 )) &&
    /usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)" "${m:-0}"; then
    seen_waiting=$w seen_maxwait=$m
    break
  fi
  sleep 0.1
done
wait "$bench" || fail "pgbench through the pool of 1 failed"
log "under pgbench: $seen_waiting clients waiting, maxwait $seen_maxwait s"
[[ -n $seen_waiting ]] || fail "no scrape during pgbench showed waiting clients with a non-zero maxwait"

# --- Readiness follows PostgreSQL.
assert_eq "$(status /readyz)" "200" "/readyz while PostgreSQL runs"
assert_eq "$(body /readyz)" "ok: app" "/readyz body"
as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1 || fail "pg_ctl stop failed"
PG_STARTED=0
assert_eq "$(status /readyz)" "503" "/readyz once PostgreSQL is stopped"
assert_eq "$(body /readyz)" "unreachable: app (127.0.0.1:$PG_PORT)" "/readyz names the database"
assert_eq "$(status /healthz)" "200" "/healthz still 200: the process is alive"
assert_eq "$(metric pgbouncer_up)" "1" "pgbouncer_up is about sluice, not PostgreSQL"

log "PASS"
