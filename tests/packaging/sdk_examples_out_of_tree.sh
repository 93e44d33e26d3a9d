#!/usr/bin/env bash
# The plugin SDK as a third party uses it: stage-install the build (`cmake --install` with DESTDIR,
# components dev and daemon), copy each example of the installed sluice-dev files to a folder
# outside the source tree, build it with nothing but find_package(SluiceSDK) pointed at the staged
# prefix, drop the .so files into a plugin directory, start the STAGED daemon with them and use
# them through psql against a real PostgreSQL:
#   auth_socket_trust (C++): Unix socket = trust, TCP = md5;
#   auth_maintenance (C):    after auth_type = maintenance + SIGHUP, new logins get 57P03 while a
#                            session logged in before keeps working.
# Finally the C example rebuilt against an SDK whose abi.h declares the next ABI major is refused
# with the loader's message.
# shellcheck source=tests/integration/lib.sh
source "$SLUICE_SOURCE_DIR/tests/integration/lib.sh"

[[ -n ${SLUICE_BUILD_DIR:-} && -f $SLUICE_BUILD_DIR/CMakeCache.txt ]] ||
  fail "SLUICE_BUILD_DIR (a configured and built sluice build dir) is not set"
pg_start

# 1. Staged install of both packages' files.
stage=$IT_TMP/stage
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$SLUICE_BUILD_DIR/CMakeCache.txt")
for component in dev daemon; do
  DESTDIR=$stage cmake --install "$SLUICE_BUILD_DIR" --component "$component" >"$IT_TMP/install-$component.log" 2>&1 ||
    { cat "$IT_TMP/install-$component.log" >&2; fail "cmake --install --component $component failed"; }
done
root=$stage$prefix
examples=$root/share/doc/sluice-dev/examples
[[ -f $root/include/sluice/abi.h && -d $examples ]] || fail "staged SDK incomplete under $root"
staged_bin=$root/bin/sluice
[[ -x $staged_bin ]] || fail "staged daemon $staged_bin missing"
builtin_dir=$(find "$root" -type d -path '*/sluice/plugins' | head -n 1)
[[ -f $builtin_dir/auth_md5.so ]] || fail "staged built-in plugins missing (looked in $root)"
log "staged install in $root"

