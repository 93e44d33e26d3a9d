# shellcheck shell=bash
# Integration test harness: a throw-away PostgreSQL, the real sluice daemon and real clients.
#
# Source it from a test script, then:
#   it_init                  # temp dir + cleanup trap (called by pg_start if you forget)
#   pg_start                 # PostgreSQL on a free port with roles app/md5user/plainuser/trustuser
#   write_config [key=value ...]   # $IT_TMP/sluice.ini; keys override [pgbouncer] defaults
#   sluice_start "$SLUICE_CONFIG"  # background daemon; waits until the port answers
#   psql_sluice app -c 'SELECT 1'  # psql through sluice over TCP (psql_sluice_unix: Unix socket)
#
# Environment (set by CTest, see CMakeLists.txt): SLUICE_BIN, SLUICE_PLUGIN_DIR, SLUICE_SOURCE_DIR,
# SLUICE_SANITIZED=1 for sanitizer builds. Optional: SLUICE_PG_BINDIR (PostgreSQL bin dir),
# SLUICE_KEEP_TMP=1 (keep the temp dir), SLUICE_EXTRA_ARGS (extra daemon arguments, e.g. -v),
# SLUICE_RUN_AS (user the daemon runs as when the tests run as root; default postgres).
# Reference run against PgBouncer: SLUICE_BIN=/usr/sbin/pgbouncer SLUICE_PLUGIN_DIR=none.
#
# Exit codes: 0 pass, 1 fail, 77 skip (only when PostgreSQL binaries are missing and CI is unset).

set -euo pipefail

IT_SKIP=77
IT_NAME=$(basename "${0%.sh}")
IT_TMP=""
PG_BINDIR=""
PG_PORT=""
PG_DATA=""
PG_SOCK=""
PG_LOG=""
PG_STARTED=0
SLUICE_PORT=""
SLUICE_SOCK=""
SLUICE_PID=""
SLUICE_LOG=""
SLUICE_CONFIG=""
SLUICE_RUN_BIN=""
SLUICE_RUN_PLUGIN_DIR=""
IT_BG_PIDS=()

# Passwords of the test roles. Client -> sluice uses auth_type md5 with these plaintext passwords
# in the userlist; sluice -> PostgreSQL uses each role's own pg_hba method.
declare -A IT_PASSWORD=(
  [app]=app_pw             # scram-sha-256 at the server
  [md5user]=md5_pw         # md5 at the server (password stored as md5)
  [plainuser]=plain_pw     # password (cleartext) at the server
  [trustuser]=trust_pw     # trust at the server
)

# Keep libpq from picking up anything from the caller's environment.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSERVICEFILE PGPASSFILE PGOPTIONS \
  PGSSLMODE PGREQUIRESSL PGTARGETSESSIONATTRS PGAPPNAME PGPASSWORD FETCH_COUNT || true
export PGCONNECT_TIMEOUT=10
export PGPASSFILE=/nonexistent/sluice-it-no-pgpass

# ---------------------------------------------------------------------------------------------
# Messages and assertions
# ---------------------------------------------------------------------------------------------

log() { printf '[%s %s] %s\n' "$(date +%H:%M:%S)" "$IT_NAME" "$*" >&2; }

dump_logs() {
  if [[ -n $SLUICE_LOG && -s $SLUICE_LOG ]]; then
    printf -- '----- sluice log (last 60 lines of %s) -----\n' "$SLUICE_LOG" >&2
    tail -n 60 "$SLUICE_LOG" >&2 || true
  fi
  if [[ -n $PG_LOG && -s $PG_LOG ]]; then
    printf -- '----- postgresql log (last 30 lines) -----\n' >&2
    tail -n 30 "$PG_LOG" >&2 || true
  fi
  if [[ -n $SLUICE_CONFIG && -s $SLUICE_CONFIG ]]; then
    printf -- '----- %s -----\n' "$SLUICE_CONFIG" >&2
    cat "$SLUICE_CONFIG" >&2 || true
  fi
}

# fail MESSAGE...: print the message with context and exit 1 (the EXIT trap cleans up).
fail() {
  printf '\nFAIL [%s]: %s\n' "$IT_NAME" "$*" >&2
  dump_logs
  IT_FAILED=1
  exit 1
}

