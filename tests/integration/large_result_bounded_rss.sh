#!/usr/bin/env bash
# Streaming ~200 MB through sluice must not make it buffer the result: its peak RSS (VmHWM)
# stays under SLUICE_RSS_LIMIT_MB (default 64; sanitizer builds 256). Two readers: psql reading
# a 200 000-row SELECT as fast as it can, and a COPY TO STDOUT whose consumer sleeps before
# reading (so sluice has to stop reading from the server instead of queueing the data).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ${SLUICE_SANITIZED:-0} == 1 ]]; then
  limit_mb=${SLUICE_RSS_LIMIT_MB:-256}
else
  limit_mb=${SLUICE_RSS_LIMIT_MB:-64}
fi
rows=200000
width=1000
expect_bytes=$((rows * (width + 1)))

pg_start
write_config default_pool_size=2
sluice_start "$SLUICE_CONFIG"

psql_sluice app -c 'SELECT 1' >/dev/null
log "sluice RSS after start: $(proc_status_kb "$SLUICE_PID" VmRSS) kB"

# Sample the daemon's RSS every 0.2 s while the streams run.
sampler() {
  local max=0 v
  while kill -0 "$SLUICE_PID" 2>/dev/null; do
    v=$(proc_status_kb "$SLUICE_PID" VmRSS 2>/dev/null || echo 0)
    (( v > max )) && { max=$v; printf '%s\n' "$max" >"$IT_TMP/rss.max"; }
    sleep 0.2
  done
}
bg sampler

# 1. SELECT: psql holds the whole result in ITS memory; we only measure sluice.
start=$SECONDS
bytes=$(psql_sluice app -c "SELECT repeat('x', $width) FROM generate_series(1, $rows)" | wc -c)
assert_eq "$expect_bytes" "$bytes" "bytes of the 200 MB SELECT through sluice"
log "SELECT streamed in $((SECONDS - start)) s; sluice VmHWM now $(proc_status_kb "$SLUICE_PID" VmHWM) kB"

# 2. COPY TO STDOUT into a consumer that starts reading 5 s late: psql blocks writing its stdout,
#    stops reading its socket, and sluice must apply backpressure to the server.
start=$SECONDS
bytes=$(psql_sluice app -c "COPY (SELECT repeat('y', $width) FROM generate_series(1, $rows)) TO STDOUT" |
  { sleep 5; wc -c; })
assert_eq "$expect_bytes" "$bytes" "bytes of the 200 MB slow-reader COPY through sluice"
log "slow COPY streamed in $((SECONDS - start)) s"

sluice_alive
hwm_kb=$(proc_status_kb "$SLUICE_PID" VmHWM)
rss_kb=$(proc_status_kb "$SLUICE_PID" VmRSS)
sampled=$(cat "$IT_TMP/rss.max" 2>/dev/null || echo 0)
log "sluice VmHWM=${hwm_kb} kB VmRSS=${rss_kb} kB sampled max VmRSS=${sampled} kB (limit ${limit_mb} MB)"
assert_lt "$hwm_kb" $((limit_mb * 1024)) "sluice peak RSS (VmHWM, kB) after streaming 2 x 200 MB"

out=$(psql_sluice app -c 'SELECT 1')
assert_eq 1 "$out" "query after the large results"