# 2. Build each example from a copy outside the source tree, against the staged SDK only: the C++
# one with CMake (find_package(SluiceSDK) + sluice_add_plugin), the C one with pkg-config here and
# with CMake in step 4.
# build_example SRC_NAME SDK_PREFIX OUT_DIR
build_example() {
  local name=$1 sdk=$2 out=$3 src=$IT_TMP/src-$1-$RANDOM
  cp -r "$examples/$name" "$src"
  rm -rf "$src/build"
  local -a flags=()
  if [[ -n ${SLUICE_PLUGIN_SANITIZE_FLAGS:-} ]]; then
    flags=("-DCMAKE_C_FLAGS=$SLUICE_PLUGIN_SANITIZE_FLAGS" "-DCMAKE_CXX_FLAGS=$SLUICE_PLUGIN_SANITIZE_FLAGS"
      "-DCMAKE_MODULE_LINKER_FLAGS=$SLUICE_PLUGIN_SANITIZE_FLAGS")
  fi
  cmake -S "$src" -B "$src/build" -DCMAKE_PREFIX_PATH="$sdk" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "${flags[@]}" >"$src.configure.log" 2>&1 ||
    { cat "$src.configure.log" >&2; fail "$name: configure against $sdk failed"; }
  cmake --build "$src/build" >"$src.build.log" 2>&1 ||
    { cat "$src.build.log" >&2; fail "$name: build failed"; }
  # The headers came from the staged SDK, never from the source tree.
  local cc
  cc=$(cat "$src/build/compile_commands.json")
  assert_contains "$cc" "$sdk/include " "$name compiled against the given SDK"
  assert_not_contains "$cc" "$SLUICE_SOURCE_DIR/sdk" "$name compile commands"
  mkdir -p "$out"
  cp "$src/build/$name.so" "$out/"
}
plugins=$IT_TMP/plugins
mkdir -p "$plugins"
cp "$builtin_dir"/*.so "$plugins/"
build_example auth_socket_trust "$root" "$plugins"
# The C example the pkg-config way (no CMake): the same flags sluice_add_plugin uses.
pc() { PKG_CONFIG_PATH=$(dirname "$(find "$root" -name sluice-sdk.pc | head -n 1)") \
  pkg-config --define-variable=prefix="$root" "$@" sluice-sdk; }
read -r -a pc_cflags <<<"$(pc --cflags)"
pc_map=$(pc --variable=pluginmap)
[[ -f $pc_map ]] || fail "pkg-config pluginmap $pc_map does not exist"
# shellcheck disable=SC2086  # SLUICE_PLUGIN_SANITIZE_FLAGS is a list of flags
cc -std=c99 -O2 -Wall -Wextra -pedantic -Werror -shared -fPIC -fvisibility=hidden \
  ${SLUICE_PLUGIN_SANITIZE_FLAGS:-} "${pc_cflags[@]}" "-Wl,--version-script=$pc_map" \
  -Wl,--no-undefined -o "$plugins/auth_maintenance.so" "$examples/auth_maintenance/auth_maintenance.c" ||
  fail "auth_maintenance: build with pkg-config flags failed"
for so in auth_socket_trust auth_maintenance; do
  exports=$(nm -D --defined-only "$plugins/$so.so" | awk '{print $3}' | sort | tr '\n' ' ')
  assert_eq "$exports" "sluice_plugin_init sluice_plugin_magic " "symbols exported by $so.so"
done
chmod -R a+rX "$IT_TMP/stage" "$plugins"

# 3. The staged daemon with both examples.
export SLUICE_BIN=$staged_bin SLUICE_PLUGIN_DIR=$plugins
write_config "plugins=pool_session, auth_md5, auth_socket_trust, auth_maintenance" \
  auth_type=socket_trust
sluice_start "$SLUICE_CONFIG"
assert_contains "$(cat "$SLUICE_LOG")" "loaded plugin auth_socket_trust 1.0.0 from $plugins/auth_socket_trust.so (auth_method:socket_trust)" "load log (C++)"
assert_contains "$(cat "$SLUICE_LOG")" "loaded plugin auth_maintenance 1.0.0 from $plugins/auth_maintenance.so (auth_method:maintenance)" "load log (C)"

# socket_trust: no password over the Unix socket...
out=$(psql_to "$SLUICE_SOCK" "$SLUICE_PORT" app "" -c 'SELECT current_user') ||
  fail "Unix-socket login without a password was refused"
assert_eq "$out" app "current_user over the Unix socket without a password"
# ...but a user missing from auth_file is still refused there,
rc=0
out=$(psql_to "$SLUICE_SOCK" "$SLUICE_PORT" ghost "" -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "unknown user got in over the Unix socket"
assert_contains "$out" "password authentication failed" "unknown user over the Unix socket"
# ...and TCP asks for the md5 password: none, a wrong one, the right one.
rc=0
out=$(psql_to 127.0.0.1 "$SLUICE_PORT" app "" -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "TCP login without a password was accepted"
assert_contains "$out" "no password supplied" "TCP without a password (server asked for one)"
rc=0
out=$(psql_to 127.0.0.1 "$SLUICE_PORT" app wrong_pw -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "TCP login with a wrong password was accepted"
assert_contains "$out" "password authentication failed" "TCP with a wrong password"
out=$(psql_sluice app -c "SELECT current_user || ' ' || sum(x) FROM generate_series(1, 10) x") ||
  fail "TCP login with the right password was refused"
assert_eq "$out" "app 55" "query over TCP after md5"

# maintenance: a session opened before the switch survives it; new logins are refused.
held=$IT_TMP/held.out
bg psql_sluice app -c 'SELECT pg_sleep(4)' -c "SELECT 'held session still served'" >"$held" 2>&1
held_pid=$BG_PID
sleep 1
sed -i 's/^auth_type = .*/auth_type = maintenance/' "$SLUICE_CONFIG"
kill -HUP "$SLUICE_PID"
for ((i = 0; i < 50; i++)); do
  grep -q 'configuration reloaded' "$SLUICE_LOG" && break
  sleep 0.1
