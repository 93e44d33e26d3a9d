#!/usr/bin/python3
"""Corner cases of protocol-level prepared statements through the pooler, for
tests/integration/prepared_statements_edge_cases.sh. psycopg 3 (Debian's python3-psycopg) where a
driver's behaviour matters, pgwire.py (no libpq) where the exact messages matter.

    ps_edge.py SCENARIO HOST PORT USER PASSWORD [ARGS...]

Scenarios (each prints "OK SCENARIO" at the end; any failure raises and exits 1):
  flush        Parse + Flush answered before any Sync; Bind/Describe/Execute + Flush; several named
               Parse/Bind/Execute before one Sync; an error in the middle of such a pipeline
  close        Close of a named statement answered with CloseComplete; the same name prepared
               again with other text returns the new result (also Close+Parse+Bind+Execute before
               one Sync); Close of an unknown statement and of the unnamed portal
  dealloc      DEALLOCATE ALL and DISCARD ALL from a client: its names can be prepared again with
               other text; another client's statement on the same server keeps working afterwards;
               a name that was not prepared again is gone
  sqlprepare   SQL-level PREPARE / EXECUTE / DEALLOCATE inside one explicit transaction (simple and
               extended protocol, mixed with protocol-level statements); no name left behind
  alter        ALTER TABLE ... TYPE bigint and ADD COLUMN (changing a SELECT * result) between
               executions of prepared statements outside a transaction, on each of the 2 servers:
               no error reaches the client, results have the new types and columns
  lru WORKERS ROUNDS [STOPFILE]
               WORKERS psycopg connections execute 10 distinct statements round-robin, ROUNDS times
               (and on until STOPFILE exists, if given), checking every result
  server-counts
               "server PID N": the named prepared statements (pg_prepared_statements) on each of
               the 2 servers of the pool
  session      session mode: named statements reach PostgreSQL under the client's own names, Close
               is passed on, SQL-level PREPARE lives across statements

Scenarios that pin work to one server need a pool of exactly 2 servers and no other clients: two
"holder" transactions occupy both servers, one is committed, and the next transaction of anyone
else necessarily runs on the server it freed.
"""
import contextlib
import os
import sys
import threading
import traceback

import pgwire

ARGS = None  # (host, port, user, password)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def wire(app="ps_edge"):
    host, port, user, password = ARGS
    return pgwire.Conn(host, port, user, password, "app", application_name=app)


def pgconn(**kw):
    import psycopg

    host, port, user, password = ARGS
    return psycopg.connect(host=host, port=port, user=user, password=password, dbname="app",
                           autocommit=True, connect_timeout=10, **kw)


def backend_pid(c):
    return int(pgwire.rows(c.simple("SELECT pg_backend_pid()"))[0][0])


def hold_both():
    """Two connections, each in a transaction on its own server: {pid: conn}."""
    held = {}
    for _ in range(2):
        c = wire("holder")
        c.simple("BEGIN")
        held[backend_pid(c)] = c
    check(len(held) == 2, f"two transactions share a backend: {list(held)}")
    return held


def server_pids():
    held = hold_both()
    for c in held.values():
        c.simple("COMMIT")
        c.terminate()
    return sorted(held)


@contextlib.contextmanager
def only_server(target):
    """Inside, every other client's transaction runs on backend `target`."""
    held = hold_both()
    check(target in held, f"backend {target} is not in the pool any more ({list(held)})")
    held[target].simple("COMMIT")
    try:
        yield
    finally:
        for pid, c in held.items():
            if pid != target:
                c.simple("COMMIT")
            c.terminate()


