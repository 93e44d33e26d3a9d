#!/usr/bin/env bash
# Builds the packages of sluice from a clean Release build and prints their paths:
#   sluice_<v>_<arch>.deb, sluice-dev_<v>_<arch>.deb, sluice-<v>-1.<arch>.rpm, sluice-devel-<v>-1.<arch>.rpm
#   scripts/package.sh [builddir]      default: build-package/ (deleted first)
# Configures with -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DSLUICE_BUILD_TESTS=OFF,
# builds, runs cpack -G "DEB;RPM", then lintian on the .deb files (fails on any E: tag).
# Needs dpkg-dev (dpkg-shlibdeps), rpm (rpmbuild) and lintian: scripts/install-deps.sh.
# Env: SLUICE_PACKAGE_KEEP=1 reuses an existing build dir; JOBS (default nproc).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${1:-$root/build-package}
[[ $builddir == /* ]] || builddir=$PWD/$builddir
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

for tool in cmake cpack dpkg-shlibdeps rpmbuild; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "package.sh: $tool not found (run scripts/install-deps.sh)" >&2
    exit 1
  }
done

if [[ ${SLUICE_PACKAGE_KEEP:-0} != 1 ]]; then
  rm -rf "$builddir"
fi
generator=()
if [[ ! -f $builddir/CMakeCache.txt ]] && command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi
echo "package.sh: configuring $builddir (Release, prefix /usr)"
cmake -S "$root" -B "$builddir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX=/usr -DSLUICE_BUILD_TESTS=OFF >"$builddir.configure.log" 2>&1 ||
  { cat "$builddir.configure.log" >&2; exit 1; }
rm -f "$builddir.configure.log"
echo "package.sh: building with -j$jobs"
cmake --build "$builddir" -j "$jobs"
rm -rf "$builddir/packages"
echo "package.sh: cpack -G DEB;RPM"
(cd "$builddir" && cpack -G "DEB;RPM") >"$builddir/cpack.log" 2>&1 ||
  { cat "$builddir/cpack.log" >&2; exit 1; }

mapfile -t debs < <(find "$builddir/packages" -maxdepth 1 -name '*.deb' | sort)
mapfile -t rpms < <(find "$builddir/packages" -maxdepth 1 -name '*.rpm' | sort)
if ((${#debs[@]} != 2 || ${#rpms[@]} != 2)); then
  echo "package.sh: expected 2 .deb and 2 .rpm files, got: ${debs[*]} ${rpms[*]}" >&2
  exit 1
fi
if command -v lintian >/dev/null 2>&1; then
  echo "package.sh: lintian"
  # Tags are printed; only errors fail the script (warnings are listed in packaging/README.md).
  lintian --fail-on error "${debs[@]}"
else
  echo "package.sh: lintian not installed: .deb files not checked" >&2
fi
echo "package.sh: packages:"
printf '%s\n' "${debs[@]}" "${rpms[@]}"
