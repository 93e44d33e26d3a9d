"""Clients that idle between transactions long enough for sluice's relay to hibernate (its
coroutines end; the next bytes start them again) must not notice: used by
tests/integration/idle_clients_hibernate.sh.

usage: hibernate.py HOST PORT USER PASSWORD DATABASE IDLE_SECONDS

Each scenario idles IDLE_SECONDS between two requests and prints "ok <scenario>"; any failure
raises (exit status 1).
"""
import sys
import time

from pgwire import Conn, rows

host, port, user, password, database, idle = sys.argv[1:7]
idle = float(idle)


def expect(what, got, want):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def conn(name):
    return Conn(host, port, user, password, database, application_name=name)


# A named prepared statement (tracked by the pooler) outlives the hibernation.
c = conn("hib-prepared")
c.prepare("s1", "SELECT $1::int + 1")
expect("s1(41)", rows(c.run("s1", ["41"])), [["42"]])
time.sleep(idle)
expect("s1(1) after idling", rows(c.run("s1", ["1"])), [["2"]])
time.sleep(idle)
c.prepare("s2", "SELECT $1::text || 'x'")
expect("s2 prepared after idling twice", rows(c.run("s2", ["y"])), [["yx"]])
expect("s1 still there", rows(c.run("s1", ["9"])), [["10"]])
c.terminate()
print("ok prepared")

# Simple queries only: nothing of the client's relay state is kept.
c = conn("hib-simple")
expect("select 1", rows(c.simple("SELECT 1")), [["1"]])
time.sleep(idle)
expect("select 2 after idling", rows(c.simple("SELECT 2")), [["2"]])
c.terminate()
print("ok simple")

# Half a Parse, then idle, then the rest: the pooler keeps a Parse until it is whole, so it holds
# half of one across the hibernation.
c = conn("hib-partial-parse")
expect("select 1", rows(c.simple("SELECT 1")), [["1"]])
c.parse("s3", "SELECT 3")
whole = b"".join(c.out)
c.out = []
c.sock.sendall(whole[:7])
time.sleep(idle)
c.sock.sendall(whole[7:])
c.sync()
c.until_ready(raise_errors=True)
expect("statement parsed around the idle time", rows(c.run("s3")), [["3"]])
c.terminate()
print("ok partial-parse")

# Half a Query, then idle, then the rest: a Query is forwarded as it comes, so the first half
# links the server, which stays linked (no hibernation) until the query is done.
c = conn("hib-partial-query")
expect("select 1", rows(c.simple("SELECT 1")), [["1"]])
c._msg("Q", b"SELECT 4\0")
whole = b"".join(c.out)
c.out = []
c.sock.sendall(whole[:7])
time.sleep(idle)
c.sock.sendall(whole[7:])
expect("query split around the idle time", rows(c.until_ready(raise_errors=True)), [["4"]])
c.terminate()
print("ok partial-query")

# Idle inside a transaction: the server stays linked, so does the transaction's state.
c = conn("hib-transaction")
c.simple("BEGIN")
c.simple("CREATE TEMP TABLE hib(v int) ON COMMIT DROP")
c.simple("INSERT INTO hib VALUES (7)")
time.sleep(idle)
expect("the transaction's temp table after idling", rows(c.simple("SELECT v FROM hib")), [["7"]])
c.simple("COMMIT")
c.terminate()
print("ok transaction")
