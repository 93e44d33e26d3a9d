# shellcheck shell=bash
# shellcheck disable=SC2034  # globals set here are read by the scripts that source this file
# bench/lib/postgres.sh - the throw-away PostgreSQL of a bench run. Sourced by bench/run.sh.
#
# Not shared with tests/integration/lib.sh on purpose: that harness is fail-fast (set -e, exits
# on the first error with PASS/FAIL), creates SCRAM/cleartext/trust test roles and caps
# max_connections at 100; the benchmark needs one md5 role, room for 4 x 20 pooled servers plus
# 50 direct clients, a bigger shared_buffers and the postmaster PID for CPU accounting.
#
# Needs: $T (temp dir), $PGBIN, $PGPORT, $DBUSER, $DBPASS, $DB, $SCALE, $PGBENCH, as_user().
# Sets: PG_STARTED=1, PGPID.

pg_setup() {
  log "initdb ($PGBIN)"
  as_user "$PGBIN/initdb" -D "$T/pgdata" -U "$DBUSER" --auth-local=trust --auth-host=md5 -E UTF8 \
    --locale=C --no-sync >"$T/initdb.out" 2>&1 || { cat "$T/initdb.out" >&2; die "initdb failed"; }
  cat >>"$T/pgdata/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$T'
max_connections = 250
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = md5
logging_collector = on
log_directory = 'log'
log_filename = 'postgresql.log'
log_min_messages = warning
EOF
  as_user "$PGBIN/pg_ctl" -D "$T/pgdata" -l "$T/pg_ctl.log" -w -t 60 start >/dev/null 2>&1 \
    || { cat "$T/pg_ctl.log" >&2; die "postgres did not start"; }
  PG_STARTED=1
  PGPID=$(head -1 "$T/pgdata/postmaster.pid")
  as_user "$PGBIN/psql" -X -h "$T" -p "$PGPORT" -d postgres -qAt \
    -c "ALTER ROLE $DBUSER PASSWORD '$DBPASS'" -c "CREATE DATABASE $DB" >"$T/setup.out" 2>&1 \
    || { cat "$T/setup.out" >&2; die "could not set up role/database"; }

  log "pgbench -i -s $SCALE"
  timeout 300 "$PGBENCH" -i -q -s "$SCALE" -h 127.0.0.1 -p "$PGPORT" "$DB" >"$T/pgbench-init.out" 2>&1 \
    || { cat "$T/pgbench-init.out" >&2; die "pgbench -i failed"; }
}

pg_stop() {
  [[ ${PG_STARTED:-0} == 1 ]] || return 0
  as_user "$PGBIN/pg_ctl" -D "$T/pgdata" -m immediate -w stop >/dev/null 2>&1
  PG_STARTED=0
}