skip() {
  printf 'SKIP [%s]: %s\n' "$IT_NAME" "$*" >&2
  exit "$IT_SKIP"
}

# assert_eq EXPECTED ACTUAL WHAT
# assert_eq ACTUAL EXPECTED WHAT
assert_eq() {
  if [[ "$1" != "$2" ]]; then
    fail "$3: got [$1], expected [$2]"
  fi
  log "ok: $3 = [$1]"
}

# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
  if [[ "$1" != *"$2"* ]]; then
    fail "$3: expected output to contain [$2]; output was:
$1"
  fi
  log "ok: $3 contains [$2]"
}

# assert_not_contains HAYSTACK NEEDLE WHAT
assert_not_contains() {
  if [[ "$1" == *"$2"* ]]; then
    fail "$3: expected output NOT to contain [$2]; output was:
$1"
  fi
  log "ok: $3 does not contain [$2]"
}

# assert_lt A B WHAT   (integers)
assert_lt() {
  if ! (( $1 < $2 )); then
    fail "$3: expected $1 < $2"
  fi
  log "ok: $3: $1 < $2"
}

# ---------------------------------------------------------------------------------------------
# Temp dir, users and cleanup
# ---------------------------------------------------------------------------------------------

IT_FAILED=0

# The unprivileged user PostgreSQL (and, when we are root, sluice) runs as.
it_service_user() {
  if (( EUID == 0 )); then
    printf '%s\n' "${SLUICE_RUN_AS:-postgres}"
  else
    id -un
  fi
}

# as_pg CMD...: run a PostgreSQL server program as the postgres user when we are root.
as_pg() {
  if (( EUID == 0 )); then
    (cd "$IT_TMP" && runuser -u postgres -- "$@")
  else
    (cd "$IT_TMP" && "$@")
  fi
}

it_init() {
  [[ -n $IT_TMP ]] && return 0
  # As root the temp dir must be reachable by the postgres user, so it lives in /tmp.
  local base=${TMPDIR:-/tmp}
  (( EUID == 0 )) && base=/tmp
  IT_TMP=$(mktemp -d "$base/sluice-it-${IT_NAME}.XXXXXX")
  chmod 0755 "$IT_TMP"
  if (( EUID == 0 )); then
    id postgres >/dev/null 2>&1 || fail "running as root but there is no 'postgres' user (install postgresql)"
    chown "$(it_service_user)" "$IT_TMP"
  fi
  trap it_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  log "temp dir $IT_TMP"
}

# Stops sluice (checking it is still alive and exits cleanly), PostgreSQL and background clients.
it_cleanup() {
  local rc=$?
  local pid
  trap - EXIT
  set +e
  for pid in "${IT_BG_PIDS[@]}"; do
    kill_tree "$pid"
  done
  if [[ -n $SLUICE_PID ]]; then
    if ! kill -0 "$SLUICE_PID" 2>/dev/null; then
      wait "$SLUICE_PID" 2>/dev/null
      local st=$?
      printf '\nFAIL [%s]: sluice (pid %s) died during the test (exit status %s)\n' "$IT_NAME" "$SLUICE_PID" "$st" >&2
      rc=1
    else
      kill -TERM "$SLUICE_PID" 2>/dev/null
      local i
      for ((i = 0; i < 100; i++)); do
        kill -0 "$SLUICE_PID" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$SLUICE_PID" 2>/dev/null; then
        printf '\nFAIL [%s]: sluice did not exit within 10 s of SIGTERM; killing it\n' "$IT_NAME" >&2
        kill -KILL "$SLUICE_PID" 2>/dev/null
        rc=1
      fi
      wait "$SLUICE_PID" 2>/dev/null
      local st=$?
      # Any exit code is accepted (PgBouncer exits 1 on SIGTERM's "fast exit"); death by a
      # signal other than TERM/INT (abort, segfault...) is a failure.
      if (( st > 128 && st != 143 && st != 130 )); then
        printf '\nFAIL [%s]: sluice died with status %s (signal %s) after SIGTERM\n' "$IT_NAME" "$st" "$((st - 128))" >&2
        rc=1
      else
        log "sluice stopped (exit status $st)"
      fi
    fi
    if [[ -n $SLUICE_LOG && -f $SLUICE_LOG ]] &&
      grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer' "$SLUICE_LOG"; then
      printf '\nFAIL [%s]: sanitizer report in the sluice log:\n' "$IT_NAME" >&2
      grep -E -A 30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer' "$SLUICE_LOG" | head -n 80 >&2
      rc=1
    fi
    SLUICE_PID=""
  fi
  if (( PG_STARTED )); then
    as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1
    PG_STARTED=0
  fi
  free_ports_release
  if (( rc != 0 && IT_FAILED == 0 )); then
    dump_logs
  fi
  if [[ -n $IT_TMP && -d $IT_TMP ]]; then
    if [[ ${SLUICE_KEEP_TMP:-0} == 1 ]]; then
      log "keeping $IT_TMP (SLUICE_KEEP_TMP=1)"
    else
      rm -rf "$IT_TMP"
    fi
  fi
  if (( rc == 0 )); then
    log "PASS"
  elif (( rc == IT_SKIP )); then
    log "SKIPPED"
  fi
  exit "$rc"
}

