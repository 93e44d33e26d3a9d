"""A small PostgreSQL frontend/backend protocol 3.0 client without libpq, for tests that must send
exact message sequences (named Parse, Close, Flush, pipelines) and see every reply. Used by
ps_edge.py (tests/integration/prepared_statements_edge_cases.sh).

    c = Conn("127.0.0.1", port, "app", "app_pw", "app")
    c.parse("s1", "SELECT $1::int + 1"); c.bind("", "s1", ["41"]); c.describe("P", ""); c.execute("")
    c.sync()
    replies = c.until_ready()          # [("ParseComplete", None), ("BindComplete", None), ...]
    rows(replies) == [["42"]]

Authentication: trust, cleartext, md5 and SCRAM-SHA-256. Values travel in text format; NULL is None.
"""
import base64
import hashlib
import hmac
import os
import socket
import struct


class PgError(Exception):
    """An ErrorResponse: .fields maps the field codes (C = SQLSTATE, M = message, ...)."""

    def __init__(self, fields):
        self.fields = fields
        self.sqlstate = fields.get("C", "")
        super().__init__(f"{fields.get('S', 'ERROR')}: {fields.get('M', '')} (SQLSTATE {self.sqlstate})")


class ConnectionClosed(Exception):
    pass


def _cstr(s):
    return s.encode() + b"\0"


def _error_fields(payload):
    fields = {}
    for part in payload.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode(errors="replace")
    return fields


