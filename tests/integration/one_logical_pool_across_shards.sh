#!/usr/bin/env bash
# One logical pool on all cores: with workers=2 and default_pool_size=1, client A holds the only
# server connection while clients B and C queue. Connections are handed to the two shards round
# robin, so B and C are on different shards and at least one of them is not on A's shard: all
# three must run on the very same server backend (handed across shards), PostgreSQL must never
# see a second connection from sluice (the limit is exact globally), and B and C really waited.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
write_config pool_mode=session default_pool_size=1 workers=2
sluice_start "$SLUICE_CONFIG"

run_client() { # OUTFILE SQL
  psql_sluice app -c "$2" >"$1" 2>&1
}

run_client "$IT_TMP/warm.out" 'SELECT 1' || fail "warm-up failed: $(cat "$IT_TMP/warm.out")"
start=$SECONDS
bg run_client "$IT_TMP/a.out" 'SELECT pg_backend_pid(), pg_sleep(3)'
a_bg=$BG_PID
sleep 1
bg run_client "$IT_TMP/b.out" 'SELECT pg_backend_pid()'
b_bg=$BG_PID
bg run_client "$IT_TMP/c.out" 'SELECT pg_backend_pid()'
c_bg=$BG_PID

sleep 1
servers=$(psql_admin -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND backend_type = 'client backend'")
assert_eq "$servers" "1" "PostgreSQL sees exactly one connection from sluice while B and C queue"

wait "$a_bg" || fail "client A failed: $(cat "$IT_TMP/a.out")"
wait "$b_bg" || fail "client B failed: $(cat "$IT_TMP/b.out")"
wait "$c_bg" || fail "client C failed: $(cat "$IT_TMP/c.out")"
elapsed=$((SECONDS - start))
a_pid=$(cut -d'|' -f1 <"$IT_TMP/a.out")
b_pid=$(cat "$IT_TMP/b.out")
c_pid=$(cat "$IT_TMP/c.out")
log "backends: A=$a_pid B=$b_pid C=$c_pid, all done after ${elapsed}s"
[[ $a_pid =~ ^[0-9]+$ ]] || fail "client A did not report a backend pid: $(cat "$IT_TMP/a.out")"
assert_eq "$b_pid" "$a_pid" "B is served by the server connection A released"
assert_eq "$c_pid" "$a_pid" "C is served by the same server connection"
(( elapsed >= 3 )) || fail "B and C did not wait for A (${elapsed}s): the pool limit was not enforced"
sluice_alive
