#!/usr/bin/env bash
# Server-side TLS (server_tls_*) against a PostgreSQL started with ssl=on and certificates this
# test makes with the openssl CLI, whose pg_hba refuses plain TCP logins: verify-full (chain and
# IP address checked) relays queries, large results, COPY and pgbench -M prepared in transaction
# mode (the TLS session travels with the idle server between clients and shards); a CA that did
# not sign the server, or a host name the certificate does not carry, fails the login (verify-ca
# skips the name); SHOW SERVERS shows the TLS version; the Unix socket is never TLS.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
command -v openssl >/dev/null || fail "openssl CLI missing"

CERTS=$IT_TMP/certs
mkdir -p "$CERTS"
(
  cd "$CERTS"
  for ca in ca other-ca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=sluice test $ca" -keyout "$ca.key" -out "$ca.crt"
  done
  # The server certificate names the address only: "localhost" is not in it.
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=pg test server" \
    -keyout server.key -out server.csr
  printf 'subjectAltName=IP:127.0.0.1\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.crt
) >"$IT_TMP/openssl.log" 2>&1 || { cat "$IT_TMP/openssl.log" >&2; fail "openssl failed"; }
chmod 0755 "$CERTS"
chmod 0644 "$CERTS"/*.crt
cp "$CERTS/server.key" "$CERTS/server.crt" "$PG_DATA/"
chmod 0600 "$PG_DATA/server.key"
(( EUID == 0 )) && chown postgres "$PG_DATA/server.key" "$PG_DATA/server.crt"

# PostgreSQL: TLS on, and plain TCP refused, so every TCP login through sluice proves TLS.
cat >>"$PG_DATA/postgresql.conf" <<'EOF'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
EOF
sed -i '/^local/a hostnossl all all 127.0.0.1/32 reject' "$PG_DATA/pg_hba.conf"
as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -w -t 60 restart -l "$PG_LOG" -o "-c port=$PG_PORT" >"$IT_TMP/pg_ctl.log" 2>&1 ||
  { cat "$IT_TMP/pg_ctl.log" >&2; fail "PostgreSQL restart with ssl=on failed"; }
out=$(PGSSLMODE=disable psql_pg app -c 'SELECT 1' 2>&1) && fail "PostgreSQL let a plain TCP login in: $out"
assert_contains "$out" "no encryption" "PostgreSQL refuses plain TCP"

write_config pool_mode=transaction default_pool_size=2 admin_users=app workers=2 \
  server_tls_sslmode=verify-full "server_tls_ca_file=$CERTS/ca.crt"
sluice_start "$SLUICE_CONFIG"

out=$(psql_sluice app -c 'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()') ||
  fail "query through sluice with server TLS: $out"
assert_contains "$out" "t|TLSv1.3" "the server connection is TLS 1.3 (pg_stat_ssl)"
servers=$(psql_sluice app -d pgbouncer -c 'SHOW SERVERS') || fail "SHOW SERVERS: $servers"
assert_contains "$servers" "|TLSv1.3/TLS_" "SHOW SERVERS tls column (idle server)"
log "SHOW SERVERS: $(head -1 <<<"$servers")"

# The relay both ways through TLS on the server side.
want=$(PGSSLMODE=require psql_pg app -c "SELECT md5(string_agg(i::text || repeat('y', i % 300), ',' ORDER BY i)) FROM generate_series(1, 200000) i")
got=$(psql_sluice app -c "SELECT i::text || repeat('y', i % 300) FROM generate_series(1, 200000) i" | paste -sd, | tr -d '\n' | md5sum | cut -d' ' -f1)
assert_eq "$want" "$got" "200,000 rows from a TLS server, byte for byte"
PGSSLMODE=require psql_pg app -q -c 'CREATE TABLE tls_copy (i int, t text)'
seq 1 100000 | awk '{ printf "%d\t%s\n", $1, sprintf("%0*d", $1 % 500, 0) }' >"$IT_TMP/copy.tsv"
psql_sluice app -c "\\copy tls_copy FROM '$IT_TMP/copy.tsv'" >/dev/null || fail "COPY in to a TLS server failed"
assert_eq "$(PGSSLMODE=require psql_pg app -c 'SELECT count(*), sum(length(t)) FROM tls_copy')" \
  "$(awk -F'\t' '{ n++; s += length($2) } END { printf "%d|%d", n, s }' "$IT_TMP/copy.tsv")" "COPY in to a TLS server"

# pgbench -M prepared: 4 clients on 2 shards share 2 TLS servers, which move between them. (One
# thread per client: pgbench prepares synchronously, so clients sharing a thread would wait on
# each other through the pool.)
PGSSLMODE=require PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -i -s 1 -q -h 127.0.0.1 -p "$PG_PORT" -U app app \
  >"$IT_TMP/pgbench-init.log" 2>&1 || { cat "$IT_TMP/pgbench-init.log" >&2; fail "pgbench -i failed"; }
PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -n -c 4 -j 4 -T 4 -M prepared \
  -h 127.0.0.1 -p "$SLUICE_PORT" -U app app >"$IT_TMP/pgbench.log" 2>&1 ||
  { cat "$IT_TMP/pgbench.log" >&2; fail "pgbench through TLS servers failed"; }
assert_contains "$(cat "$IT_TMP/pgbench.log")" "number of failed transactions: 0" "pgbench -M prepared on TLS servers"
log "$(grep -E '^(number of transactions actually processed|tps)' "$IT_TMP/pgbench.log" | tr '\n' ' ')"
assert_eq "$(PGSSLMODE=require psql_pg app -c "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'app' AND a.datname = 'app' AND a.pid <> pg_backend_pid() AND NOT s.ssl")" \
  "0" "no plain server connection"

# RELOAD: the same settings keep the pool; a CA file rewritten in place (a renewed certificate)
# retires it, so new server connections read the new file (PgBouncer: new contents after RELOAD).
kill -HUP "$SLUICE_PID"
for _ in $(seq 50); do grep -q 'configuration reloaded' "$SLUICE_LOG" && break; sleep 0.1; done
assert_not_contains "$(cat "$SLUICE_LOG")" "server or login settings changed" "an unchanged RELOAD keeps the pool"
sleep 0.05
cp "$CERTS/ca.crt" "$CERTS/ca.tmp" && cat "$CERTS/ca.tmp" >"$CERTS/ca.crt" && touch "$CERTS/ca.crt"
kill -HUP "$SLUICE_PID"
for _ in $(seq 50); do (( $(grep -c 'configuration reloaded' "$SLUICE_LOG") >= 2 )) && break; sleep 0.1; done
assert_contains "$(cat "$SLUICE_LOG")" "server or login settings changed" "a rewritten server_tls_ca_file retires the pool"
out=$(psql_sluice app -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()') || fail "after the CA RELOAD: $out"
assert_eq t "$out" "new TLS servers after the RELOAD"
sluice_stop

# reconfigure KEY=VALUE...: a new config on a new port, with the app entry pointing at HOST.
restart_with() {
  local host=$1
  shift
  write_config pool_mode=transaction default_pool_size=2 "$@"
  sed -i "s|^app = host=127.0.0.1 |app = host=$host |" "$SLUICE_CONFIG"
  sluice_start "$SLUICE_CONFIG"
}
expect_login_error() {
  local rc=0 out
  out=$(psql_sluice app -c 'SELECT 1' 2>&1) || rc=$?
  (( rc != 0 )) || fail "$1: let in ($out)"
  assert_contains "$out" "$2" "$1"
}

# A CA that did not sign the server's certificate.
restart_with 127.0.0.1 server_tls_sslmode=verify-ca "server_tls_ca_file=$CERTS/other-ca.crt"
expect_login_error "verify-ca, wrong CA" "certificate verify failed"
# verify-full against "localhost", which the certificate does not name; verify-ca does not care.
restart_with localhost server_tls_sslmode=verify-full "server_tls_ca_file=$CERTS/ca.crt"
expect_login_error "verify-full, host name not in the certificate" "certificate verify failed"
assert_contains "$(cat "$SLUICE_LOG")" "hostname mismatch" "the log says why"
restart_with localhost server_tls_sslmode=verify-ca "server_tls_ca_file=$CERTS/ca.crt"
out=$(psql_sluice app -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()') || fail "verify-ca to localhost: $out"
assert_eq t "$out" "verify-ca does not check the name"
# require: encryption without checks; the Unix socket stays plain (PostgreSQL: local trust).
restart_with "$PG_SOCK" server_tls_sslmode=require
out=$(psql_sluice app -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()') || fail "require over the Unix socket: $out"
assert_eq f "$out" "no TLS on a Unix socket"
restart_with 127.0.0.1 server_tls_sslmode=disable
expect_login_error "server_tls_sslmode=disable against hostnossl reject" "no encryption"
sluice_alive