def in_threads(n, fn):
    """Run fn(k) in n threads at once; raise the first failure."""
    errors = []

    def body(k):
        try:
            fn(k)
        except Exception as e:  # noqa: BLE001
            where = [f"line {f.lineno}" for f in traceback.extract_tb(e.__traceback__) if f.filename == __file__]
            errors.append(f"thread {k} ({', '.join(where[1:])}): {type(e).__name__}: {e}")

    threads = [threading.Thread(target=body, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise AssertionError("; ".join(errors))


def expect(replies, want_kinds, what):
    got = pgwire.kinds(replies)
    check(got == want_kinds, f"{what}: replies {got} (errors {pgwire.errors(replies)}), want {want_kinds}")


# ---------------------------------------------------------------------------------------------
def scenario_flush():
    def client(k):
        c = wire()
        pids = set()
        for j in range(15):
            name = f"f{k}"
            if j == 0:
                c.parse(name, "SELECT $1::int * 3, pg_backend_pid()")
                c.flush()
                check(c.replies(1) == [("ParseComplete", None)], "Parse + Flush: no ParseComplete")
            c.bind("", name, [str(j)])
            c.describe("P", "")
            c.execute("")
            c.flush()
            r = c.replies(4)
            expect(r, ["BindComplete", "RowDescription", "DataRow", "CommandComplete"], "Bind/Describe/Execute + Flush")
            check(r[2][1][0] == str(3 * j), f"flushed result {r[2][1]}, want {3 * j}")
            pids.add(r[2][1][1])
            c.sync()
            check(c.until_ready() == [] and c.status == "I", "Sync after the flushed execution")
            # Several named statements before one Sync (new names each round).
            a, b = f"pa{k}_{j}", f"pb{k}_{j}"
            c.parse(a, "SELECT 'b' || $1::text")
            c.parse(b, "SELECT $1::int + $2::int")
            c.bind("", a, [f"x{j}"])
            c.execute("")
            c.bind("", b, [str(j), "3"])
            c.execute("")
            c.bind("", name, ["5"])
            c.execute("")
            c.sync()
            r = c.until_ready()
            expect(r, ["ParseComplete", "ParseComplete", "BindComplete", "DataRow", "CommandComplete",
                       "BindComplete", "DataRow", "CommandComplete", "BindComplete", "DataRow", "CommandComplete"],
                   "pipeline of named statements")
            check([d for n, d in r if n == "DataRow"] == [[f"bx{j}"], [str(j + 3)], ["15", r[9][1][1]]],
                  f"pipeline results {pgwire.rows(r)}")
            # An error in the middle of a pipeline: the rest is skipped up to the Sync.
            c.bind("", b, ["1", "x"])
            c.execute("")
            c.bind("", a, ["never"])
            c.execute("")
            c.sync()
            r = c.until_ready()
            expect(r, ["ErrorResponse"], "pipeline with a bad parameter")
            check(r[0][1]["C"] == "22P02", f"error {r[0][1]}")
            check(c.status == "I", "idle after the failed pipeline")
            check(pgwire.rows(c.run(a, ["after"])) == [["bafter"]], "named statement after the failed pipeline")
        c.terminate()

    in_threads(3, client)


def scenario_close():
    def client(k):
        c = wire()
        for j in range(15):
            c.parse("s1", f"SELECT {k} AS k, {j} AS j, 'v1'")
            c.bind("", "s1")
            c.execute("")
            c.sync()
            r = c.until_ready()
            expect(r, ["ParseComplete", "BindComplete", "DataRow", "CommandComplete"], "prepare s1 (v1)")
            check(r[2][1] == [str(k), str(j), "v1"], f"s1 v1 returned {r[2][1]}")
            c.close("S", "s1")
            c.sync()
            expect(c.until_ready(), ["CloseComplete"], "Close s1")
            check(pgwire.rows(c.prepare("s1", f"SELECT {k} AS k, {j} AS j, 'v2'") + c.run("s1"))
                  == [[str(k), str(j), "v2"]], "s1 prepared again with other text")
            check(pgwire.rows(c.run("s1")) == [[str(k), str(j), "v2"]], "s1 (v2) executed again")
            # Close, Parse with a third text, Bind, Execute before one Sync.
            c.close("S", "s1")
            c.parse("s1", f"SELECT {k} AS k, {j} AS j, 'v3'")
            c.bind("", "s1")
            c.execute("")
            c.sync()
            r = c.until_ready()
            expect(r, ["CloseComplete", "ParseComplete", "BindComplete", "DataRow", "CommandComplete"],
                   "Close + Parse + Bind + Execute + Sync")
            check(r[3][1] == [str(k), str(j), "v3"], f"s1 v3 returned {r[3][1]}")
            check(pgwire.rows(c.run("s1")) == [[str(k), str(j), "v3"]], "s1 (v3) executed again")
            c.close("S", "s1")
            c.sync()
            expect(c.until_ready(), ["CloseComplete"], "Close s1 (v3)")
        # Closing what does not exist is not an error (PostgreSQL's rule); nor is the unnamed portal.
        c.close("S", f"never_prepared_{k}")
        c.close("P", "")
        c.sync()
        expect(c.until_ready(), ["CloseComplete", "CloseComplete"], "Close of an unknown statement and of the unnamed portal")
        c.terminate()

    in_threads(3, client)


def scenario_close_local():
    """One server assignment to prepare five statements, then Close + (Flush +) Sync of each,
    which the pooler answers alone; the statements are gone for this client afterwards."""
    c = wire()
    for i in range(5):
        c.parse(f"cl{i}", f"SELECT {i}")
    c.sync()
    expect(c.until_ready(), ["ParseComplete"] * 5, "five Parses, one Sync")
    for i in range(5):
        c.close("S", f"cl{i}")
        if i % 2:
            c.flush()
        c.sync()
        expect(c.until_ready(), ["CloseComplete"], f"Close cl{i} answered")
    c.terminate()


def scenario_dealloc():
    # A client's own names, prepared again with other text after DEALLOCATE ALL / DISCARD ALL.
    def client(k):
        c = wire()
        for j, cmd in enumerate(["DEALLOCATE ALL", "DISCARD ALL"] * 5):
            c.prepare("d1", f"SELECT 'old', {k}, {j}")
            c.prepare("d2", "SELECT 2")
            check(pgwire.rows(c.run("d1")) == [["old", str(k), str(j)]], "d1 before " + cmd)
            check(pgwire.rows(c.run("d2")) == [["2"]], "d2 before " + cmd)
            r = c.simple(cmd)
            check(r == [("CommandComplete", cmd)], f"{cmd}: {r}")
            c.prepare("d1", f"SELECT 'new', {k}, {j}")
            check(pgwire.rows(c.run("d1")) == [["new", str(k), str(j)]], "d1 prepared again after " + cmd)
            c.prepare("d2", "SELECT 22")
            check(pgwire.rows(c.run("d2")) == [["22"]], "d2 prepared again after " + cmd)
            c.simple("DEALLOCATE ALL")
        c.terminate()

    in_threads(3, client)

    # Another client's DEALLOCATE ALL / DISCARD ALL on the server that holds a statement.
    p1, p2 = server_pids()
    b = wire("victim")
    for cmd in ("DEALLOCATE ALL", "DISCARD ALL"):
        name = "keep_" + cmd.split()[0].lower()
        with only_server(p1):
            b.prepare(name, f"SELECT '{cmd}', pg_backend_pid()")
            check(pgwire.rows(b.run(name)) == [[cmd, str(p1)]], f"{name} on backend {p1}")
            other = wire("discarder")
            check(other.simple(cmd) == [("CommandComplete", cmd)], f"{cmd} from another client")
            check(backend_pid(other) == p1, f"{cmd} did not run on backend {p1}")
            other.terminate()
            check(pgwire.rows(b.run(name)) == [[cmd, str(p1)]], f"{name} after another client's {cmd} on its server")
        with only_server(p2):
            check(pgwire.rows(b.run(name)) == [[cmd, str(p2)]], f"{name} on the other backend")
    b.terminate()

    # After DEALLOCATE ALL a name that was not prepared again does not exist any more: the client
    # gets an error (26000), or the pooler closes it; never a result.
    c = wire("stale")
    c.prepare("gone", "SELECT 'stale'")
    check(pgwire.rows(c.run("gone")) == [["stale"]], "gone before DEALLOCATE ALL")
    c.simple("DEALLOCATE ALL")
    try:
        c.bind("", "gone")
        c.execute("")
        c.sync()
        r = c.until_ready()
        check(pgwire.rows(r) == [] and pgwire.errors(r) and pgwire.errors(r)[0]["C"] == "26000",
              f"statement executed after DEALLOCATE ALL: {r}")
    except (pgwire.ConnectionClosed, ConnectionResetError):
        pass
    c.terminate()


def scenario_sqlprepare():
    def client(k):
        c = wire()
        p = pgconn(prepare_threshold=0)
        for j in range(10):
            # Simple protocol.
            c.simple("BEGIN")
            c.simple("PREPARE s1(int) AS SELECT $1 * 2, pg_backend_pid()")
            r1 = pgwire.rows(c.simple(f"EXECUTE s1({k * 100 + j})"))
            r2 = pgwire.rows(c.simple(f"EXECUTE s1({j})"))
            check(r1[0][0] == str(2 * (k * 100 + j)) and r2[0][0] == str(2 * j), f"EXECUTE s1: {r1} {r2}")
            check(r1[0][1] == r2[0][1], "the transaction moved between backends")
            check(c.simple("DEALLOCATE s1") == [("CommandComplete", "DEALLOCATE")], "DEALLOCATE s1")
            c.simple("COMMIT")
            # Extended protocol (psycopg), mixed with protocol-level named statements.
            with p.transaction():
                p.execute("PREPARE s1(int) AS SELECT $1 + 1, pg_backend_pid()", prepare=False)
                a = p.execute(f"EXECUTE s1({j})", prepare=False).fetchone()
                b = p.execute("SELECT %s::int * 10, pg_backend_pid()", (j,)).fetchone()
                check(a[0] == j + 1 and b[0] == 10 * j and a[1] == b[1], f"EXECUTE s1 {a}, named statement {b}")
                p.execute("DEALLOCATE s1", prepare=False)
                p.execute("PREPARE s1 AS SELECT 'again'", prepare=False)
                check(p.execute("EXECUTE s1", prepare=False).fetchone() == ("again",), "PREPARE s1 again")
                p.execute("DEALLOCATE s1", prepare=False)
            check(p.execute("SELECT %s::int * 10, pg_backend_pid()", (j + 1,)).fetchone()[0] == 10 * (j + 1),
                  "named statement after the transaction")
        check(len(p._prepared._names) > 0, "psycopg prepared nothing (prepare_threshold=0?)")
        p.close()
        c.terminate()

    in_threads(3, client)
    for pid in server_pids():
        with only_server(pid):
            c = wire()
            r = pgwire.rows(c.simple("SELECT pg_backend_pid(), count(*) FROM pg_prepared_statements WHERE name = 's1'"))
            check(r == [[str(pid), "0"]], f"SQL-level statement s1 left behind: {r}")
            c.terminate()


def scenario_alter():
    setup = wire("setup")
    setup.simple("CREATE TABLE alt (id int PRIMARY KEY, c int NOT NULL)")
    setup.simple("INSERT INTO alt VALUES (1, 10), (2, 20)")
    setup.simple("CREATE TABLE star (id int PRIMARY KEY, a text NOT NULL)")
    setup.simple("INSERT INTO star VALUES (1, 'x'), (2, 'y')")
    x = pgconn(prepare_threshold=0)
    q_alt = "SELECT c, pg_backend_pid() FROM alt WHERE id = %s"
    q_star = "SELECT *, pg_backend_pid() FROM star WHERE id = %s"
    pids = server_pids()

    def run_both(pid, want_c_type, want_star):
        cur = x.execute(q_alt, (1,))
        row = cur.fetchone()
        check(row == (10, pid), f"alt row {row}, want (10, {pid})")
        check(cur.description[0].type_code == want_c_type,
              f"alt.c type oid {cur.description[0].type_code}, want {want_c_type}")
        cur = x.execute(q_star, (2,))
        row = cur.fetchone()
        check(row == want_star + (pid,), f"star row {row}, want {want_star + (pid,)}")
        check(len(cur.description) == len(want_star) + 1, f"star columns {[d.name for d in cur.description]}")

    # Prepared on both servers.
    for pid in pids:
        with only_server(pid):
            run_both(pid, 23, (2, "y"))
    check(len(x._prepared._names) == 2, f"psycopg prepared {len(x._prepared._names)} statements, want 2")
    setup.simple("ALTER TABLE alt ALTER COLUMN c TYPE bigint")
    setup.simple("ALTER TABLE star ADD COLUMN b int NOT NULL DEFAULT 7")
    # Each server's plan is stale now: the next execution outside a transaction must not fail.
    for pid in pids:
        with only_server(pid):
            run_both(pid, 20, (2, "y", 7))
    for pid in reversed(pids):
        with only_server(pid):
            run_both(pid, 20, (2, "y", 7))
    # Once more, with the type changed back, from several connections at once.
    setup.simple("ALTER TABLE alt ALTER COLUMN c TYPE int")

    def more(k):
        y = pgconn(prepare_threshold=0)
        for _ in range(10):
            cur = y.execute(q_alt, (2,))
            check(cur.fetchone()[0] == 20 and cur.description[0].type_code == 23, "alt after the type went back")
            check(y.execute(q_star, (1,)).fetchone()[:3] == (1, "x", 7), "star after the type went back")
        y.close()

    in_threads(3, more)
    x.close()
    setup.terminate()


def scenario_lru(workers, rounds, stopfile=None):
    done = [0]
    lock = threading.Lock()

    def client(k):
        p = pgconn(prepare_threshold=0)
        r = 0
        while r < rounds or (stopfile and not os.path.exists(stopfile)):
            for s in range(10):
                n = (k + s) % 10 + 1
                # Stay below 2**15: psycopg dumps a larger int as int4, not int2, which is
                # another prepared statement (20 names, not 10) once a fast run passes round 327.
                v = (r % 300) * 100 + k
                row = p.execute(f"SELECT %s::int * {n}, {n}", (v,)).fetchone()
                check(row == (v * n, n), f"statement {n}: {row}, want {(v * n, n)}")
            r += 1
        check(len(p._prepared._names) == 10, f"psycopg prepared {len(p._prepared._names)} statements, want 10")
        p.close()
        with lock:
            done[0] += r * 10

    in_threads(workers, client)
    print("executions", done[0])


def scenario_large_bind():
    """Binds larger than the pooler keeps whole (64 KiB): their parameters stream through, the
    statement name is still rewritten, and the values arrive intact on either server."""
    c = pgconn(prepare_threshold=0)
    c.execute("CREATE TABLE IF NOT EXISTS edge_blobs (id int PRIMARY KEY, b bytea)")
    for i, n in enumerate([10, 65536, 70000, 1000000, 4000000]):
        data = os.urandom(n)
        c.execute("INSERT INTO edge_blobs VALUES (%s, %s)", (i, data))
        got = c.execute("SELECT b, pg_backend_pid() FROM edge_blobs WHERE id = %s", (i,)).fetchone()
        check(bytes(got[0]) == data, f"bytea of {n} bytes came back changed")
        print("blob", n, "backend", got[1])
    c.close()


def scenario_server_counts():
    for pid in server_pids():
        with only_server(pid):
            c = wire()
            r = pgwire.rows(c.simple("SELECT pg_backend_pid(), count(*) FROM pg_prepared_statements"))
            check(r[0][0] == str(pid), f"counted on backend {r[0][0]}, not {pid}")
            print("server", pid, r[0][1])
            c.terminate()


def scenario_session():
    c = wire()
    c.prepare("my_stmt", "SELECT 7")
    check(pgwire.rows(c.run("my_stmt")) == [["7"]], "my_stmt")
    r = pgwire.rows(c.simple("SELECT name, statement FROM pg_prepared_statements ORDER BY name"))
    check(r == [["my_stmt", "SELECT 7"]], f"PostgreSQL holds {r}, want exactly my_stmt under its own name")
    c.close("S", "my_stmt")
    c.sync()
    expect(c.until_ready(), ["CloseComplete"], "Close my_stmt")
    r = pgwire.rows(c.simple("SELECT count(*) FROM pg_prepared_statements"))
    check(r == [["0"]], f"Close was not passed on: {r}")
    c.simple("PREPARE q AS SELECT 3")
    check(pgwire.rows(c.simple("EXECUTE q")) == [["3"]], "SQL-level PREPARE across statements")
    c.parse("my_stmt", "SELECT 8")
    c.sync()
    c.until_ready(raise_errors=True)
    r = pgwire.rows(c.simple("SELECT name, statement FROM pg_prepared_statements ORDER BY name"))
    check(r == [["my_stmt", "SELECT 8"], ["q", "PREPARE q AS SELECT 3"]], f"PostgreSQL holds {r}")
    c.terminate()


def main():
    global ARGS
    scenario = sys.argv[1]
    ARGS = (sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    rest = sys.argv[6:]
    if scenario == "lru":
        scenario_lru(int(rest[0]), int(rest[1]), rest[2] if len(rest) > 2 else None)
    else:
        globals()["scenario_" + scenario.replace("-", "_")]()
    print("OK", scenario)


if __name__ == "__main__":
    main()
