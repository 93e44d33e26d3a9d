#!/usr/bin/python3
"""Prepared-statement workload for psycopg 3 (Debian's python3-psycopg), used by
tests/integration/prepared_statements_drivers.sh.

    ps_psycopg.py HOST PORT USER PASSWORD WORKERS ITERATIONS [TAG]

WORKERS threads, each with its own connection (autocommit, prepare_threshold=0: every query is a
named protocol-level statement from its first execution), run ITERATIONS rounds of: lookups with
int/bigint/bool/text/float8 parameters and numeric/date/array/multi-row results, a query whose
text is unique to the worker, pg_backend_pid(), an insert, a transaction of several prepared
statements, every 4th round a transaction that fails (division by zero) and is rolled back
(psycopg then sends DEALLOCATE ALL and prepares everything again), and a pipeline of several
Parse/Bind/Execute before one Sync. Each worker commits 3 rows per round into events (driver TAG,
default "psycopg"; seq i, 100000+i, 300000+i); rolled-back rows (200000+i) must never appear.

Prints "pids P1,P2,..." (every backend seen), "max_pids_per_worker N" and "OK"; exits 1 with the
errors otherwise.
"""
import datetime
import decimal
import sys
import threading

import psycopg

DRIVER = sys.argv[7] if len(sys.argv) > 7 else "psycopg"


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def worker(args, w, iters, pids, errors):
    host, port, user, password = args
    try:
        conn = psycopg.connect(host=host, port=port, user=user, password=password, dbname="app",
                               autocommit=True, prepare_threshold=0, connect_timeout=10)
    except Exception as e:  # noqa: BLE001
        errors.append(f"worker {w}: connect: {e!r}")
        return
    seen = set()
    try:
        with conn:
            conn.execute("INSERT INTO counters (driver, worker, n) VALUES (%s, %s, 0)", (DRIVER, w))
            for i in range(iters):
                round_(conn, w, i, seen)
            # Still usable after all of that.
            row = conn.execute("SELECT id, name, price, tags, born FROM items WHERE id = %s", (42,)).fetchone()
            check(row[1] == "item-42", f"final lookup: {row!r}")
            n = conn.execute("SELECT count(*) FROM events WHERE driver = %s AND worker = %s",
                             (DRIVER, w)).fetchone()[0]
            check(n == 3 * iters, f"worker {w} sees {n} events, want {3 * iters}")
            check(len(conn._prepared._names) > 0, "psycopg prepared no statement (prepare_threshold=0?)")
    except Exception as e:  # noqa: BLE001
        errors.append(f"worker {w}: {type(e).__name__}: {e}")
    pids[w] = seen


