#!/usr/bin/env bash
# The packages of this build tree: cpack -G "DEB;RPM" into a temp dir, then check what an operator
# gets — the files of sluice and sluice-dev (the same in .deb and .rpm), modes, conffiles, the
# Depends computed by dpkg-shlibdeps, the maintainer scripts creating the `sluice` user, the
# Type=notify unit — start the packaged binary with the packaged sluice.ini and plugins, and run
# lintian on the .deb files (no error tags; with a prefix other than /usr the tags that only say
# "files under /usr/local" are suppressed: scripts/package.sh builds with /usr and checks all).
# shellcheck source=tests/integration/lib.sh
source "$SLUICE_SOURCE_DIR/tests/integration/lib.sh"

[[ -n ${SLUICE_BUILD_DIR:-} && -f $SLUICE_BUILD_DIR/CPackConfig.cmake ]] ||
  fail "SLUICE_BUILD_DIR (a configured and built sluice build dir) is not set"
for tool in cpack dpkg-deb dpkg-shlibdeps rpmbuild rpm lintian; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    [[ ${CI:-} == true ]] && fail "$tool not installed; CI must install it (scripts/install-deps.sh)"
    skip "$tool not installed (scripts/install-deps.sh installs it)"
  fi
done
it_init
cache() { sed -n "s/^$1:[A-Z]*=//p" "$SLUICE_BUILD_DIR/CMakeCache.txt"; }
prefix=$(cache CMAKE_INSTALL_PREFIX)
libdir=$(cache CMAKE_INSTALL_LIBDIR)
version=$(cache CMAKE_PROJECT_VERSION)
etc=$([[ $prefix == /usr ]] && echo /etc || echo "$prefix/etc")
unitdir=$(cache SLUICE_SYSTEMD_UNIT_DIR)
[[ -n $prefix && -n $libdir && -n $version && -n $unitdir ]] || fail "CMakeCache.txt lacks the install variables"

out=$IT_TMP/packages
log "cpack -G DEB;RPM (prefix $prefix, version $version)"
(cd "$IT_TMP" && cpack --config "$SLUICE_BUILD_DIR/CPackConfig.cmake" -G "DEB;RPM" -B "$IT_TMP/cpack" \
  -D CPACK_OUTPUT_FILE_PREFIX="$out") >"$IT_TMP/cpack.log" 2>&1 ||
  { tail -n 40 "$IT_TMP/cpack.log" >&2; fail "cpack failed"; }
deb_arch=$(dpkg --print-architecture)
rpm_arch=$(uname -m)
deb=$out/sluice_${version}-1_${deb_arch}.deb
deb_dev=$out/sluice-dev_${version}-1_${deb_arch}.deb
rpm_main=$out/sluice-${version}-1.${rpm_arch}.rpm
rpm_dev=$out/sluice-devel-${version}-1.${rpm_arch}.rpm
for f in "$deb" "$deb_dev" "$rpm_main" "$rpm_dev"; do
  [[ -s $f ]] || fail "missing package $f; got: $(ls "$out")"
done
log "ok: 4 packages: $(find "$out" -maxdepth 1 -type f -printf '%f ')"

# Files (not directories) of a package, one path per line, sorted.
deb_files() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort; }
# (rpmbuild adds /usr/lib/.build-id/ symlinks to the ELF files: not ours.)
rpm_files() { rpm -qlvp "$1" | awk '$1 !~ /^[dl]/ { print $NF }' | sort; }

# sluice: the daemon, every built-in plugin of this build, /etc files, systemd, man page, docs.
expected=("$prefix/bin/sluice" "$etc/sluice/sluice.ini" "$etc/sluice/userlist.txt"
  "$etc/logrotate.d/sluice" "$unitdir/sluice.service" "/usr/lib/tmpfiles.d/sluice.conf"
  "$prefix/share/man/man1/sluice.1.gz" "$prefix/share/doc/sluice/copyright"
  "$prefix/share/doc/sluice/changelog.Debian.gz")
