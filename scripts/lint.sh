#!/usr/bin/env bash
# Keeps the tree clean against .clang-format and .clang-tidy.
#   scripts/lint.sh [BUILDDIR]   BUILDDIR holds compile_commands.json (default: build)
# clang-format checks every C/C++ file in git; clang-tidy checks every .cpp of core/, plugins/
# and sdk/ (headers through them). Exits non-zero on any finding. Boost 1.74 only enables Asio
# coroutines for clang with libc++, so the two -D flags tell it libstdc++ has them too.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
build=${1:-build}
rc=0

mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.c')
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  echo "lint: not clang-formatted (run clang-format -i): ${bad[*]}" >&2
  rc=1
else
  echo "lint: clang-format clean (${#files[@]} files)"
fi

if [[ ! -f $build/compile_commands.json ]]; then
  echo "lint: $build/compile_commands.json missing: build first (scripts/build.sh)" >&2
  exit 1
fi
mapfile -t sources < <(git ls-files 'core/*.cpp' 'plugins/*.cpp')
out=$(printf '%s\n' "${sources[@]}" |
  xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet \
    --extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1 --extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE=1 2>/dev/null | grep -E 'warning:|error:' | sort -u)
if [[ -n $out ]]; then
  echo "$out" >&2
  echo "lint: clang-tidy findings: $(wc -l <<<"$out")" >&2
  rc=1
else
  echo "lint: clang-tidy clean (${#sources[@]} sources)"
fi
exit $rc
