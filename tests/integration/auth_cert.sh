#!/usr/bin/env bash
# cert authentication with client certificates this test makes with the openssl CLI:
# auth_type=cert (client_tls_sslmode=verify-full) lets in the user named by the certificate's CN
# and refuses another user with PgBouncer's "TLS certificate name mismatch"; auth_type=hba with a
# hostssl cert line (and map= through auth_ident_file), a hostnossl line for plain clients and
# PgBouncer's "TLS client certificate required" / "TLS connection required" texts.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
command -v openssl >/dev/null || fail "openssl CLI missing"

CERTS=$IT_TMP/certs
mkdir -p "$CERTS"
(
  cd "$CERTS"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=sluice test CA" -keyout ca.key -out ca.crt
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
    -keyout server.key -out server.csr
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.crt
  for cn in app ops-robot; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$cn" \
      -keyout "client-$cn.key" -out "client-$cn.csr"
    openssl x509 -req -in "client-$cn.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -out "client-$cn.crt"
  done
) >"$IT_TMP/openssl.log" 2>&1 || { cat "$IT_TMP/openssl.log" >&2; fail "openssl failed"; }
chmod 0600 "$CERTS"/*.key
(( EUID == 0 )) && chown "$(it_service_user)" "$CERTS/server.key"
chmod 0755 "$CERTS"
chmod 0644 "$CERTS"/*.crt
tls_keys=("client_tls_key_file=$CERTS/server.key" "client_tls_cert_file=$CERTS/server.crt"
  "client_tls_ca_file=$CERTS/ca.crt")

# cert_psql MODE CERT USER [psql args...]: psql over TCP with sslmode MODE and client-CERT.crt
# ("-" for none), no password.
cert_psql() {
  local mode=$1 cert=$2 user=$3
  shift 3
  local crt=/nonexistent/no.crt key=/nonexistent/no.key
  if [[ $cert != - ]]; then
    crt=$CERTS/client-$cert.crt
    key=$CERTS/client-$cert.key
  fi
  PGSSLMODE=$mode PGSSLROOTCERT=$CERTS/ca.crt PGSSLCERT=$crt PGSSLKEY=$key \
    psql_to 127.0.0.1 "$SLUICE_PORT" "$user" "" "$@"
}

# expect_refused DESCRIPTION TEXT MODE CERT USER
expect_refused() {
  local rc=0 out
  out=$(cert_psql "$3" "$4" "$5" -c 'SELECT 42' 2>&1) || rc=$?
  (( rc != 0 )) || fail "$1: let in ($out)"
  assert_contains "$out" "$2" "$1"
}

# 1. auth_type = cert: the CN is the user.
write_config auth_type=cert client_tls_sslmode=verify-full "${tls_keys[@]}"
# pg_isready (sslmode=prefer) has no client certificate: its handshake would fail.
PGSSLMODE=disable sluice_start "$SLUICE_CONFIG"
out=$(cert_psql verify-full app app -c 'SELECT current_user') || fail "cert login of app refused: $out"
assert_eq app "$out" "auth_type=cert: CN=app logs in as app with no password"
expect_refused "auth_type=cert, CN app as md5user" "FATAL:  TLS certificate name mismatch" verify-full app md5user
expect_refused "auth_type=cert, no client certificate" "certificate required" verify-full - app
sluice_stop

# auth_type=cert below verify-ca is refused at start-up (PgBouncer: a TLS setup error).
write_config auth_type=cert client_tls_sslmode=require "${tls_keys[@]}"
rc=0
(cd "$IT_TMP" && timeout 20 "$SLUICE_RUN_BIN" "$SLUICE_CONFIG") >"$IT_TMP/bad.out" 2>&1 || rc=$?
(( rc != 0 && rc != 124 )) || fail "auth_type=cert with client_tls_sslmode=require accepted"
assert_contains "$(cat "$IT_TMP/bad.out")" "auth_type cert needs client_tls_sslmode verify-ca or verify-full" "auth_type=cert needs verify-ca/full"

# 2. auth_type = hba: cert on hostssl lines, md5 on hostnossl; a client certificate is optional
# in client_tls_sslmode=prefer, so the cert line itself asks for it.
write_config auth_type=hba "auth_hba_file=$IT_TMP/hba.conf" "auth_ident_file=$IT_TMP/ident.conf" \
  client_tls_sslmode=prefer "${tls_keys[@]}"
cat >"$IT_TMP/hba.conf" <<'EOF'
# TYPE     DATABASE  USER      ADDRESS       METHOD
host       app       plainuser 127.0.0.1/32  cert
hostssl    app       app       127.0.0.1/32  cert
hostssl    app       trustuser 127.0.0.1/32  cert map=robots
hostnossl  app       all       127.0.0.1/32  md5
host       app       md5user   127.0.0.1/32  cert
EOF
printf 'robots ops-robot trustuser\n' >"$IT_TMP/ident.conf"
chmod 0644 "$IT_TMP/hba.conf" "$IT_TMP/ident.conf"
sluice_start "$SLUICE_CONFIG"
out=$(cert_psql verify-full app app -c 'SELECT current_user') || fail "hba cert: app refused: $out"
assert_eq app "$out" "hostssl cert line: CN=app"
out=$(cert_psql verify-full ops-robot trustuser -c 'SELECT current_user') || fail "hba cert map: $out"
assert_eq trustuser "$out" "hostssl cert line with map=: CN=ops-robot as trustuser"
expect_refused "hostssl cert line, CN=app as trustuser (not in the map)" "FATAL:  TLS certificate name mismatch" verify-full app trustuser
expect_refused "hostssl cert line without a client certificate" "FATAL:  TLS client certificate required" require - app
out=$(PGSSLMODE=disable psql_sluice md5user -c 'SELECT current_user') || fail "hostnossl md5: $out"
assert_eq md5user "$out" "plain client: the hostnossl md5 line"
expect_refused "TLS client on md5user: the host cert line, bad CN" "FATAL:  TLS certificate name mismatch" require app md5user
expect_refused "plain client on a host cert line" "FATAL:  TLS connection required" disable - plainuser
rc=0
out=$(PGSSLMODE=disable psql_to 127.0.0.1 "$SLUICE_PORT" app wrong -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "plain app with a wrong password let in"
assert_contains "$out" "password authentication failed" "plain app: hostnossl md5 line, wrong password"
sluice_alive
