#!/usr/bin/env bash
# A malformed packet closes that one client with a protocol error (FATAL 08P01) while every other
# client keeps working: a raw-socket client logs in, then sends a message whose length field is
# invalid; another client, connected before and after, is unaffected. Also: an oversized startup
# packet is refused with "invalid length of startup packet".
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_start
write_config
sluice_start "$SLUICE_CONFIG"

py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)

# Another client holds a session across the whole test.
bg psql_sluice app -c 'SELECT pg_sleep(4), 7'
other=$BG_PID
sleep 0.5

raw_client() { # MODE
  "$py" - "$SLUICE_PORT" "${IT_PASSWORD[app]}" "$1" <<'PY'
import hashlib, socket, struct, sys
port, password, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
def recv_msg():
    hdr = b""
    while len(hdr) < 5:
        chunk = s.recv(5 - len(hdr))
        if not chunk:
            return None, b""
        hdr += chunk
    t, n = hdr[:1], struct.unpack("!I", hdr[1:])[0]
    body = b""
    while len(body) < n - 4:
        chunk = s.recv(n - 4 - len(body))
        if not chunk:
            break
        body += chunk
    return t, body
def error_text(body):
    fields = dict((f[:1], f[1:].decode()) for f in body.split(b"\0") if f)
    return f"{fields.get(b'S')} {fields.get(b'C')} {fields.get(b'M')}"
if mode == "oversized":
    s.sendall(struct.pack("!II", 20000, 196608) + b"\0" * 20)
    t, body = recv_msg()
    print("got", t.decode() if t else None, error_text(body) if t == b"E" else "")
    sys.exit(0)
params = b"user\0app\0database\0app\0\0"
s.sendall(struct.pack("!II", 8 + len(params), 196608) + params)
while True:
    t, body = recv_msg()
    if t == b"R":
        code = struct.unpack("!I", body[:4])[0]
        if code == 5:
            inner = hashlib.md5((password + "app").encode()).hexdigest()
            resp = "md5" + hashlib.md5(inner.encode() + body[4:8]).hexdigest()
            payload = resp.encode() + b"\0"
            s.sendall(b"p" + struct.pack("!I", 4 + len(payload)) + payload)
    elif t == b"E":
        print("login failed:", error_text(body)); sys.exit(1)
    elif t == b"Z":
        break
# Logged in. Now a Query message whose length field (2) is smaller than the minimum (4).
s.sendall(b"Q" + struct.pack("!I", 2) + b"SELECT 1\0")
t, body = recv_msg()
print("got", t.decode() if t else None, error_text(body) if t == b"E" else "")
t, body = recv_msg()
print("then", "closed" if t is None else t.decode())
PY
}

out=$(raw_client malformed) || fail "raw client failed: $out"
log "malformed: $out"
assert_contains "$out" "got E FATAL 08P01" "malformed packet answered with FATAL 08P01"
assert_contains "$out" "then closed" "the connection is closed after the error"

out=$(raw_client oversized) || fail "raw client failed: $out"
log "oversized startup: $out"
assert_contains "$out" "got E FATAL 08P01 invalid length of startup packet" "oversized startup packet refused"

wait "$other" || fail "the other client was disturbed"
assert_eq "$(psql_sluice app -c 'SELECT 1 + 1')" "2" "new clients are still served"
sluice_alive
