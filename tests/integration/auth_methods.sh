#!/usr/bin/env bash
# Client auth_type scram-sha-256, md5, plain and any through the real daemon, psql and psycopg 3,
# with PgBouncer's semantics and texts (reference §3):
#  * each method lets the right password in and refuses a wrong one; an unknown user sees exactly
#    the text a wrong password gives ("SASL authentication failed" for SCRAM, "password
#    authentication failed" for md5/plain);
#  * auth_file holds app's SCRAM verifier copied from pg_authid, no plaintext: sluice logs into
#    PostgreSQL (which demands SCRAM for app) with the ClientKey recovered from the client's proof
#    (SCRAM pass-through), for SCRAM clients, md5 clients (md5 switches to SCRAM) and plain clients;
#  * scram-sha-256 refuses a user whose stored secret is an md5 hash, accepts a plaintext one;
#  * auth_type=any needs a forced user (else "bouncer config error", the reason in the log) and
#    then ignores the login name.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
app_verifier=$(psql_admin -d postgres -c "SELECT rolpassword FROM pg_authid WHERE rolname = 'app'")
md5_hash=$(psql_admin -d postgres -c "SELECT rolpassword FROM pg_authid WHERE rolname = 'md5user'")
[[ $app_verifier == SCRAM-SHA-256\$* ]] || fail "app has no SCRAM verifier in pg_authid: $app_verifier"
[[ $md5_hash == md5* ]] || fail "md5user has no md5 hash in pg_authid: $md5_hash"

# start_with AUTH_TYPE [key=value ...]: a daemon whose auth_file has no plaintext for app/md5user.
start_with() {
  local auth=$1
  shift
  write_config "auth_type=$auth" "$@"
  {
    printf '"app" "%s"\n' "$app_verifier"
    printf '"md5user" "%s"\n' "$md5_hash"
    printf '"plainuser" "%s"\n' "${IT_PASSWORD[plainuser]}"
    printf '"trustuser" "%s"\n' "${IT_PASSWORD[trustuser]}"
  } >"$IT_TMP/userlist.txt"
  sluice_start "$SLUICE_CONFIG"
}

# login_ok AUTH USER: the right password gets a result, as that user, from PostgreSQL.
login_ok() {
  local out
  out=$(psql_sluice "$2" -c 'SELECT current_user' 2>&1) || fail "auth_type=$1: $2 with the right password was refused: $out"
  assert_eq "$2" "$out" "auth_type=$1: $2 logs in"
}

# login_refused AUTH USER PASSWORD TEXT: refused with TEXT, and no result.
login_refused() {
  local rc=0 out
  out=$(psql_to 127.0.0.1 "$SLUICE_PORT" "$2" "$3" -c 'SELECT 42' 2>&1) || rc=$?
  (( rc != 0 )) || fail "auth_type=$1: $2 with password '$3' was let in: $out"
  assert_contains "$out" "$4" "auth_type=$1: $2 with password '$3'"
  assert_not_contains "$out" $'\n42' "auth_type=$1: $2 refused without a result"
}

# ---- scram-sha-256
start_with scram-sha-256
login_ok scram-sha-256 app          # verifier + pass-through to PostgreSQL's SCRAM
login_ok scram-sha-256 plainuser    # plaintext secret: ad-hoc verifier
login_refused scram-sha-256 app wrong-password 'SASL authentication failed'
login_refused scram-sha-256 nosuchuser "${IT_PASSWORD[app]}" 'SASL authentication failed'
login_refused scram-sha-256 md5user "${IT_PASSWORD[md5user]}" 'SASL authentication failed'
grep -q 'user "md5user" has an md5 secret' "$SLUICE_LOG" || fail "no log line explains md5user's refusal"
# The pooled server came from pass-through: PostgreSQL logged app in with SCRAM over TCP.
grep -q 'connection authenticated: identity="app" method=scram-sha-256' "$PG_LOG" ||
  grep -q 'connection authorized: user=app database=app' "$PG_LOG" ||
  fail "PostgreSQL never saw app log in"
# Many SCRAM logins at once: pgbench -C reconnects for every transaction, 4 clients in parallel.
echo 'SELECT 1;' >"$IT_TMP/select1.sql"
PGPASSWORD=${IT_PASSWORD[app]} "$PG_BINDIR/pgbench" -n -h 127.0.0.1 -p "$SLUICE_PORT" -U app -c 4 -j 2 \
  -C -T 2 -f "$IT_TMP/select1.sql" app >"$IT_TMP/pgbench.out" 2>&1 ||
  { cat "$IT_TMP/pgbench.out" >&2; fail "pgbench with SCRAM logins failed"; }
