#!/usr/bin/env bash
# Client-side TLS (client_tls_*), with certificates this test makes with the openssl CLI: psql with
# sslmode=verify-full (the chain and the host name check out) and require get TLS, also for large
# results, COPY in and pgbench -M prepared in transaction mode; a plain client gets PgBouncer's
# "SSL required"; the Unix socket stays plain; SHOW CLIENTS and the login log show the protocol
# and cipher; client_tls_sslmode=verify-full wants a client certificate from the CA; RELOAD swaps
# the TLS settings for new clients (SSLRequest then answered 'N' with disable).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
command -v openssl >/dev/null || fail "openssl CLI missing"

# make_certs DIR: a CA, a server certificate for 127.0.0.1/localhost, client certificates with
# CN=app and CN=md5user, and a certificate from an unrelated CA.
make_certs() {
  local d=$1
  mkdir -p "$d"
  (
    cd "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=sluice test CA" -keyout ca.key -out ca.crt
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=other CA" -keyout other-ca.key -out other-ca.crt
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
      -keyout server.key -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.crt
    for cn in app md5user; do
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$cn" \
        -keyout "client-$cn.key" -out "client-$cn.csr"
      openssl x509 -req -in "client-$cn.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -out "client-$cn.crt"
    done
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=app" \
      -keyout client-stranger.key -out client-stranger.csr
    openssl x509 -req -in client-stranger.csr -CA other-ca.crt -CAkey other-ca.key \
      -CAcreateserial -days 2 -out client-stranger.crt
  ) >"$IT_TMP/openssl.log" 2>&1 || { cat "$IT_TMP/openssl.log" >&2; fail "openssl failed"; }
  chmod 0600 "$d"/*.key
  if (( EUID == 0 )); then
    chown "$(it_service_user)" "$d/server.key"
  fi
  chmod 0755 "$d"
  chmod 0644 "$d"/*.crt
}
CERTS=$IT_TMP/certs
make_certs "$CERTS"

tls_keys=("client_tls_key_file=$CERTS/server.key" "client_tls_cert_file=$CERTS/server.crt"
  "client_tls_ca_file=$CERTS/ca.crt")
write_config pool_mode=transaction default_pool_size=2 admin_users=app client_tls_sslmode=require \
  "${tls_keys[@]}"
sluice_start "$SLUICE_CONFIG"

# reconfigure [key=value ...]: the same config with other TLS settings, on the same port.
reconfigure() {
  local port=$SLUICE_PORT
  write_config pool_mode=transaction default_pool_size=2 admin_users=app "listen_port=$port" "$@"
  SLUICE_PORT=$port
}

# tls_psql MODE USER [psql args...]: psql through sluice over TCP with sslmode MODE, trusting
# the test CA; CLIENT_CERT=name adds client-NAME.crt/.key.
tls_psql() {
  local mode=$1 user=$2
  shift 2
  local cert=/nonexistent/no.crt key=/nonexistent/no.key
  if [[ -n ${CLIENT_CERT:-} ]]; then
    cert=$CERTS/client-$CLIENT_CERT.crt
    key=$CERTS/client-$CLIENT_CERT.key
  fi
  PGSSLMODE=$mode PGSSLROOTCERT=${ROOT_CERT:-$CERTS/ca.crt} PGSSLCERT=$cert PGSSLKEY=$key \
    psql_sluice "$user" "$@"
}

# 1. verify-full: the chain verifies against the test CA and 127.0.0.1 is in the certificate.
out=$(tls_psql verify-full app -c 'SELECT 40 + 2') || fail "verify-full refused: $out"
assert_eq 42 "$out" "psql sslmode=verify-full through sluice"
out=$(tls_psql verify-full app -c '\conninfo') || fail "conninfo: $out"
assert_contains "$out" 'SSL connection (protocol: TLSv1.3' "the client sees TLS 1.3"
out=$(tls_psql require app -c 'SELECT current_user') || fail "require refused: $out"
assert_eq app "$out" "psql sslmode=require"
assert_contains "$(cat "$SLUICE_LOG")" "login attempt: db=app user=app tls=TLSv1.3/" "log_connections shows the TLS version"

# A client that trusts another CA refuses sluice's certificate.
rc=0
out=$(ROOT_CERT=$CERTS/other-ca.crt tls_psql verify-full app -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "verify-full against the wrong CA succeeded"
assert_contains "$out" "certificate verify failed" "wrong CA: the client refuses the chain"

# 2. client_tls_sslmode=require: plain TCP is refused with PgBouncer's text; the Unix socket is
# never TLS and not held to require.
rc=0
out=$(tls_psql disable app -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "plain client let in with client_tls_sslmode=require"
assert_contains "$out" "FATAL:  SSL required" "sslmode=disable refused"
out=$(PGSSLMODE=prefer psql_sluice_unix app -c 'SELECT 7') || fail "Unix socket refused: $out"
assert_eq 7 "$out" "the Unix socket stays plain under require"

# 3. The relay in both directions: large results, COPY in, and what a direct connection returns.
want=$(psql_pg app -c "SELECT md5(string_agg(i::text || repeat('x', i % 300), ',' ORDER BY i)) FROM generate_series(1, 200000) i")
got=$(tls_psql require app -c "SELECT i::text || repeat('x', i % 300) FROM generate_series(1, 200000) i" | paste -sd, | tr -d '\n' | md5sum | cut -d' ' -f1)
assert_eq "$want" "$got" "200,000 rows (about 30 MB) over TLS, byte for byte"
psql_pg app -q -c 'CREATE TABLE tls_copy (i int, t text)'
seq 1 100000 | awk '{ printf "%d\t%s\n", $1, sprintf("%0*d", $1 % 500, 0) }' >"$IT_TMP/copy.tsv"
tls_psql require app -c "\\copy tls_copy FROM '$IT_TMP/copy.tsv'" >/dev/null || fail "COPY in over TLS failed"
assert_eq "$(psql_pg app -c 'SELECT count(*), sum(length(t)) FROM tls_copy')" \
  "$(awk -F'\t' '{ n++; s += length($2) } END { printf "%d|%d", n, s }' "$IT_TMP/copy.tsv")" "COPY in over TLS"

# pgbench -M prepared, 4 clients over TLS in transaction mode with 2 servers: the relay's TLS
# paths with prepared statements moving between servers.
PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -i -s 1 -q -h 127.0.0.1 -p "$PG_PORT" -U app app \
  >"$IT_TMP/pgbench-init.log" 2>&1 || { cat "$IT_TMP/pgbench-init.log" >&2; fail "pgbench -i failed"; }
PGSSLMODE=require PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -n -c 4 -j 4 -T 4 -M prepared \
  -h 127.0.0.1 -p "$SLUICE_PORT" -U app app >"$IT_TMP/pgbench.log" 2>&1 ||
  { cat "$IT_TMP/pgbench.log" >&2; fail "pgbench over TLS failed"; }
assert_contains "$(cat "$IT_TMP/pgbench.log")" "number of failed transactions: 0" "pgbench -M prepared over TLS"
log "$(grep -E '^(number of transactions actually processed|tps)' "$IT_TMP/pgbench.log" | tr '\n' ' ')"

# 4. SHOW CLIENTS `tls`: PROTO/CIPHER/ECDH=curve for the TLS console client itself.
clients=$(tls_psql require app -d pgbouncer -c 'SHOW CLIENTS') || fail "SHOW CLIENTS over TLS: $clients"
log "SHOW CLIENTS: $(grep pgbouncer <<<"$clients")"
assert_contains "$clients" "|TLSv1.3/TLS_" "SHOW CLIENTS tls column"

# 5. RELOAD: client_tls_sslmode=disable answers SSLRequest with 'N' for new clients.
reconfigure client_tls_sslmode=disable "${tls_keys[@]}"
kill -HUP "$SLUICE_PID"
for _ in $(seq 50); do grep -q 'configuration reloaded' "$SLUICE_LOG" && break; sleep 0.1; done
grep -q 'configuration reloaded' "$SLUICE_LOG" || fail "RELOAD did not complete"
rc=0
out=$(tls_psql require app -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "TLS still offered after RELOAD to disable"
assert_contains "$out" "server does not support SSL" "after RELOAD: SSLRequest answered N"
out=$(tls_psql prefer app -c 'SELECT 8') || fail "prefer after RELOAD: $out"
assert_eq 8 "$out" "sslmode=prefer falls back to plain text"

# 6. RELOAD to verify-full: a client certificate from the CA is required; one from another CA, or
# none, fails the handshake. A broken key file fails the RELOAD and the old settings stay.
reconfigure client_tls_sslmode=verify-full "${tls_keys[@]}"
kill -HUP "$SLUICE_PID"
for _ in $(seq 50); do (( $(grep -c 'configuration reloaded' "$SLUICE_LOG") >= 2 )) && break; sleep 0.1; done
out=$(CLIENT_CERT=app tls_psql verify-full app -c 'SELECT 9') || fail "verify-full with a client certificate: $out"
assert_eq 9 "$out" "client_tls_sslmode=verify-full with a client certificate"
rc=0
out=$(tls_psql verify-full app -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "verify-full let a client without certificate in"
rc=0
out=$(CLIENT_CERT=stranger tls_psql verify-full app -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "verify-full let a certificate from another CA in"
assert_contains "$(cat "$SLUICE_LOG")" "TLS handshake failed" "failed handshakes are logged"
log "$(grep "TLS handshake failed" "$SLUICE_LOG" | tail -2)"

reconfigure client_tls_sslmode=verify-full "client_tls_key_file=$CERTS/ca.crt" \
  "client_tls_cert_file=$CERTS/server.crt" "client_tls_ca_file=$CERTS/ca.crt"
kill -HUP "$SLUICE_PID"
for _ in $(seq 50); do grep -q 'RELOAD failed' "$SLUICE_LOG" && break; sleep 0.1; done
assert_contains "$(cat "$SLUICE_LOG")" "RELOAD failed, keeping the old configuration: client_tls_key_file" "a bad key file fails the RELOAD, naming the key"
out=$(CLIENT_CERT=app tls_psql verify-full app -c 'SELECT 10') || fail "old TLS settings lost: $out"
assert_eq 10 "$out" "the old TLS settings keep serving"
sluice_alive

# 7. Server side, against this test's PostgreSQL without ssl: the default prefer falls back to
# plain text (everything above); a RELOAD to server_tls_sslmode=require retires the pool and new
# server logins fail with PgBouncer's text.
reconfigure client_tls_sslmode=verify-full "${tls_keys[@]}" server_tls_sslmode=require
kill -HUP "$SLUICE_PID"
for _ in $(seq 50); do (( $(grep -c 'configuration reloaded' "$SLUICE_LOG") >= 3 )) && break; sleep 0.1; done
(( $(grep -c 'configuration reloaded' "$SLUICE_LOG") >= 3 )) || fail "RELOAD to server_tls_sslmode=require did not complete"
rc=0
out=$(CLIENT_CERT=app tls_psql verify-full app -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "server_tls_sslmode=require logged into a server without TLS"
assert_contains "$out" "server refused SSL" "server_tls_sslmode=require against a server without ssl"
sluice_alive
