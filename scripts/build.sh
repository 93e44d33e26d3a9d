#!/usr/bin/env bash
# Configure and build sluice with CMake.
#   scripts/build.sh [--asan|--tsan|--release|--fuzz] [--configure-only] [builddir] [-- cmake args...]
# default : RelWithDebInfo into build/
# --asan  : ASan+UBSan (-DSLUICE_SANITIZE=ON) into build-asan/
# --tsan  : ThreadSanitizer (-DSLUICE_TSAN=ON) into build-tsan/
# --release: Release into build-release/
# --fuzz  : clang + libFuzzer targets (-DSLUICE_FUZZ=ON) into build-fuzz/
# Uses Ninja when available (for a new build dir), -j$(nproc). Extra cmake args: after "--" or in
# SLUICE_CMAKE_ARGS. Build only some targets: SLUICE_BUILD_TARGETS="a b".
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=default
builddir=""
configure_only=0
extra=()
while (($#)); do
  case $1 in
    --asan) mode=asan ;;
    --tsan) mode=tsan ;;
    --release) mode=release ;;
    --fuzz) mode=fuzz ;;
    --configure-only) configure_only=1 ;;
    -h | --help)
      sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    --) shift; extra+=("$@"); break ;;
    -*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    *) builddir=$1 ;;
  esac
  shift
done

args=()
case $mode in
  default) : "${builddir:=build}"; args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  release) : "${builddir:=build-release}"; args+=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) : "${builddir:=build-asan}"; args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_SANITIZE=ON) ;;
  tsan) : "${builddir:=build-tsan}"; args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_TSAN=ON) ;;
  fuzz)
    : "${builddir:=build-fuzz}"
    export CC=clang CXX=clang++
    args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_FUZZ=ON
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
    ;;
esac
[[ $builddir == /* ]] || builddir=$root/$builddir

if [[ ! -f $builddir/CMakeCache.txt ]] && command -v ninja >/dev/null 2>&1; then
  args+=(-G Ninja)
fi
if [[ -n ${SLUICE_CMAKE_ARGS:-} ]]; then
  read -r -a env_args <<<"$SLUICE_CMAKE_ARGS"
  args+=("${env_args[@]}")
fi
args+=("${extra[@]}")

echo "build.sh: configuring $builddir ($mode)"
cmake -S "$root" -B "$builddir" "${args[@]}"
((configure_only)) && exit 0

jobs=$(nproc 2>/dev/null || echo 2)
targets=()
if [[ -n ${SLUICE_BUILD_TARGETS:-} ]]; then
  for t in $SLUICE_BUILD_TARGETS; do targets+=(--target "$t"); done
fi
echo "build.sh: building $builddir with -j$jobs"
cmake --build "$builddir" -j "$jobs" "${targets[@]}"
echo "build.sh: built $builddir"