grep -q 'number of failed transactions: 0' "$IT_TMP/pgbench.out" ||
  { cat "$IT_TMP/pgbench.out" >&2; fail "pgbench had failed transactions"; }
# A driver other than libpq's psql: psycopg 3 (Debian python3-psycopg) with SCRAM.
if /usr/bin/python3 -c 'import psycopg' 2>/dev/null; then
  out=$(/usr/bin/python3 - "$SLUICE_PORT" "${IT_PASSWORD[app]}" <<'EOF'
import sys, psycopg
port, pw = sys.argv[1], sys.argv[2]
with psycopg.connect(host="127.0.0.1", port=port, user="app", password=pw, dbname="app") as c:
    print(c.execute("SELECT current_user || ':' || 6*7").fetchone()[0])
try:
    psycopg.connect(host="127.0.0.1", port=port, user="app", password="nope", dbname="app")
    print("wrong password accepted")
except psycopg.OperationalError as e:
    print("refused:", str(e).strip().splitlines()[-1])
EOF
)
  assert_contains "$out" 'app:42' "psycopg SCRAM login"
  assert_contains "$out" 'refused: ' "psycopg wrong password"
  assert_contains "$out" 'SASL authentication failed' "psycopg wrong password text"
elif [[ ${CI:-} == true ]]; then
  fail "python3-psycopg missing in CI"
fi

# ---- md5: md5 hash and plaintext by MD5; a SCRAM verifier switches the login to SCRAM
start_with md5
login_ok md5 md5user
login_ok md5 plainuser
login_ok md5 app
login_refused md5 md5user wrong-password 'password authentication failed'
login_refused md5 nosuchuser "${IT_PASSWORD[md5user]}" 'password authentication failed'
login_refused md5 app wrong-password 'SASL authentication failed'

# ---- plain: cleartext checked against each stored form; app's verifier gives pass-through keys
start_with plain
login_ok plain app
login_ok plain md5user
login_ok plain plainuser
login_refused plain app wrong-password 'password authentication failed'
login_refused plain nosuchuser whatever 'password authentication failed'

# ---- any: the login name is ignored, so every database needs a forced user
start_with any
login_refused any nosuchuser '' 'bouncer config error'
grep -q 'auth_type=any requires forced user' "$SLUICE_LOG" || fail "the log does not say why any refused"
write_config auth_type=any
sed -i "s|^app = .*|app = host=127.0.0.1 port=$PG_PORT dbname=app user=trustuser|" "$SLUICE_CONFIG"
printf '"trustuser" "%s"\n' "${IT_PASSWORD[trustuser]}" >"$IT_TMP/userlist.txt"
sluice_start "$SLUICE_CONFIG"
out=$(psql_to 127.0.0.1 "$SLUICE_PORT" whoever '' -c 'SELECT current_user') ||
  fail "auth_type=any with a forced user refused a client: $out"
assert_eq trustuser "$out" "auth_type=any runs as the forced user"

# PgBouncer's own-uid admin path: user pgbouncer, database pgbouncer, over the Unix socket, from a
# process with the daemon's uid, is an admin without a password (pgbouncer is not in auth_file).
svc=$(it_service_user)
as_svc=()
(( EUID == 0 )) && as_svc=(runuser -u "$svc" --)
out=$("${as_svc[@]}" env PGPASSWORD= "$PG_BINDIR/psql" -X -At -w -h "$SLUICE_SOCK" -p "$SLUICE_PORT" \
  -U pgbouncer -d pgbouncer -c 'SHOW STATE' 2>&1) || fail "own-uid admin login refused: $out"
assert_contains "$out" 'paused|no' "own-uid admin runs SHOW STATE"
out=$("${as_svc[@]}" env PGPASSWORD= "$PG_BINDIR/psql" -X -At -w -h "$SLUICE_SOCK" -p "$SLUICE_PORT" \
  -U pgbouncer -d pgbouncer -c 'PAUSE app' -c 'RESUME app' 2>&1) || fail "own-uid admin cannot PAUSE: $out"
if (( EUID == 0 )); then  # a different uid (root) gets the normal password check
  rc=0
  out=$(PGPASSWORD= "$PG_BINDIR/psql" -X -At -w -h "$SLUICE_SOCK" -p "$SLUICE_PORT" -U pgbouncer \
    -d pgbouncer -c 'SHOW STATE' 2>&1) || rc=$?
  (( rc != 0 )) || fail "pgbouncer from another uid was let in: $out"
fi

sluice_alive
log "all auth methods behaved"
