# shellcheck shell=bash
# shellcheck disable=SC2034  # globals set here are read by the scripts that source this file
# bench/lib/poolers.sh - find (or build) sluice, write equivalent configs, start the poolers.
# Sourced by bench/run.sh.

# Plugins the benchmark's sluice config needs: sluice loads its whole default plugin set when
# `plugins` is unset (as here) and refuses to start if one is missing, so that is the set:
# read from default_plugin_names() in core/src/plugin/loader.cpp (the list that grows with new
# plugins), or this copy of it when the source is not there.
SLUICE_NEEDED_PLUGINS=(pool_session pool_transaction pool_statement auth_any auth_trust auth_plain auth_md5
                       auth_scram admin_show admin_advice metrics_prometheus)
if [[ -f ${ROOT:-}/core/src/plugin/loader.cpp ]]; then
  mapfile -t _defaults < <(sed -n '/default_plugin_names() {/,/^}/p' "$ROOT/core/src/plugin/loader.cpp" \
    | grep -o '"[a-z_0-9]*"' | tr -d '"')
  [[ ${#_defaults[@]} -gt 0 ]] && SLUICE_NEEDED_PLUGINS=("${_defaults[@]}")
  unset _defaults
fi

plugins_present() {  # plugins_present DIR: all needed plugin .so files are there
  local p
  for p in "${SLUICE_NEEDED_PLUGINS[@]}"; do [[ -f $1/$p.so ]] || return 1; done
}

# sluice_locate: sets SLUICE_BIN, SLUICE_PLUGIN_DIR, SLUICE_BUILD_TYPE.
# SLUICE_BIN given: use it as is. Otherwise build (incrementally) $ROOT/build-rel, RelWithDebInfo,
# so a clean clone just works and the numbers are for the checked-out tree; BENCH_BUILD=0 skips the
# build step and only uses what is there.
sluice_locate() {
  if [[ -z ${SLUICE_BIN:-} ]]; then
    local dir=${BENCH_BUILD_DIR:-$ROOT/build-rel}
    if [[ ${BENCH_BUILD:-1} != 0 ]]; then
      command -v cmake >/dev/null || die "cmake not found (scripts/install-deps.sh), or set SLUICE_BIN"
      if [[ ! -f $dir/CMakeCache.txt ]]; then
        log "configuring $dir (RelWithDebInfo)"
        local gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
        cmake -S "$ROOT" -B "$dir" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_BUILD_TESTS=OFF \
          >"$T/cmake-configure.out" 2>&1 || { tail -30 "$T/cmake-configure.out" >&2; die "cmake configure failed"; }
      fi
      log "building sluice and plugins in $dir (incremental; BENCH_BUILD=0 skips this)"
      cmake --build "$dir" -j "$(nproc)" --target sluice "${SLUICE_NEEDED_PLUGINS[@]}" \
        >"$T/cmake-build.out" 2>&1 || { tail -30 "$T/cmake-build.out" >&2; die "build failed"; }
    fi
    SLUICE_BIN=$dir/core/sluice
  fi
  [[ -x $SLUICE_BIN ]] || die "sluice binary not found at $SLUICE_BIN"
  local bdir; bdir=$(cd "$(dirname "$SLUICE_BIN")/.." && pwd)
  SLUICE_PLUGIN_DIR=${SLUICE_PLUGIN_DIR:-$bdir/plugins}
  plugins_present "$SLUICE_PLUGIN_DIR" \
    || die "$SLUICE_PLUGIN_DIR lacks one of ${SLUICE_NEEDED_PLUGINS[*]} (.so); build them (cmake --build DIR --target ...)"
  SLUICE_BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$bdir/CMakeCache.txt" 2>/dev/null)
  case $SLUICE_BUILD_TYPE in
    Debug | "") log "warning: $SLUICE_BIN is not an optimized build (${SLUICE_BUILD_TYPE:-unknown}); its numbers understate sluice" ;;
  esac
}

# sluice_make_reachable: when root runs the daemons as $RUN_USER, that user must be able to read
# the binary and plugins; if the build tree is not reachable (a clone under /root), copy them.
sluice_make_reachable() {
  SLUICE_RUN_BIN=$SLUICE_BIN
  SLUICE_RUN_PLUGIN_DIR=$SLUICE_PLUGIN_DIR
  [[ ${#AS_USER[@]} -gt 0 ]] || return 0
  if as_user test -x "$SLUICE_BIN" && as_user test -r "$SLUICE_PLUGIN_DIR/pool_$POOL_MODE.so"; then
    return 0
  fi
  log "build tree not readable by $RUN_USER: copying sluice and its plugins into $T/bin"
  mkdir -p "$T/bin/plugins"
  cp "$SLUICE_BIN" "$T/bin/sluice"
  cp "$SLUICE_PLUGIN_DIR"/*.so "$T/bin/plugins/"
  chmod -R a+rX "$T/bin"
  SLUICE_RUN_BIN=$T/bin/sluice
  SLUICE_RUN_PLUGIN_DIR=$T/bin/plugins
}

# common_ini PORT NAME: the settings both poolers share (pgbouncer.ini syntax)
common_ini() {
  cat <<EOF
[databases]
$DB = host=127.0.0.1 port=$PGPORT dbname=$DB
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $1
unix_socket_dir = $T/$2
auth_type = $AUTH
auth_file = $T/userlist.txt
pool_mode = $POOL_MODE
default_pool_size = $POOL
max_client_conn = $((IDLE_N + 1000 > 10000 ? IDLE_N + 1000 : 10000))
log_connections = 0
log_disconnections = 0
logfile = $T/$2.log
pidfile = $T/$2.pid
server_tls_sslmode = disable
EOF
}

# write_configs: userlist + one ini per pooler target
write_configs() {
  local md5secret t
  md5secret="md5$(printf '%s%s' "$DBPASS" "$DBUSER" | md5sum | cut -d' ' -f1)"
  printf '"%s" "%s"\n' "$DBUSER" "$md5secret" >"$T/userlist.txt"
  for t in "${POOLERS[@]}"; do
    mkdir -p "$T/$t"
    common_ini "${PORT_OF[$t]}" "$t" >"$T/$t.ini"
    if [[ $t == sluice* ]]; then
      printf 'plugin_dir = %s\nworkers = %s\n' "$SLUICE_RUN_PLUGIN_DIR" "${WORKERS_OF[$t]}" >>"$T/$t.ini"
    fi
  done
  [[ ${#AS_USER[@]} -gt 0 ]] && chown -R "$RUN_USER" "$T"/*.ini "$T/userlist.txt" "${POOLERS[@]/#/$T/}"
  return 0
}

# start_pooler NAME: start it in the foreground of a background job; sets PID_OF[NAME] (empty
# if it did not come up). POOLER_WRAPPER (an array, e.g. valgrind and its options) runs it under
# a tool; START_TRIES (100) tenths of a second to come up.
start_pooler() {
  local name=$1 port=${PORT_OF[$1]} pid
  local -a cmd
  if [[ $name == pgbouncer ]]; then cmd=("$PGBOUNCER_BIN" "$T/$name.ini"); else cmd=("$SLUICE_RUN_BIN" "$T/$name.ini"); fi
  # a simple command in the background: bash forks and the child execs setpriv, which execs the
  # pooler, so $! is the pooler's own PID (no wrapper in between)
  "${AS_USER[@]}" ${POOLER_WRAPPER+"${POOLER_WRAPPER[@]}"} "${cmd[@]}" >"$T/$name.out" 2>"$T/$name.err" &
  pid=$!
  PIDS_TO_KILL+=("$pid")
  for _ in $(seq 1 "${START_TRIES:-100}"); do
    listening "$port" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! kill -0 "$pid" 2>/dev/null || ! listening "$port"; then
    log "$name failed to start; stderr:"; tail -20 "$T/$name.err" >&2; tail -20 "$T/$name.log" 2>/dev/null >&2
    PID_OF[$name]=""
    return 1
  fi
  sleep 0.2
  PID_OF[$name]=$pid
  log "$name running on port $port, pid $pid ($(cat /proc/"$pid"/comm), $(awk '/^Threads:/ {print $2}' /proc/"$pid"/status) threads), open-files limit $(awk '/Max open files/ {print $4}' /proc/"$pid"/limits)"
}