done
grep -q 'configuration reloaded' "$SLUICE_LOG" || fail "no 'configuration reloaded' after SIGHUP"
rc=0
out=$(psql_sluice app -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "login accepted in maintenance"
assert_contains "$out" "FATAL:  sluice is closed for maintenance: try again later" "psql in maintenance"
# psql does not print a login error's SQLSTATE: read the ErrorResponse's fields off the wire.
fields=$(python3 - "$SLUICE_PORT" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
params = b"user\0app\0database\0app\0\0"
s.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)  # StartupMessage, protocol 3.0
head = s.recv(5, socket.MSG_WAITALL)
body = s.recv(struct.unpack("!i", head[1:])[0] - 4, socket.MSG_WAITALL)
print(chr(head[0]), " ".join(f.decode()[:1] + "=" + f.decode()[1:] for f in body.split(b"\0") if f))
PY
)
assert_contains "$fields" "E S=FATAL" "ErrorResponse in maintenance"
assert_contains "$fields" " C=57P03 " "SQLSTATE of a login in maintenance"
rc=0
out=$(psql_to "$SLUICE_SOCK" "$SLUICE_PORT" app "" -c 'SELECT 1' 2>&1) || rc=$?
(( rc != 0 )) || fail "Unix-socket login accepted in maintenance"
wait "$held_pid" || fail "the session held across the switch failed: $(cat "$held")"
assert_contains "$(cat "$held")" "held session still served" "session opened before maintenance"
assert_contains "$(cat "$SLUICE_LOG")" 'maintenance: refused login of user "app" to "app" from 127.0.0.1' "plugin log line (host API from C)"
sluice_stop

# 4. The C example rebuilt against an SDK declaring the next ABI major is refused by the daemon.
next_sdk=$IT_TMP/sdk-next
cp -r "$root" "$next_sdk"
major=$(sed -n 's/^#define SLUICE_ABI_MAJOR \([0-9]*\)$/\1/p' "$root/include/sluice/abi.h")
[[ -n $major ]] || fail "no SLUICE_ABI_MAJOR in the staged abi.h"
sed -i "s/^#define SLUICE_ABI_MAJOR $major\$/#define SLUICE_ABI_MAJOR $((major + 1))/" \
  "$next_sdk/include/sluice/abi.h"
next_plugins=$IT_TMP/plugins-next
build_example auth_maintenance "$next_sdk" "$next_plugins"
cp "$builtin_dir"/*.so "$next_plugins/"
chmod -R a+rX "$next_plugins"
# (SLUICE_PLUGIN_DIR is also the daemon's own override of plugin_dir, so set it rather than the key.)
export SLUICE_PLUGIN_DIR=$next_plugins
write_config "plugins=pool_session, auth_md5, auth_maintenance"
rc=0
(cd "$IT_TMP" && timeout 20 "$SLUICE_RUN_BIN" "$SLUICE_CONFIG") >"$IT_TMP/next.out" 2>&1 || rc=$?
(( rc != 0 && rc != 124 )) || fail "daemon started with a plugin built for ABI major $((major + 1)) (exit $rc)"
assert_contains "$(cat "$IT_TMP/next.out")" \
  "plugin $next_plugins/auth_maintenance.so: abi_major: plugin has $((major + 1)), host has $major" \
  "refusal of the example built for the next ABI major"
