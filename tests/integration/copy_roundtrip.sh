#!/usr/bin/env bash
# COPY through sluice in both directions must be byte-exact: text format with tabs, backslashes,
# newlines, NULLs and non-ASCII text; binary format with bytea; psql's \copy (client-side,
# from psql's stdin and to a file). A COPY that fails half-way must leave the pool usable.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
write_config default_pool_size=2
sluice_start "$SLUICE_CONFIG"

psql_sluice app -q <<'SQL'
CREATE TABLE src(id int PRIMARY KEY, t text, b bytea, n numeric, ts timestamptz);
INSERT INTO src
SELECT i,
       CASE WHEN i % 13 = 0 THEN NULL
            ELSE 'row ' || i || E'\ttab \\ backslash ünïcødé 日本語 🚀 "quotes" '
                 || repeat(md5(i::text), 1 + i % 17)
                 || CASE WHEN i % 7 = 0 THEN E'\nsecond line\r\n' ELSE '' END
       END,
       decode(md5(i::text) || md5((i * 7)::text), 'hex') || '\x00ff00'::bytea,
       i * 1.5,
       '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 minute'
FROM generate_series(1, 30000) i;
CREATE TABLE dst (LIKE src);
CREATE TABLE dst2 (LIKE src);
CREATE TABLE dst_bin (LIKE src);
SQL

q_out() { printf "COPY (SELECT * FROM %s ORDER BY id) TO STDOUT%s" "$1" "${2:-}"; }

# Text format: server-side COPY TO STDOUT -> file -> COPY FROM STDIN -> COPY TO STDOUT -> cmp.
psql_sluice app -c "$(q_out src)" >"$IT_TMP/src.copy"
size=$(stat -c %s "$IT_TMP/src.copy")
(( size > 5000000 )) || fail "COPY out of src produced only $size bytes"
log "COPY out: $size bytes"
psql_pg app -c "$(q_out src)" >"$IT_TMP/src.direct.copy"
cmp "$IT_TMP/src.direct.copy" "$IT_TMP/src.copy" || fail "COPY out through sluice differs from COPY out directly from PostgreSQL"
log "ok: COPY out through sluice identical to direct COPY out"

psql_sluice app -c 'COPY dst FROM STDIN' <"$IT_TMP/src.copy" >"$IT_TMP/copyin.out"
assert_eq 'COPY 30000' "$(cat "$IT_TMP/copyin.out")" "COPY FROM STDIN row count"
psql_sluice app -c "$(q_out dst)" >"$IT_TMP/dst.copy"
cmp "$IT_TMP/src.copy" "$IT_TMP/dst.copy" || fail "text COPY round trip through sluice is not byte-identical"
log "ok: text COPY round trip byte-identical"

# psql's \copy: data from psql's own stdin (pstdin), written back to a file by psql.
psql_sluice app -c '\copy dst2 from pstdin' <"$IT_TMP/src.copy" >/dev/null
psql_sluice app -c "\\copy (SELECT * FROM dst2 ORDER BY id) to '$IT_TMP/dst2.copy'" >/dev/null
cmp "$IT_TMP/src.copy" "$IT_TMP/dst2.copy" || fail "\\copy round trip through sluice is not byte-identical"
log "ok: \\copy round trip byte-identical"

# Binary format.
psql_sluice app -c "$(q_out src ' (FORMAT binary)')" >"$IT_TMP/src.bin"
psql_sluice app -c 'COPY dst_bin FROM STDIN (FORMAT binary)' <"$IT_TMP/src.bin" >/dev/null
psql_sluice app -c "$(q_out dst_bin ' (FORMAT binary)')" >"$IT_TMP/dst.bin"
cmp "$IT_TMP/src.bin" "$IT_TMP/dst.bin" || fail "binary COPY round trip through sluice is not byte-identical"
log "ok: binary COPY round trip byte-identical ($(stat -c %s "$IT_TMP/src.bin") bytes)"

# Server-side check that all tables hold the same data.
for t in dst dst2 dst_bin; do
  out=$(psql_pg app -c "SELECT count(*) FROM (SELECT * FROM src EXCEPT ALL SELECT * FROM $t) d")
  assert_eq 0 "$out" "rows of src missing from $t"
done

# A COPY FROM STDIN with bad data fails with the server's error, and the pool stays usable.
rc=0
out=$(printf '1\tok\t\\\\x00\t1\t2024-01-01\nnot-an-int\tx\t\\\\x00\t1\t2024-01-01\n' |
  psql_sluice app -c 'COPY dst FROM STDIN' 2>&1) || rc=$?
(( rc != 0 )) || fail "bad COPY data was accepted: $out"
assert_contains "$out" 'invalid input syntax for type integer' "failed COPY error"
for i in 1 2 3 4; do
  out=$(psql_sluice app -c 'SELECT count(*) FROM dst')
  assert_eq 30000 "$out" "dst intact after failed COPY (client $i)"
done
sluice_alive