# kill_tree PID: SIGKILL a process and all its descendants (children first).
kill_tree() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    kill_tree "$child"
  done
  kill -9 "$1" 2>/dev/null || true
}

# bg CMD...: run a command in the background and remember it for cleanup; sets BG_PID.
BG_PID=""
bg() {
  "$@" &
  BG_PID=$!
  IT_BG_PIDS+=("$BG_PID")
}

# ---------------------------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------------------------

# free_port: print a TCP port on 127.0.0.1 that nothing listens on and that no other test running
# now has reserved. Picks from 20000-32767 (below Linux's ephemeral range, so outgoing connections
# do not take it between pick and use). Tests run in parallel and keep a port across restarts of
# their sluice or PostgreSQL, when the port is free for a moment: the reservation (a directory
# named for the port in $IT_PORT_DIR, holding this test's pid) stops another test from picking it
# then. it_cleanup gives the test's ports back; a reservation whose test is gone is taken over.
IT_PORT_DIR=/tmp/sluice-it-ports
free_port() {
  local port i
  if ! port_reservations_usable; then
    # Say why, then pick without reserving (as before reservations existed).
    log "free_port: $IT_PORT_DIR is not usable: ports are not reserved"
    unbound_port
    return
  fi
  for ((i = 0; i < 50; i++)); do
    port=$(unbound_port) || return 1
    if reserve_port "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  return 1
}

# port_reservations_usable: $IT_PORT_DIR exists (made world-writable and sticky, as /tmp) with
# its lock file, and this user can write there.
port_reservations_usable() {
  [[ -d $IT_PORT_DIR ]] || mkdir -m 1777 "$IT_PORT_DIR" 2>/dev/null || [[ -d $IT_PORT_DIR ]] || return 1
  if [[ ! -e $IT_PORT_DIR/.lock ]]; then
    (umask 0111 && : >>"$IT_PORT_DIR/.lock") 2>/dev/null
  fi
  [[ -w $IT_PORT_DIR && -r $IT_PORT_DIR/.lock ]]
}

# reserve_port PORT: true if PORT is now reserved for this test. Under an exclusive lock, so that
# two tests never both take a port, nor a stale reservation (its test gone) over.
reserve_port() {
  local port=$1
  (
    flock -x -w 10 9 || exit 1
    local dir=$IT_PORT_DIR/$port owner
    if [[ -d $dir ]]; then
      owner=$(cat "$dir/pid" 2>/dev/null)
      # kill -0 on another user's live process fails with EPERM: /proc tells alive from gone.
      [[ -n $owner && -d /proc/$owner ]] && exit 1
      rm -rf "${dir:?}" 2>/dev/null || exit 1
    fi
    mkdir "$dir" 2>/dev/null || exit 1
    printf '%s\n' "$$" >"$dir/pid"
  ) 9<"$IT_PORT_DIR/.lock"
}

