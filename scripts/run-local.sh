#!/usr/bin/env bash
# Try sluice locally in one command: installs dependencies, builds Release (build-release/),
# starts a throw-away PostgreSQL 15 on a free port (127.0.0.1 only, scram-sha-256, role and
# database "sluice" with password "sluice"), writes a sample config and runs sluice in the
# foreground on 127.0.0.1:6432. Connect with:
#     PGPASSWORD=sluice psql -h 127.0.0.1 -p 6432 -U sluice sluice
# Ctrl-C stops sluice and PostgreSQL and removes the temp dir.
# Env: SLUICE_PORT (default 6432), SKIP_DEPS=1, SKIP_BUILD=1, SLUICE_BIN (use this binary).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${SLUICE_PORT:-6432}

if [[ ${SKIP_DEPS:-0} != 1 ]]; then
  bash "$root/scripts/install-deps.sh"
fi
if [[ -z ${SLUICE_BIN:-} ]]; then
  if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    bash "$root/scripts/build.sh" --release
  fi
  SLUICE_BIN=$root/build-release/core/sluice
fi
plugin_dir=$(dirname "$SLUICE_BIN")/../plugins
[[ -x $SLUICE_BIN ]] || { echo "run-local: $SLUICE_BIN was not built" >&2; exit 1; }

pg_bindir=""
for d in /usr/lib/postgresql/15/bin $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
  if [[ -x $d/initdb && -x $d/pg_ctl ]]; then pg_bindir=$d; break; fi
done
[[ -n $pg_bindir ]] || { echo "run-local: PostgreSQL server binaries not found (scripts/install-deps.sh)" >&2; exit 1; }

if command -v ss >/dev/null 2>&1 && ss -Hltn "sport = :$port" | grep -q .; then
  echo "run-local: port $port is already in use (a pgbouncer service?); set SLUICE_PORT=..." >&2
  ss -ltnp "sport = :$port" >&2 || true
  exit 1
fi

pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
tmp=$(mktemp -d /tmp/sluice-local.XXXXXX)
chmod 0755 "$tmp"
run_user=$(id -un)
as_pg() { (cd "$tmp" && "$@"); }
if ((EUID == 0)); then
  # PostgreSQL refuses to run as root, and so does PgBouncer: both run as postgres.
  run_user=postgres
  chown postgres "$tmp"
  as_pg() { (cd "$tmp" && runuser -u postgres -- "$@"); }
fi
pg_started=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n ${sluice_pid:-} ]] && kill -0 "$sluice_pid" 2>/dev/null; then
    kill -TERM "$sluice_pid" 2>/dev/null || true
    wait "$sluice_pid" 2>/dev/null || true
  fi
  if ((pg_started)); then
    echo "run-local: stopping PostgreSQL"
    as_pg "$pg_bindir/pg_ctl" -D "$tmp/pgdata" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
  echo "run-local: cleaned up $tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$tmp/pgdata" "$tmp/pgsock" "$tmp/sock"
chmod 0700 "$tmp/pgdata"
((EUID == 0)) && chown postgres "$tmp/pgdata" "$tmp/pgsock" "$tmp/sock"
echo "run-local: initdb in $tmp/pgdata"
as_pg "$pg_bindir/initdb" -D "$tmp/pgdata" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$tmp/initdb.log" 2>&1 ||
  { cat "$tmp/initdb.log" >&2; exit 1; }
cat >>"$tmp/pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$tmp/pgsock'
password_encryption = 'scram-sha-256'
CONF
cat >"$tmp/pgdata/pg_hba.conf" <<'CONF'
local all all                trust
host  all all 127.0.0.1/32   scram-sha-256
CONF
((EUID == 0)) && chown postgres "$tmp/pgdata/postgresql.conf" "$tmp/pgdata/pg_hba.conf"
as_pg "$pg_bindir/pg_ctl" -D "$tmp/pgdata" -l "$tmp/pgdata/postgresql.log" -w -t 60 start >/dev/null
pg_started=1
"$pg_bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$tmp/pgsock" -p "$pg_port" -U postgres -d postgres <<'SQL'
CREATE ROLE sluice LOGIN PASSWORD 'sluice';
CREATE DATABASE sluice OWNER sluice;
SQL
echo "run-local: PostgreSQL $("$pg_bindir/postgres" -V | awk '{print $3}') on 127.0.0.1:$pg_port (role sluice/sluice, database sluice)"

printf '"sluice" "sluice"\n' >"$tmp/userlist.txt"
# A minimal config; configs/sluice.ini documents every key.
cat >"$tmp/sluice.ini" <<CONF
[databases]
sluice = host=127.0.0.1 port=$pg_port dbname=sluice

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $tmp/sock
auth_type = md5
auth_file = $tmp/userlist.txt
pool_mode = session
default_pool_size = 20
max_client_conn = 100
plugin_dir = $(cd "$plugin_dir" 2>/dev/null && pwd || echo "$plugin_dir")
log_connections = 1
CONF
chmod 0644 "$tmp/sluice.ini" "$tmp/userlist.txt"

cat <<MSG

  sluice config: $tmp/sluice.ini
  Connect (password: sluice):
      psql -h 127.0.0.1 -p $port -U sluice sluice
  or  PGPASSWORD=sluice pgbench -i -h 127.0.0.1 -p $port -U sluice sluice
  Ctrl-C stops sluice and PostgreSQL and removes $tmp.

MSG

if ((EUID == 0)) && ! runuser -u postgres -- test -x "$SLUICE_BIN"; then
  # The build tree is not reachable by postgres (e.g. under /root): run a copy.
  mkdir -p "$tmp/bin/plugins"
  cp "$SLUICE_BIN" "$tmp/bin/sluice"
  [[ -d $plugin_dir ]] && cp -r "$plugin_dir/." "$tmp/bin/plugins/"
  chmod -R a+rX "$tmp/bin"
  sed -i "s|^plugin_dir = .*|plugin_dir = $tmp/bin/plugins|" "$tmp/sluice.ini"
  SLUICE_BIN=$tmp/bin/sluice
fi
if ((EUID == 0)); then
  setpriv --reuid=postgres --regid="$(id -g postgres)" --init-groups -- "$SLUICE_BIN" "$tmp/sluice.ini" &
else
  "$SLUICE_BIN" "$tmp/sluice.ini" &
fi
sluice_pid=$!
echo "run-local: sluice pid $sluice_pid running as $run_user"
wait "$sluice_pid"
