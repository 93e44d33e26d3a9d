#!/usr/bin/env bash
# pgbench through sluice in session mode: 10 clients, 2 threads, 10 s of the TPC-B-like script
# (simple protocol), then 5 s of select-only with prepared statements (extended protocol).
# Every transaction must succeed.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -i -s 1 -q -h 127.0.0.1 -p "$PG_PORT" -U app app \
  >"$IT_TMP/pgbench-init.log" 2>&1 || { cat "$IT_TMP/pgbench-init.log" >&2; fail "pgbench -i failed (directly against PostgreSQL)"; }
write_config pool_mode=session default_pool_size=20
sluice_start "$SLUICE_CONFIG"

# run_pgbench NAME ARGS...: run pgbench through sluice and check its report.
run_pgbench() {
  local name=$1
  shift
  local out=$IT_TMP/pgbench-$name.log rc=0
  PGPASSWORD=${IT_PASSWORD[app]} timeout 120 "$PG_BINDIR/pgbench" -h 127.0.0.1 -p "$SLUICE_PORT" -U app \
    "$@" app >"$out" 2>&1 || rc=$?
  local report
  report=$(cat "$out")
  (( rc == 0 )) || fail "pgbench $name exited with $rc:
$report"
  local processed failed
  processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
  [[ -n $processed ]] || fail "pgbench $name: no 'transactions actually processed' line:
$report"
  (( processed > 0 )) || fail "pgbench $name processed no transaction:
$report"
  log "ok: pgbench $name processed $processed transactions"
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
  if [[ -n $failed ]]; then
    assert_eq 0 "$failed" "pgbench $name failed transactions"
  fi
  if grep -Eiq '(^|[^_])(error|fatal|aborted)' "$out"; then
    fail "pgbench $name reported errors:
$report"
  fi
  grep -E '^(tps|latency average|number of)' "$out" >&2 || true
}

run_pgbench tpcb -c 10 -j 2 -T 10
run_pgbench select-prepared -c 10 -j 2 -T 5 -S -M prepared

sluice_alive
out=$(psql_sluice app -c 'SELECT count(*) FROM pgbench_accounts')
assert_eq 100000 "$out" "pgbench_accounts row count through sluice"