def round_(conn, w, i, seen):
    # 1. int parameter; numeric, text[], date results.
    item = (w * 7 + i) % 100 + 1
    row = conn.execute("SELECT id, name, price, tags, born FROM items WHERE id = %s", (item,)).fetchone()
    check(row == (item, f"item-{item}", decimal.Decimal(item) * decimal.Decimal("1.5"),
                  [f"t{item % 3}", "all"], datetime.date(2024, 1, 1) + datetime.timedelta(days=item)),
          f"item {item}: {row!r}")
    # 2. two int parameters; bigint aggregate.
    lo = i % 50 + 1
    row = conn.execute("SELECT count(*), sum(id) FROM items WHERE id BETWEEN %s AND %s", (lo, lo + 9)).fetchone()
    check(row == (10, 10 * lo + 45), f"aggregate {lo}: {row!r}")
    # 3. bigint, bool, text, float8 parameters.
    row = conn.execute("SELECT %s::bigint * 2, NOT %s::boolean, %s::text || '!', %s::float8 / 2",
                       (i * 10_000_000_000, i % 2 == 0, f"w{w}", i + 0.5)).fetchone()
    check(row == (i * 20_000_000_000, i % 2 != 0, f"w{w}!", (i + 0.5) / 2), f"types: {row!r}")
    # 4. several rows.
    rows = conn.execute("SELECT id, name FROM items WHERE id <= %s ORDER BY id", (i % 20 + 1,)).fetchall()
    check([r[0] for r in rows] == list(range(1, i % 20 + 2)), f"rows <= {i % 20 + 1}: {rows!r}")
    # 5. a statement only this worker prepares.
    row = conn.execute(f"SELECT %s::int + {w}, '{DRIVER}-w{w}'", (i,)).fetchone()
    check(row == (i + w, f"{DRIVER}-w{w}"), f"worker-unique: {row!r}")
    # 6. which backend.
    seen.add(conn.execute("SELECT pg_backend_pid()").fetchone()[0])
    # 7. insert outside a transaction.
    conn.execute("INSERT INTO events (driver, worker, seq, note, amount) VALUES (%s, %s, %s, %s, %s)",
                 (DRIVER, w, i, "plain", decimal.Decimal(i) / 4))
    # 8. a transaction of several prepared statements, pinned to one backend.
    with conn.transaction():
        p1 = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        conn.execute("INSERT INTO events (driver, worker, seq, note, amount) VALUES (%s, %s, %s, %s, %s)",
                     (DRIVER, w, 100000 + i, "tx", decimal.Decimal(i) / 4))
        n = conn.execute("UPDATE counters SET n = n + 1 WHERE driver = %s AND worker = %s RETURNING n",
                         (DRIVER, w)).fetchone()[0]
        check(n == i + 1, f"counter {n}, want {i + 1}")
        c = conn.execute("SELECT count(*) FROM events WHERE driver = %s AND worker = %s",
                         (DRIVER, w)).fetchone()[0]
        check(c == 3 * i + 2, f"events in tx {c}, want {3 * i + 2}")
        p2 = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        check(p1 == p2, f"transaction moved from backend {p1} to {p2}")
        seen.add(p1)
    # 9. an error inside a transaction, then rollback.
    if i % 4 == 3:
        try:
            with conn.transaction():
                conn.execute("INSERT INTO events (driver, worker, seq, note, amount) VALUES (%s, %s, %s, %s, %s)",
                             (DRIVER, w, 200000 + i, "rolled back", decimal.Decimal(0)))
                conn.execute("SELECT 1 / %s::int", (0,))
            raise AssertionError("division by zero did not fail")
        except psycopg.errors.DivisionByZero:
            pass
        n = conn.execute("SELECT count(*) FROM events WHERE driver = %s AND worker = %s AND seq >= 200000 AND seq < 300000",
                         (DRIVER, w)).fetchone()[0]
        check(n == 0, f"{n} rolled-back rows are visible")
    # 10. pipeline: several Parse/Bind/Execute before one Sync.
    with conn.pipeline():
        c1 = conn.execute("SELECT id, name, price, tags, born FROM items WHERE id = %s", (item,))
        c2 = conn.execute("INSERT INTO events (driver, worker, seq, note, amount) VALUES (%s, %s, %s, %s, %s)",
                          (DRIVER, w, 300000 + i, "pipeline", decimal.Decimal(i)))
        c3 = conn.execute(f"SELECT %s::int + {w}, '{DRIVER}-w{w}'", (i + 1,))
        c4 = conn.execute("SELECT count(*) FROM events WHERE driver = %s AND worker = %s AND seq = %s",
                          (DRIVER, w, 300000 + i))
        c5 = conn.execute("SELECT pg_backend_pid()")
    check(c1.fetchone()[1] == f"item-{item}", "pipeline lookup")
    check(c2.rowcount == 1, f"pipeline insert rowcount {c2.rowcount}")
    check(c3.fetchone() == (i + 1 + w, f"{DRIVER}-w{w}"), "pipeline worker-unique")
    check(c4.fetchone()[0] == 1, "pipeline insert not visible to the next statement of the pipeline")
    seen.add(c5.fetchone()[0])


def main():
    host, port, user, password, workers, iters = sys.argv[1:7]
    workers, iters = int(workers), int(iters)
    pids = {}
    errors = []
    threads = [threading.Thread(target=worker, args=((host, int(port), user, password), w, iters, pids, errors))
               for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for e in errors:
            print("ERROR", e)
        sys.exit(1)
    allpids = set().union(*pids.values())
    print("pids", ",".join(str(p) for p in sorted(allpids)))
    print("max_pids_per_worker", max(len(s) for s in pids.values()))
    print("OK")


if __name__ == "__main__":
    main()
