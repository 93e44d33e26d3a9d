#!/usr/bin/env bash
# The daemon refuses, at start-up, each broken plugin from tests/abi with its reason (file, field
# and both values), exits non-zero, and never starts listening.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -n ${SLUICE_ABI_PLUGIN_DIR:-} && -d $SLUICE_ABI_PLUGIN_DIR ]] ||
  fail "SLUICE_ABI_PLUGIN_DIR (the tests/abi plugins) is not set or missing"
pg_start
abi_dir=$IT_TMP/abi_plugins
cp -r "$SLUICE_ABI_PLUGIN_DIR" "$abi_dir"
chmod -R a+rX "$abi_dir"

# plugin file -> text the refusal must contain
declare -A expect=(
  [no_magic]="no magic: symbol sluice_plugin_magic not found"
  [abi_major]="abi_major: plugin has"
  [abi_minor]="abi_minor: plugin needs host >="
  [magic_size]="struct_size of sluice_magic: plugin has"
  [init_error]="init failed:"
  [null_descriptor]="init returned a NULL descriptor"
)
for name in "${!expect[@]}"; do
  write_config "plugins=pool_session, auth_md5, $abi_dir/$name.so"
  out=$IT_TMP/$name.out
  rc=0
  (cd "$IT_TMP" && timeout 20 "$SLUICE_RUN_BIN" "$SLUICE_CONFIG") >"$out" 2>&1 || rc=$?
  log "$name: exit $rc: $(tail -n 1 "$out")"
  (( rc != 0 && rc != 124 )) || fail "$name: daemon did not refuse the plugin (exit $rc)"
  assert_contains "$(cat "$out")" "plugin $abi_dir/$name.so: ${expect[$name]}" "$name refused with its reason"
  if "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$SLUICE_PORT" -t 1; then
    fail "$name: something listens on the sluice port after the refusal"
  fi
done

# Two plugins providing the same extension name.
write_config "plugins=pool_session, auth_md5, $abi_dir/dup_a.so, $abi_dir/dup_b.so"
rc=0
(cd "$IT_TMP" && timeout 20 "$SLUICE_RUN_BIN" "$SLUICE_CONFIG") >"$IT_TMP/dup.out" 2>&1 || rc=$?
(( rc != 0 && rc != 124 )) || fail "duplicate extension not refused (exit $rc)"
assert_contains "$(cat "$IT_TMP/dup.out")" "plugin $abi_dir/dup_b.so: duplicate" "duplicate extension refused"
assert_contains "$(cat "$IT_TMP/dup.out")" "already provided by $abi_dir/dup_a.so" "names the first provider"
