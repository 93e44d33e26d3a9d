#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run):
#   1. scripts/install-deps.sh
#   2. build/        (RelWithDebInfo): build + ctest --output-on-failure, then scripts/lint.sh
#   3. build-asan/   (ASan+UBSan):     build + ctest            [skipped by --quick]
#   4. build-tsan/   (ThreadSanitizer): the daemon and plugins only, then the integration tests that
#      run several shards and move servers between them (TSAN_TESTS)  [skipped by --quick]
#   5. build-fuzz/   (clang, libFuzzer): every fuzz_* target for FUZZ_SECONDS (default 60) over
#      its seeds in tests/fuzz/corpus/ (see below)                 [skipped by --quick]
# Exits non-zero if any stage fails; the last line is "summary: N passed, N failed[, N skipped]".
# Options: --quick (stages 1-2 only), --no-deps (skip 1), --stages=normal,lint,asan,tsan,fuzz (any subset). Env: CTEST_JOBS (default nproc),
# FUZZ_SECONDS, CTEST_ARGS (extra ctest arguments, e.g. "-L integration"), SLUICE_BUILD_BASE
# (folder for the build dirs; default: the repository root).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1

quick=0
deps=1
stages=normal,lint,asan,tsan,fuzz
for a in "$@"; do
  case $a in
    --quick) quick=1 ;;
    --stages=*) stages=${a#--stages=} ;;
    --no-deps) deps=0 ;;
    -h | --help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

base=${SLUICE_BUILD_BASE:-$root}
jobs=${CTEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
fuzz_seconds=${FUZZ_SECONDS:-60}
logdir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-test.XXXXXX")
trap 'rm -rf "$logdir"' EXIT

total_pass=0
total_fail=0
total_skip=0
stage_lines=()
failed_stages=0
t0=$SECONDS

stage_result() { # NAME STATUS DETAIL
  stage_lines+=("$(printf '%-10s %-6s %s' "$1" "$2" "$3")")
  [[ $2 == FAIL ]] && failed_stages=$((failed_stages + 1))
  return 0
}

banner() { printf '\n==== %s ====\n' "$*"; }

# run_ctest NAME BUILDDIR: ctest with output on failure; adds its counts to the totals.
run_ctest() {
  local name=$1 dir=$2 log=$logdir/ctest-$1.log rc=0
  local -a extra=()
  if [[ -n ${CTEST_ARGS:-} ]]; then read -r -a extra <<<"$CTEST_ARGS"; fi
  banner "$name: ctest ($dir, -j$jobs)"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" "${extra[@]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  local line total=0 failed=0 skipped
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [[ -n $line ]]; then
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")
    total=$(sed -E 's/.*failed out of ([0-9]+).*/\1/' <<<"$line")
  fi
  skipped=$(grep -cE '^[[:space:]]*[0-9]+ - .*\((Skipped|Not Run|Disabled)\)' "$log" || true)
  local passed=$((total - failed - skipped))
  ((passed < 0)) && passed=0
  total_pass=$((total_pass + passed))
  total_fail=$((total_fail + failed))
  total_skip=$((total_skip + skipped))
  if ((rc != 0)); then
    ((failed == 0)) && total_fail=$((total_fail + 1))
    stage_result "$name" FAIL "ctest exit $rc: $passed passed, $failed failed, $skipped skipped"
  elif ((total == 0)); then
    stage_result "$name" ok "no tests registered"
  else
    stage_result "$name" ok "$passed passed, $failed failed, $skipped skipped"
  fi
}

# build_stage NAME BUILD_ARGS...: returns non-zero (and records a failure) if the build fails.
build_stage() {
  local name=$1
  shift
  banner "$name: scripts/build.sh $*"
  if ! bash "$root/scripts/build.sh" "$@"; then
    total_fail=$((total_fail + 1))
    stage_result "$name" FAIL "build failed"
    return 1
  fi
}

if ((deps)); then
  banner "install dependencies"
  if ! bash "$root/scripts/install-deps.sh"; then
    echo "test.sh: installing dependencies failed" >&2
    echo "summary: 0 passed, 1 failed"
    exit 1
  fi
fi

want() { [[ ,$stages, == *,$1,* ]]; }
((quick)) && stages=normal,lint

# 1. Normal build.
if ! want normal; then
  stage_result normal skip "not in --stages"
elif build_stage normal "$base/build"; then
  run_ctest normal "$base/build"
  # Lint (clang-format + clang-tidy) with the normal build's compile_commands.json.
  if want lint; then
    banner "lint: scripts/lint.sh"
    if bash "$root/scripts/lint.sh" "$base/build"; then
      stage_result lint ok "clang-format and clang-tidy clean"
    else
      total_fail=$((total_fail + 1))
      stage_result lint FAIL "see the findings above"
    fi
  fi
fi

if ((quick)); then
  stage_result asan skip "--quick"
  stage_result tsan skip "--quick"
  stage_result fuzz skip "--quick"
fi

# 2. ASan + UBSan.
if ! want asan; then
  ((quick)) || stage_result asan skip "not in --stages"
elif build_stage asan --asan "$base/build-asan"; then
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:quarantine_size_mb=16} \
      UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
      run_ctest asan "$base/build-asan"
fi

# 3. ThreadSanitizer: the multi-shard integration tests (workers=2 in each) against a TSan daemon.
# lib.sh fails a test whose daemon log has a "WARNING: ThreadSanitizer" report.
tsan_tests=${TSAN_TESTS:-admin_console|pause_resume|one_logical_pool_across_shards|transaction_and_statement_modes|client_timeouts|pool_sizing|server_failures|cancel_request|queued_client_that_leaves_does_not_run|prometheus_metrics}
if ! want tsan; then
  ((quick)) || stage_result tsan skip "not in --stages"
elif SLUICE_BUILD_TARGETS="sluice pool_session pool_transaction pool_statement auth_any auth_trust auth_plain auth_md5 auth_scram admin_show admin_advice metrics_prometheus" \
  build_stage tsan --tsan "$base/build-tsan"; then
  TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1} \
    CTEST_ARGS="-L integration -R ($tsan_tests)" run_ctest tsan "$base/build-tsan"