for so in "$SLUICE_PLUGIN_DIR"/*.so; do
  expected+=("$prefix/$libdir/sluice/plugins/$(basename "$so")")
done
main_files=$(deb_files "$deb")
assert_eq "$main_files" "$(printf '%s\n' "${expected[@]}" | sort)" "files of the sluice .deb"
assert_eq "$(rpm_files "$rpm_main")" "$main_files" "files of the sluice .rpm (same as the .deb)"
assert_contains "$(dpkg-deb -c "$deb")" "-rw-r----- root/root" "userlist.txt mode in the .deb"

dev_files=$(deb_files "$deb_dev")
for f in include/sluice/abi.h include/sluice/build_flags.h include/sluice/sdk.hpp \
  include/sluice/testing/fake_host.hpp "$libdir/cmake/SluiceSDK/SluiceSDKConfig.cmake" \
  "$libdir/cmake/SluiceSDK/SluiceSDKConfigVersion.cmake" "$libdir/cmake/SluiceSDK/plugin.map" \
  "$libdir/pkgconfig/sluice-sdk.pc" share/doc/sluice-dev/examples/auth_socket_trust/auth_socket_trust.cpp \
  share/doc/sluice-dev/examples/auth_maintenance/auth_maintenance.c share/doc/sluice-dev/copyright; do
  assert_contains "$dev_files" "$prefix/$f" "sluice-dev files"
done
assert_eq "$(rpm_files "$rpm_dev")" "$dev_files" "files of the sluice-devel .rpm (same as the .deb)"

# Metadata and maintainer scripts.
depends=$(dpkg-deb -f "$deb" Depends)
for d in adduser libspdlog libssl3 libc6 libstdc++6; do
  assert_contains "$depends" "$d" "Depends of sluice (dpkg-shlibdeps)"
done
assert_eq "$(dpkg-deb -f "$deb" Version)" "$version-1" "deb version from project()"
ctrl=$IT_TMP/control
dpkg-deb -e "$deb" "$ctrl"
assert_eq "$(cat "$ctrl/conffiles")" "$etc/sluice/sluice.ini
$etc/sluice/userlist.txt
$etc/logrotate.d/sluice" "conffiles"
assert_contains "$(cat "$ctrl/postinst")" "adduser --system" "postinst creates the system user"
assert_eq "$(rpm -qp --configfiles "$rpm_main" | sort | tr '\n' ' ')" \
  "$etc/logrotate.d/sluice $etc/sluice/sluice.ini $etc/sluice/userlist.txt " "rpm config files"
assert_contains "$(rpm -qp --scripts "$rpm_main")" "useradd -r -g sluice" "rpm %pre creates the user"
assert_contains "$(rpm -qp --requires "$rpm_main")" "libspdlog" "rpm requires (automatic)"
assert_eq "$(rpm -qp --queryformat '%{VERSION}' "$rpm_main")" "$version" "rpm version from project()"

# The packaged files work together: the unit is Type=notify, and the packaged binary starts with
# the packaged sluice.ini and plugins (paths moved into the temp dir by environment overrides).
root=$IT_TMP/root
dpkg-deb -x "$deb" "$root"
assert_contains "$(cat "$root$unitdir/sluice.service")" "Type=notify" "packaged unit"
ini=$root$etc/sluice/sluice.ini
for kv in "pidfile = /run/sluice/sluice.pid" "logfile = /var/log/sluice/sluice.log" \
  "unix_socket_dir = /run/sluice"; do
  assert_contains "$(grep -E '^[a-z_]+ = ' "$ini")" "$kv" "packaged sluice.ini"
done
assert_not_contains "$(grep -E '^"' "$root$etc/sluice/userlist.txt" || true)" '"' "active users in the packaged userlist"
chmod -R a+rX "$root"
run_dir=$IT_TMP/run
mkdir -p "$run_dir"
chown "$(it_service_user)" "$run_dir" 2>/dev/null || true
port=$(free_port) || fail "no free port for the packaged daemon"
daemon_log=$IT_TMP/packaged.out
as_user=()
((EUID == 0)) && as_user=(setpriv --reuid="$(it_service_user)" --regid="$(id -g "$(it_service_user)")" --init-groups --)
SLUICE_LISTEN_PORT=$port SLUICE_PIDFILE=$run_dir/sluice.pid SLUICE_LOGFILE=$run_dir/sluice.log \
  SLUICE_UNIX_SOCKET_DIR=$run_dir SLUICE_PLUGIN_DIR=$root$prefix/$libdir/sluice/plugins \
  SLUICE_AUTH_FILE=$root$etc/sluice/userlist.txt \
  "${as_user[@]}" "$root$prefix/bin/sluice" "$ini" >"$daemon_log" 2>&1 &
pkg_pid=$!
IT_BG_PIDS+=("$pkg_pid")
for ((i = 0; i < 100; i++)); do
  grep -q "listening on 127.0.0.1:$port" "$daemon_log" && break
  kill -0 "$pkg_pid" 2>/dev/null || fail "packaged daemon exited: $(cat "$daemon_log")"
  sleep 0.1
done
assert_contains "$(cat "$daemon_log")" "listening on unix:$run_dir/.s.PGSQL.$port" "packaged daemon with packaged config"
[[ -s $run_dir/sluice.pid ]] || fail "no pidfile written"
kill -TERM "$pkg_pid"
wait "$pkg_pid" || true

# lintian: no error tags.
suppress=()
if [[ $prefix != /usr ]]; then
  tags=dir-in-usr-local,file-in-usr-local,file-in-unusual-dir,file-in-usr-marked-as-conffile
  tags+=,non-etc-file-marked-as-conffile,no-copyright-file,no-changelog
  suppress=(--suppress-tags "$tags")
  log "prefix $prefix: lintian without the tags about that prefix"
fi
rc=0
lintian "${suppress[@]}" "$deb" "$deb_dev" >"$IT_TMP/lintian.out" 2>&1 || rc=$?
cat "$IT_TMP/lintian.out" >&2
if grep -q '^E: ' "$IT_TMP/lintian.out"; then
  fail "lintian reports errors"
fi
log "ok: lintian: no errors ($(grep -c '^W: ' "$IT_TMP/lintian.out" || true) warnings, exit $rc)"
