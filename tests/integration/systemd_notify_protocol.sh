#!/usr/bin/env bash
# sluice speaks systemd's notify protocol (Type=notify): with NOTIFY_SOCKET set it sends READY=1
# once listening, RELOADING=1 + MONOTONIC_USEC before a SIGHUP reload and READY=1 after it, and
# STOPPING=1 on SIGTERM — checked with a real Unix datagram socket standing in for systemd.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
write_config
notify_dir=$IT_TMP/notify
mkdir -p "$notify_dir"
chmod 0755 "$notify_dir"
received=$notify_dir/received.log
: >"$received"
# The listener writes one line per datagram (newlines inside a datagram become '|').
bg python3 -c '
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)  # the daemon runs as an unprivileged user
open(path + ".ready", "w").close()
with open(out, "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", "|") + "\n")
        f.flush()
' "$notify_dir/notify.sock" "$received"
for ((i = 0; i < 50; i++)); do
  [[ -e $notify_dir/notify.sock.ready ]] && break
  sleep 0.1
done
[[ -e $notify_dir/notify.sock.ready ]] || fail "notify listener did not start"

# wait_for_lines N: until the listener has N datagrams (5 s).
wait_for_lines() {
  for ((i = 0; i < 50; i++)); do
    (($(wc -l <"$received") >= $1)) && return 0
    sleep 0.1
  done
  fail "expected $1 notifications, got: $(tr '\n' ' ' <"$received")"
}

export NOTIFY_SOCKET=$notify_dir/notify.sock
sluice_start "$SLUICE_CONFIG"
unset NOTIFY_SOCKET
wait_for_lines 1
assert_eq "$(sed -n 1p "$received")" "READY=1" "first notification (after listening)"
assert_eq "$(psql_sluice app -c 'SELECT 1')" 1 "query once READY=1 was sent"

mono_usec() { python3 -c 'import time; print(time.monotonic_ns() // 1000)'; }
before=$(mono_usec)
kill -HUP "$SLUICE_PID"
wait_for_lines 3
after=$(mono_usec)
reloading=$(sed -n 2p "$received")
[[ $reloading =~ ^RELOADING=1\|MONOTONIC_USEC=([0-9]+)$ ]] ||
  fail "second notification is not RELOADING=1 + MONOTONIC_USEC: [$reloading]"
usec=${BASH_REMATCH[1]}
# CLOCK_MONOTONIC (what Python's time.monotonic reads) at the moment sluice got the signal.
((before <= usec && usec <= after)) || fail "MONOTONIC_USEC=$usec not within [$before, $after]"
log "ok: RELOADING=1 with MONOTONIC_USEC=$usec"
assert_eq "$(sed -n 3p "$received")" "READY=1" "notification after the reload"
grep -q 'configuration reloaded' "$SLUICE_LOG" || fail "the reload did not happen"

sluice_stop
wait_for_lines 4
assert_eq "$(sed -n 4p "$received")" "STOPPING=1" "notification at SIGTERM"
assert_eq "$(wc -l <"$received" | tr -d ' ')" 4 "number of notifications"
