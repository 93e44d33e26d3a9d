#!/usr/bin/env bash
# Bad configuration gets a clear error naming file, line and key; RELOAD (SIGHUP) with a broken
# file keeps the old configuration and keeps serving; PGBOUNCER_* environment overrides apply.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start

# 1. Unknown key at start-up: refused, naming file, line and key.
write_config bogus_key=1
line=$(grep -n '^bogus_key' "$SLUICE_CONFIG" | cut -d: -f1)
rc=0
(cd "$IT_TMP" && timeout 20 "$SLUICE_RUN_BIN" "$SLUICE_CONFIG") >"$IT_TMP/bad.out" 2>&1 || rc=$?
(( rc != 0 && rc != 124 )) || fail "unknown key accepted (exit $rc)"
assert_contains "$(cat "$IT_TMP/bad.out")" "$SLUICE_CONFIG:$line: bogus_key: unknown parameter" "unknown key names file, line and key"

# 2. Bad value.
write_config default_pool_size=lots
line=$(grep -n '^default_pool_size' "$SLUICE_CONFIG" | cut -d: -f1)
rc=0
(cd "$IT_TMP" && timeout 20 "$SLUICE_RUN_BIN" "$SLUICE_CONFIG") >"$IT_TMP/bad2.out" 2>&1 || rc=$?
(( rc != 0 && rc != 124 )) || fail "bad value accepted (exit $rc)"
assert_contains "$(cat "$IT_TMP/bad2.out")" "$SLUICE_CONFIG:$line: default_pool_size:" "bad value names file, line and key"
assert_contains "$(cat "$IT_TMP/bad2.out")" "lots" "bad value is quoted"

# 2b. Settings this build cannot honour are refused at start-up, not at every login: a pool mode
# no loaded plugin provides (the plugin set here leaves pool_transaction out), client TLS without
# its key and certificate, and a server CA file that does not exist.
for kv in "pool_mode=transaction plugins=pool_session,auth_md5|pool_mode transaction is not available: no loaded plugin provides it" \
  "client_tls_sslmode=require|TLS needs client_tls_key_file and client_tls_cert_file" \
  "server_tls_sslmode=verify-full server_tls_ca_file=/nonexistent/ca.crt|server_tls_ca_file"; do
  setting=${kv%%|*}
  # shellcheck disable=SC2086  # several key=value words
  write_config $setting
  rc=0
  (cd "$IT_TMP" && timeout 20 "$SLUICE_RUN_BIN" "$SLUICE_CONFIG") >"$IT_TMP/unsupported.out" 2>&1 || rc=$?
  (( rc != 0 && rc != 124 )) || fail "$setting accepted (exit $rc)"
  assert_contains "$(cat "$IT_TMP/unsupported.out")" "${kv#*|}" "$setting refused at start-up"
done

# 3. Environment override: PGBOUNCER_MAX_CLIENT_CONN=1 lets one client in, refuses the second.
write_config
export PGBOUNCER_MAX_CLIENT_CONN=1
sluice_start "$SLUICE_CONFIG"
unset PGBOUNCER_MAX_CLIENT_CONN
bg psql_sluice app -c 'SELECT pg_sleep(3)'
holder=$BG_PID
sleep 1
rc=0
second=$(psql_sluice app -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "second client admitted despite PGBOUNCER_MAX_CLIENT_CONN=1: $second"
assert_contains "$second" "no more connections allowed (max_client_conn)" "max_client_conn from the environment"
wait "$holder" || fail "the first client failed"

# SIGUSR1/SIGUSR2 (PgBouncer's PAUSE/RESUME) must not kill the daemon.
kill -USR1 "$SLUICE_PID"
kill -USR2 "$SLUICE_PID"
sleep 0.5
sluice_alive
assert_eq "$(psql_sluice app -c 'SELECT 7')" "7" "serving after SIGUSR1/SIGUSR2"

# 4. RELOAD with a broken file keeps the old config and keeps serving.
echo "default_pool_size = lots" >>"$SLUICE_CONFIG"
kill -HUP "$SLUICE_PID"
sleep 1
assert_contains "$(cat "$SLUICE_LOG")" "RELOAD failed, keeping the old configuration" "reload error logged"
assert_contains "$(cat "$SLUICE_LOG")" "default_pool_size" "reload error names the key"
assert_eq "$(psql_sluice app -c 'SELECT 42')" "42" "still serving after the failed reload"
sluice_alive