class Conn:
    def __init__(self, host, port, user, password, database, timeout=20.0, application_name="pgwire"):
        self.user = user
        self.password = password
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.buf = b""
        self.out = []
        self.params = {}
        self.status = None
        body = struct.pack("!I", 196608)
        for k, v in (("user", user), ("database", database), ("application_name", application_name)):
            body += _cstr(k) + _cstr(v)
        body += b"\0"
        self.sock.sendall(struct.pack("!I", len(body) + 4) + body)
        self._authenticate()
        for kind, data in self.until_ready(raise_errors=True):
            pass

    # -- low level -----------------------------------------------------------------------------
    def _recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionClosed("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_msg(self):
        head = self._recv_exact(5)
        kind = chr(head[0])
        (length,) = struct.unpack("!I", head[1:])
        return kind, self._recv_exact(length - 4)

    def _msg(self, kind, payload=b""):
        self.out.append(kind.encode() + struct.pack("!I", len(payload) + 4) + payload)

    def send(self):
        """Send the queued messages in one write."""
        data = b"".join(self.out)
        self.out = []
        self.sock.sendall(data)

    # -- authentication ------------------------------------------------------------------------
    def _authenticate(self):
        while True:
            kind, data = self.read_msg()
            if kind == "E":
                raise PgError(_error_fields(data))
            if kind != "R":
                raise RuntimeError(f"unexpected message {kind!r} during authentication")
            (code,) = struct.unpack("!I", data[:4])
            if code == 0:
                return
            if code == 3:
                self._msg("p", _cstr(self.password))
                self.send()
            elif code == 5:
                salt = data[4:8]
                inner = hashlib.md5((self.password + self.user).encode()).hexdigest()
                outer = hashlib.md5(inner.encode() + salt).hexdigest()
                self._msg("p", _cstr("md5" + outer))
                self.send()
            elif code == 10:
                mechs = [m.decode() for m in data[4:].split(b"\0") if m]
                if "SCRAM-SHA-256" not in mechs:
                    raise RuntimeError(f"no supported SASL mechanism in {mechs}")
                self._scram()
            else:
                raise RuntimeError(f"unsupported authentication request {code}")

    def _scram(self):
        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = f"n=,r={nonce}"
        first = ("n,," + first_bare).encode()
        self._msg("p", _cstr("SCRAM-SHA-256") + struct.pack("!I", len(first)) + first)
        self.send()
        kind, data = self.read_msg()
        if kind == "E":
            raise PgError(_error_fields(data))
        server_first = data[4:].decode()
        attrs = dict(a.split("=", 1) for a in server_first.split(","))
        if not attrs["r"].startswith(nonce):
            raise RuntimeError("SCRAM: server nonce does not extend ours")
        salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = f"c=biws,r={attrs['r']}"
        auth_message = f"{first_bare},{server_first},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self._msg("p", f"{without_proof},p={base64.b64encode(proof).decode()}".encode())
        self.send()
        kind, data = self.read_msg()
        if kind == "E":
            raise PgError(_error_fields(data))
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        expected = base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha256).digest()).decode()
        if data[4:].decode() != f"v={expected}":
            raise RuntimeError("SCRAM: bad server signature")

    # -- messages ------------------------------------------------------------------------------
    def parse(self, name, query, oids=()):
        self._msg("P", _cstr(name) + _cstr(query) + struct.pack("!H", len(oids))
                  + b"".join(struct.pack("!I", o) for o in oids))

    def bind(self, portal, stmt, params=()):
        body = _cstr(portal) + _cstr(stmt) + struct.pack("!H", 0) + struct.pack("!H", len(params))
        for p in params:
            if p is None:
                body += struct.pack("!i", -1)
            else:
                b = str(p).encode()
                body += struct.pack("!i", len(b)) + b
        body += struct.pack("!H", 0)
        self._msg("B", body)

    def describe(self, kind, name):
        self._msg("D", kind.encode() + _cstr(name))

    def execute(self, portal="", max_rows=0):
        self._msg("E", _cstr(portal) + struct.pack("!I", max_rows))

    def close(self, kind, name):
        self._msg("C", kind.encode() + _cstr(name))

    def sync(self):
        self._msg("S")
        self.send()

    def flush(self):
        self._msg("H")
        self.send()

    def query(self, sql):
        self._msg("Q", _cstr(sql))
        self.send()

    def terminate(self):
        try:
            self._msg("X")
            self.send()
            self.sock.close()
        except OSError:
            pass

    # -- replies -------------------------------------------------------------------------------
    def next_reply(self):
        """The next reply as (name, data), skipping notices and parameter status messages."""
        while True:
            kind, data = self.read_msg()
            if kind == "1":
                return "ParseComplete", None
            if kind == "2":
                return "BindComplete", None
            if kind == "3":
                return "CloseComplete", None
            if kind == "n":
                return "NoData", None
            if kind == "s":
                return "PortalSuspended", None
            if kind == "I":
                return "EmptyQueryResponse", None
            if kind == "C":
                return "CommandComplete", data.rstrip(b"\0").decode()
            if kind == "T":
                (n,) = struct.unpack("!H", data[:2])
                pos, cols = 2, []
                for _ in range(n):
                    end = data.index(b"\0", pos)
                    name = data[pos:end].decode()
                    pos = end + 1
                    _tab, _att, typoid, _len, _mod, _fmt = struct.unpack("!IhIhih", data[pos:pos + 18])
                    pos += 18
                    cols.append((name, typoid))
                return "RowDescription", cols
            if kind == "t":
                (n,) = struct.unpack("!H", data[:2])
                return "ParameterDescription", list(struct.unpack(f"!{n}I", data[2:2 + 4 * n]))
            if kind == "D":
                (n,) = struct.unpack("!H", data[:2])
                pos, vals = 2, []
                for _ in range(n):
                    (ln,) = struct.unpack("!i", data[pos:pos + 4])
                    pos += 4
                    if ln < 0:
                        vals.append(None)
                    else:
                        vals.append(data[pos:pos + ln].decode())
                        pos += ln
                return "DataRow", vals
            if kind == "E":
                return "ErrorResponse", _error_fields(data)
            if kind == "Z":
                self.status = chr(data[0])
                return "ReadyForQuery", self.status
            if kind == "S":
                k, v, _ = data.split(b"\0", 2)
                self.params[k.decode()] = v.decode()
                continue
            if kind in ("N", "K", "A"):
                continue
            raise RuntimeError(f"unexpected message {kind!r}")

    def until_ready(self, raise_errors=False):
        """Replies up to and including ReadyForQuery (not included in the list)."""
        replies = []
        while True:
            name, data = self.next_reply()
            if name == "ReadyForQuery":
                break
            replies.append((name, data))
        if raise_errors:
            for name, data in replies:
                if name == "ErrorResponse":
                    raise PgError(data)
        return replies

    def replies(self, n):
        """The next n replies (for use after Flush, before any Sync); stops early after an
        ErrorResponse, since the server then sends nothing more until a Sync."""
        got = []
        while len(got) < n:
            got.append(self.next_reply())
            if got[-1][0] == "ErrorResponse":
                break
        return got

    # -- conveniences --------------------------------------------------------------------------
    def simple(self, sql):
        """Simple query; raises PgError on error; returns the replies."""
        self.query(sql)
        return self.until_ready(raise_errors=True)

    def prepare(self, name, sql, oids=()):
        self.parse(name, sql, oids)
        self.sync()
        return self.until_ready(raise_errors=True)

    def run(self, name, params=()):
        """Bind + Describe portal + Execute + Sync of a named statement; raises PgError."""
        self.bind("", name, params)
        self.describe("P", "")
        self.execute("")
        self.sync()
        return self.until_ready(raise_errors=True)


def rows(replies):
    return [d for n, d in replies if n == "DataRow"]


def kinds(replies):
    return [n for n, _ in replies]


def errors(replies):
    return [d for n, d in replies if n == "ErrorResponse"]