fi

# 4. Fuzz targets (clang + libFuzzer).
if ! want fuzz; then
  ((quick)) || stage_result fuzz skip "not in --stages"
else
  if ! command -v clang++ >/dev/null 2>&1; then
    stage_result fuzz skip "clang++ not installed"
  elif banner "fuzz: configure build-fuzz" && ! bash "$root/scripts/build.sh" --fuzz --configure-only "$base/build-fuzz"; then
    total_fail=$((total_fail + 1))
    stage_result fuzz FAIL "configure failed"
  else
    mapfile -t fuzz_targets < <(cmake --build "$base/build-fuzz" --target help 2>/dev/null |
      grep -oE '(^|[[:space:]]|\.\.\. )fuzz_[A-Za-z0-9_]+' | grep -oE 'fuzz_[A-Za-z0-9_]+' | sort -u)
    if ((${#fuzz_targets[@]} == 0)); then
      echo "test.sh: warning: no fuzz_* targets in build-fuzz (tests/fuzz defines none yet)" >&2
      stage_result fuzz skip "no fuzz_* targets defined"
    elif banner "fuzz: build ${fuzz_targets[*]}" &&
      ! SLUICE_BUILD_TARGETS="${fuzz_targets[*]}" bash "$root/scripts/build.sh" --fuzz "$base/build-fuzz"; then
      total_fail=$((total_fail + 1))
      stage_result fuzz FAIL "build failed"
    else
      fuzz_pass=0
      fuzz_fail=0
      for t in "${fuzz_targets[@]}"; do
        exe=$(find "$base/build-fuzz/" -type f -name "$t" -perm -u+x | head -n 1)
        if [[ -z $exe ]]; then
          echo "test.sh: fuzz target $t built but its executable was not found" >&2
          fuzz_fail=$((fuzz_fail + 1))
          continue
        fi
        short=${t#fuzz_}
        seeds=()
        # Seeds: tests/fuzz/corpus/D where D is the target name, the name without "fuzz_", or
        # its first word (fuzz_frontend_decoder -> corpus/frontend).
        for d in "$root"/tests/fuzz/corpus/*/; do
          d=${d%/}
          n=$(basename "$d")
          if [[ $n == "$t" || $n == "$short" || $short == "${n}_"* ]]; then
            seeds+=("$d")
          fi
        done
        work=$base/build-fuzz/fuzz-run/$t
        rm -rf "$work"
        mkdir -p "$work/corpus" "$work/artifacts"
        fargs=(-max_total_time="$fuzz_seconds" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1
          -artifact_prefix="$work/artifacts/")
        for dict in "$root/tests/fuzz/$t.dict" "$root/tests/fuzz/$short.dict"; do
          [[ -f $dict ]] && fargs+=(-dict="$dict") && break
        done
        banner "fuzz: $t for ${fuzz_seconds}s (seeds: ${seeds[*]:-none})"
        if ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$exe" "${fargs[@]}" "$work/corpus" "${seeds[@]}" \
          >"$work/fuzz.log" 2>&1; then
          tail -n 12 "$work/fuzz.log"
          fuzz_pass=$((fuzz_pass + 1))
        else
          echo "test.sh: FUZZ FAILURE in $t; last lines of $work/fuzz.log:" >&2
          tail -n 60 "$work/fuzz.log" >&2
          ls -l "$work/artifacts" >&2 || true
          fuzz_fail=$((fuzz_fail + 1))
        fi
      done
      total_pass=$((total_pass + fuzz_pass))
      total_fail=$((total_fail + fuzz_fail))
      if ((fuzz_fail)); then
        stage_result fuzz FAIL "$fuzz_pass passed, $fuzz_fail failed (${fuzz_seconds}s each)"
      else
        stage_result fuzz ok "$fuzz_pass targets, ${fuzz_seconds}s each, no crash"
      fi
    fi
  fi
fi

banner "test.sh results ($((SECONDS - t0)) s)"
printf '%s\n' "${stage_lines[@]}"
if ((total_skip)); then
  echo "summary: $total_pass passed, $total_fail failed, $total_skip skipped"
else
  echo "summary: $total_pass passed, $total_fail failed"
fi
if ((failed_stages || total_fail)); then
  exit 1
fi
exit 0