# free_ports_release: give back the ports this test reserved (called by it_cleanup).
free_ports_release() {
  local d
  for d in "$IT_PORT_DIR"/*/; do
    [[ -f ${d}pid && $(cat "${d}pid" 2>/dev/null) == "$$" ]] && rm -rf "$d"
  done
  return 0
}

# unbound_port: a random port in 20000-32767 that nothing is bound to right now.
unbound_port() {
  local py
  py=$(command -v python3 || true)
  [[ -x /usr/bin/python3 ]] && py=/usr/bin/python3
  if [[ -n $py ]]; then
    "$py" - <<'EOF'
import random, socket
for _ in range(500):
    port = random.randint(20000, 32767)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("no free port found")
EOF
  else
    local port i
    for ((i = 0; i < 500; i++)); do
      port=$((20000 + RANDOM % 12768))
      if ! ss -Hltn "sport = :$port" | grep -q .; then
        printf '%s\n' "$port"
        return 0
      fi
    done
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------

pg_find_bindir() {
  local d
  if [[ -n ${SLUICE_PG_BINDIR:-} ]]; then
    [[ -x $SLUICE_PG_BINDIR/initdb ]] && { printf '%s\n' "$SLUICE_PG_BINDIR"; return 0; }
    return 1
  fi
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
    if [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres && -x $d/psql ]]; then
      printf '%s\n' "$d"
      return 0
    fi
  done
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir)
    [[ -x $d/initdb && -x $d/pg_ctl ]] && { printf '%s\n' "$d"; return 0; }
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    d=$(dirname "$(readlink -f "$(command -v initdb)")")
    printf '%s\n' "$d"
    return 0
  fi
  return 1
}

# pg_start: initdb + start a private PostgreSQL, create the test roles and the database `app`.
pg_start() {
  it_init
  if ! PG_BINDIR=$(pg_find_bindir); then
    if [[ ${CI:-} == true ]]; then
      fail "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; CI must install them (scripts/install-deps.sh)"
    fi
    skip "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; run scripts/install-deps.sh"
  fi
  local b
  for b in psql pgbench pg_isready; do
    [[ -x $PG_BINDIR/$b ]] || fail "$PG_BINDIR/$b missing"
  done
  PG_PORT=$(free_port) || fail "no free port for PostgreSQL"
  PG_DATA=$IT_TMP/pgdata
  PG_SOCK=$IT_TMP/pgsock
  PG_LOG=$IT_TMP/postgresql.log
  mkdir -p "$PG_DATA" "$PG_SOCK"
  chmod 0700 "$PG_DATA"
  chmod 0755 "$PG_SOCK"
  touch "$PG_LOG"
  if (( EUID == 0 )); then
    chown postgres "$PG_DATA" "$PG_SOCK" "$PG_LOG"
  fi
  log "initdb ($PG_BINDIR) -> $PG_DATA"
  as_pg "$PG_BINDIR/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    >"$IT_TMP/initdb.log" 2>&1 || { cat "$IT_TMP/initdb.log" >&2; fail "initdb failed"; }

  cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- sluice integration test settings ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 100
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = 'scram-sha-256'
log_connections = on
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  # First match wins: every test role logs in over TCP with its own method.
  cat >"$PG_DATA/pg_hba.conf" <<'EOF'
# TYPE  DATABASE  USER       ADDRESS        METHOD
local   all       all                       trust
host    all       app        127.0.0.1/32   scram-sha-256
host    all       md5user    127.0.0.1/32   md5
host    all       plainuser  127.0.0.1/32   password
host    all       trustuser  127.0.0.1/32   trust
host    all       all        127.0.0.1/32   scram-sha-256
EOF
  if (( EUID == 0 )); then
    chown postgres "$PG_DATA/postgresql.conf" "$PG_DATA/pg_hba.conf"
  fi
  local attempt
  for attempt in 1 2 3; do
    if as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -o "-c port=$PG_PORT" start \
      >"$IT_TMP/pg_ctl.log" 2>&1; then
      break
    fi
    # Tests run in parallel: another one may have taken the port between free_port and now (seen
    # once in CI). Then again on another port; any other failure is final.
    if ((attempt < 3)) && grep -q "Address already in use" "$PG_LOG"; then
      log "port $PG_PORT was taken meanwhile; starting PostgreSQL on another one"
      PG_PORT=$(free_port) || fail "no free port for PostgreSQL"
      : >"$PG_LOG"
      continue
    fi
    cat "$IT_TMP/pg_ctl.log" >&2
    fail "pg_ctl start failed"
  done
  PG_STARTED=1
  log "PostgreSQL up on 127.0.0.1:$PG_PORT (socket dir $PG_SOCK)"

  psql_admin -d postgres -q <<EOF
SET password_encryption = 'scram-sha-256';
CREATE ROLE app LOGIN PASSWORD '${IT_PASSWORD[app]}';
CREATE ROLE plainuser LOGIN PASSWORD '${IT_PASSWORD[plainuser]}';
CREATE ROLE trustuser LOGIN PASSWORD '${IT_PASSWORD[trustuser]}';
SET password_encryption = 'md5';
CREATE ROLE md5user LOGIN PASSWORD '${IT_PASSWORD[md5user]}';
CREATE DATABASE app OWNER app;
EOF
  psql_admin -d app -q <<'EOF'
GRANT ALL ON SCHEMA public TO PUBLIC;
EOF
}

# ---------------------------------------------------------------------------------------------
# psql helpers (all: -X -v ON_ERROR_STOP=1 -At, PGCONNECT_TIMEOUT=10)
# ---------------------------------------------------------------------------------------------

# psql_to HOST PORT USER PASSWORD [psql args...]   (default database: app)
psql_to() {
  local host=$1 port=$2 user=$3 pw=$4
  shift 4
  PGPASSWORD=$pw "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -At -w -h "$host" -p "$port" -U "$user" -d app "$@"
}

# psql_sluice USER [psql args...]: through sluice over TCP with the user's userlist password.
psql_sluice() {
  local user=$1
  shift
  psql_to 127.0.0.1 "$SLUICE_PORT" "$user" "${IT_PASSWORD[$user]:-}" "$@"
}

# psql_sluice_unix USER [psql args...]: through sluice's Unix socket in unix_socket_dir.
psql_sluice_unix() {
  local user=$1
  shift
  psql_to "$SLUICE_SOCK" "$SLUICE_PORT" "$user" "${IT_PASSWORD[$user]:-}" "$@"
}

# psql_pg USER [psql args...]: straight to PostgreSQL over TCP (bypassing sluice).
psql_pg() {
  local user=$1
  shift
  psql_to 127.0.0.1 "$PG_PORT" "$user" "${IT_PASSWORD[$user]:-}" "$@"
}

# psql_admin [psql args...]: superuser postgres over PostgreSQL's own Unix socket (trust).
psql_admin() {
  "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -At -w -h "$PG_SOCK" -p "$PG_PORT" -U postgres "$@"
}

# ---------------------------------------------------------------------------------------------
# sluice
# ---------------------------------------------------------------------------------------------

# write_config [key=value ...]: write $IT_TMP/sluice.ini and $IT_TMP/userlist.txt. Arguments
# override or add keys in [pgbouncer]; a value of "-" drops the key. Sets SLUICE_CONFIG,
# SLUICE_PORT and SLUICE_SOCK.
# shellcheck disable=SC2120
write_config() {
  [[ -n $PG_PORT ]] || fail "write_config: call pg_start first"
  [[ -n ${SLUICE_BIN:-} ]] || fail "SLUICE_BIN is not set (run through ctest, or export it)"
  [[ -x $SLUICE_BIN ]] || fail "SLUICE_BIN=$SLUICE_BIN is not an executable"
  it_prepare_binary
  SLUICE_PORT=$(free_port) || fail "no free port for sluice"
  SLUICE_SOCK=$IT_TMP/sock
  SLUICE_CONFIG=$IT_TMP/sluice.ini
  mkdir -p "$SLUICE_SOCK"
  chmod 0755 "$SLUICE_SOCK"
  if (( EUID == 0 )); then
    chown "$(it_service_user)" "$SLUICE_SOCK"
  fi

  local userlist=$IT_TMP/userlist.txt
  : >"$userlist"
  local u
  for u in app md5user plainuser trustuser; do
    printf '"%s" "%s"\n' "$u" "${IT_PASSWORD[$u]}" >>"$userlist"
  done

  local -a keys=(listen_addr listen_port unix_socket_dir auth_type auth_file pool_mode
    default_pool_size max_client_conn plugin_dir log_connections)
  declare -A val=(
    [listen_addr]=127.0.0.1
    [listen_port]=$SLUICE_PORT
    [unix_socket_dir]=$SLUICE_SOCK
    [auth_type]=md5
    [auth_file]=$userlist
    [pool_mode]=session
    [default_pool_size]=20
    [max_client_conn]=200
    [plugin_dir]=$SLUICE_RUN_PLUGIN_DIR
    [log_connections]=1
  )
  local kv k v
  for kv in "$@"; do
    k=${kv%%=*}
    v=${kv#*=}
    [[ -v "val[$k]" ]] || keys+=("$k")
    val[$k]=$v
  done
  {
    printf '; written by tests/integration/lib.sh for %s\n' "$IT_NAME"
    printf '[databases]\n'
    printf 'app = host=127.0.0.1 port=%s dbname=app\n' "$PG_PORT"
    printf '\n[pgbouncer]\n'
    for k in "${keys[@]}"; do
      [[ ${val[$k]} == - ]] && continue
      printf '%s = %s\n' "$k" "${val[$k]}"
    done
  } >"$SLUICE_CONFIG"
  chmod 0644 "$SLUICE_CONFIG" "$userlist"
}

# When we are root the daemon runs as an unprivileged user (PgBouncer refuses root). That user
# must be able to read the binary and plugins; if the build tree is not reachable (e.g. under
# /root), copy them into the temp dir.
it_prepare_binary() {
  SLUICE_RUN_BIN=$SLUICE_BIN
  SLUICE_RUN_PLUGIN_DIR=${SLUICE_PLUGIN_DIR:-$(dirname "$SLUICE_BIN")/../plugins}
  # SLUICE_PLUGIN_DIR=none writes no plugin_dir key (to run the suite against PgBouncer itself).
  [[ $SLUICE_RUN_PLUGIN_DIR == none ]] && SLUICE_RUN_PLUGIN_DIR=-
  (( EUID == 0 )) || return 0
  local user
  user=$(it_service_user)
  [[ $user == root ]] && return 0
  if runuser -u "$user" -- test -x "$SLUICE_RUN_BIN" &&
    { [[ $SLUICE_RUN_PLUGIN_DIR == - || ! -d $SLUICE_RUN_PLUGIN_DIR ]] || runuser -u "$user" -- test -r "$SLUICE_RUN_PLUGIN_DIR" -a -x "$SLUICE_RUN_PLUGIN_DIR"; }; then
    return 0
  fi
  log "build tree not readable by $user: copying sluice and plugins into $IT_TMP/bin"
  mkdir -p "$IT_TMP/bin/plugins"
  cp "$SLUICE_BIN" "$IT_TMP/bin/sluice"
  if [[ $SLUICE_RUN_PLUGIN_DIR != - && -d $SLUICE_RUN_PLUGIN_DIR ]]; then
    cp -r "$SLUICE_RUN_PLUGIN_DIR/." "$IT_TMP/bin/plugins/"
  fi
  chmod -R a+rX "$IT_TMP/bin"
  SLUICE_RUN_BIN=$IT_TMP/bin/sluice
  SLUICE_RUN_PLUGIN_DIR=$IT_TMP/bin/plugins
}

# sluice_start CONFIG: start the daemon in the background (not daemonized), wait until its TCP
# port answers. Fails with the log if it exits or does not answer within 30 s.
# sluice_stop: SIGTERM the running daemon and wait for it (fail if it does not exit in 10 s).
sluice_stop() {
  [[ -n $SLUICE_PID ]] || return 0
  kill -TERM "$SLUICE_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$SLUICE_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$SLUICE_PID" 2>/dev/null && fail "sluice (pid $SLUICE_PID) did not exit within 10 s of SIGTERM"
  wait "$SLUICE_PID" 2>/dev/null || true
  SLUICE_PID=""
}

# sluice_start CONFIG: starts the daemon (stopping one this test started before).
sluice_start() {
  sluice_stop
  local cfg=${1:-$SLUICE_CONFIG}
  [[ -f $cfg ]] || fail "sluice_start: no config $cfg"
  [[ -n $SLUICE_RUN_BIN ]] || it_prepare_binary
  SLUICE_LOG=$IT_TMP/sluice.log
  : >"$SLUICE_LOG"
  chmod 0644 "$SLUICE_LOG"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:quarantine_size_mb=16}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  local -a extra=()
  if [[ -n ${SLUICE_EXTRA_ARGS:-} ]]; then
    read -r -a extra <<<"$SLUICE_EXTRA_ARGS"
  fi
  local user
  user=$(it_service_user)
  log "starting sluice: $SLUICE_RUN_BIN ${extra[*]} $cfg (as $user)"
  if (( EUID == 0 )) && [[ $user != root ]]; then
    # setpriv execs in place, so $! is the daemon's own pid (needed for /proc/PID/status).
    (cd "$IT_TMP" && exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- \
      "$SLUICE_RUN_BIN" "${extra[@]}" "$cfg") >>"$SLUICE_LOG" 2>&1 &
  else
    (cd "$IT_TMP" && exec "$SLUICE_RUN_BIN" "${extra[@]}" "$cfg") >>"$SLUICE_LOG" 2>&1 &
  fi
  SLUICE_PID=$!
  local i rc
  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$SLUICE_PID" 2>/dev/null; then
      wait "$SLUICE_PID" 2>/dev/null && rc=0 || rc=$?
      SLUICE_PID=""
      fail "sluice exited during startup with status $rc"
    fi
    rc=0
    "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$SLUICE_PORT" -U app -d app -t 2 || rc=$?
    # 0 = accepting, 1 = rejecting (still: something answered the protocol), 2 = no response.
    if (( rc == 0 || rc == 1 )) && sluice_owns_port; then
      log "sluice (pid $SLUICE_PID) answers on 127.0.0.1:$SLUICE_PORT"
      return 0
    fi
    sleep 0.1
  done
  fail "sluice did not answer on 127.0.0.1:$SLUICE_PORT within 30 s"
}

# sluice_owns_port: false when the listener on 127.0.0.1:$SLUICE_PORT is another process's (then
# our daemon cannot bind and will exit with its reason), so an answer from it is not taken for
# ours. True where ss cannot tell the owner; false when nothing listens there.
sluice_owns_port() {
  command -v ss >/dev/null 2>&1 || return 0
  local listeners
  listeners=$(ss -ltnpH "sport = :$SLUICE_PORT" 2>/dev/null) || return 0
  [[ -n $listeners ]] || return 1  # whatever answered is gone: not ours
  [[ $listeners == *"pid="* ]] || return 0
  [[ $listeners == *"pid=$SLUICE_PID,"* ]]
}

# sluice_alive: fail unless the daemon is still running.
sluice_alive() {
  kill -0 "$SLUICE_PID" 2>/dev/null || fail "sluice (pid $SLUICE_PID) is no longer running"
}

# proc_status_kb PID FIELD: a /proc/PID/status field (VmRSS, VmHWM, ...) in kB.
proc_status_kb() {
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# assert_rss_bytes_lt BYTES LIMIT WHAT: assert_lt for a per-client RSS figure, except in sanitizer
# builds, where ASan's allocator (redzones, quarantine, shadow memory) decides RSS: there the
# figure is only logged.
assert_rss_bytes_lt() {
  if [[ ${SLUICE_SANITIZED:-0} == 1 ]]; then
    log "sanitizer build: $3 not asserted ($1 < $2 wanted; ASan's allocator decides RSS)"
  else
    assert_lt "$1" "$2" "$3"
  fi
}

# app_pool_field N: field N of the app/app row of SHOW POOLS (app must be in admin_users or
# stats_users).
app_pool_field() {
  psql_sluice app -d pgbouncer -c 'SHOW POOLS' |
    awk -F'|' -v n="$1" '$1 == "app" && $2 == "app" { print $n }'
}
