// Prepared-statement workload for JDBC (Debian's libpostgresql-jdbc-java), used by
// tests/integration/prepared_statements_drivers.sh. Single-file program:
//
//   java -cp /usr/share/java/postgresql.jar PsJdbc.java HOST PORT USER PASSWORD WORKERS ITERATIONS [TAG]
//
// WORKERS threads, each with its own connection (prepareThreshold=1: every PreparedStatement is a
// named server-side statement from its first execution), run ITERATIONS rounds of: lookups with
// int/bigint/bool/text/float8 parameters and numeric/date/array/multi-row results, a query whose
// text is unique to the worker, pg_backend_pid(), an insert, a transaction of several prepared
// statements with a batch (several Bind/Execute before one Sync), and every 4th round a
// transaction that fails (division by zero) and is rolled back. Each worker commits 3 rows per
// round into events (driver TAG, default "jdbc"; seq i, 100000+i, 300000+i); rolled-back rows
// (200000+i) must never appear.
//
// Prints "pids P1,P2,..." (every backend seen), "max_pids_per_worker N" and "OK"; exits 1 with the
// errors otherwise.

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

public class PsJdbc {
  static String driver = "jdbc";

  static void check(boolean cond, String what) {
    if (!cond) {
      throw new AssertionError(what);
    }
  }

  /** Prepares (and caches per connection) a statement, checking that JDBC will server-prepare it. */
  static final class Stmts {
    final Connection conn;
    final Map<String, PreparedStatement> cache = new java.util.HashMap<>();

    Stmts(Connection conn) {
      this.conn = conn;
    }

    PreparedStatement get(String sql) throws SQLException {
      PreparedStatement ps = cache.get(sql);
      if (ps == null) {
        ps = conn.prepareStatement(sql);
        org.postgresql.PGStatement pg = ps.unwrap(org.postgresql.PGStatement.class);
        check(pg.getPrepareThreshold() == 1, "prepareThreshold is " + pg.getPrepareThreshold());
        cache.put(sql, ps);
      }
      return ps;
    }

    void checkServerPrepared() throws SQLException {
      for (PreparedStatement ps : cache.values()) {
        check(ps.unwrap(org.postgresql.PGStatement.class).isUseServerPrepare(),
            "JDBC did not server-prepare a statement");
      }
    }
  }

  static long one(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      check(rs.next(), "no row");
      long v = rs.getLong(1);
      check(!rs.next(), "more than one row");
      return v;
    }
  }

  static void round(Stmts s, int w, int i, Set<Integer> seen) throws SQLException {
    Connection conn = s.conn;
    // 1. int parameter; numeric, text[], date results.
    int item = (w * 7 + i) % 100 + 1;
    PreparedStatement ps = s.get("SELECT id, name, price, tags, born FROM items WHERE id = ?");
    ps.setInt(1, item);
    try (ResultSet rs = ps.executeQuery()) {
      check(rs.next(), "item " + item + ": no row");
      check(rs.getInt(1) == item, "item id");
      check(rs.getString(2).equals("item-" + item), "item name " + rs.getString(2));
      check(rs.getBigDecimal(3).compareTo(new BigDecimal(item).multiply(new BigDecimal("1.5"))) == 0,
          "item price " + rs.getBigDecimal(3));
      Array tags = rs.getArray(4);
      check(Arrays.equals((String[]) tags.getArray(), new String[] {"t" + (item % 3), "all"}),
          "item tags " + Arrays.toString((Object[]) tags.getArray()));
      check(rs.getObject(5, LocalDate.class).equals(LocalDate.of(2024, 1, 1).plusDays(item)),
          "item born " + rs.getObject(5));
    }
    // 2. two int parameters; bigint aggregate.
    int lo = i % 50 + 1;
    ps = s.get("SELECT count(*), sum(id) FROM items WHERE id BETWEEN ? AND ?");
    ps.setInt(1, lo);
    ps.setInt(2, lo + 9);
    try (ResultSet rs = ps.executeQuery()) {
      check(rs.next() && rs.getLong(1) == 10 && rs.getLong(2) == 10L * lo + 45, "aggregate " + lo);
    }
    // 3. bigint, bool, text, float8 parameters.
    ps = s.get("SELECT ?::bigint * 2, NOT ?::boolean, ?::text || '!', ?::float8 / 2");
    ps.setLong(1, i * 10_000_000_000L);
    ps.setBoolean(2, i % 2 == 0);
    ps.setString(3, "w" + w);
    ps.setDouble(4, i + 0.5);
    try (ResultSet rs = ps.executeQuery()) {
      check(rs.next(), "types: no row");
      check(rs.getLong(1) == i * 20_000_000_000L, "types bigint " + rs.getLong(1));
      check(rs.getBoolean(2) == (i % 2 != 0), "types bool");
      check(rs.getString(3).equals("w" + w + "!"), "types text " + rs.getString(3));
      check(rs.getDouble(4) == (i + 0.5) / 2, "types float8 " + rs.getDouble(4));
    }
    // 4. several rows.
    ps = s.get("SELECT id, name FROM items WHERE id <= ? ORDER BY id");
    ps.setInt(1, i % 20 + 1);
    try (ResultSet rs = ps.executeQuery()) {
      int expect = 1;
      while (rs.next()) {
        check(rs.getInt(1) == expect && rs.getString(2).equals("item-" + expect), "rows: id " + rs.getInt(1));
        expect++;
      }
      check(expect == i % 20 + 2, "rows: " + (expect - 1) + " rows, want " + (i % 20 + 1));
    }
    // 5. a statement only this worker prepares.
    ps = s.get("SELECT ?::int + " + w + ", '" + driver + "-w" + w + "'");
    ps.setInt(1, i);
    try (ResultSet rs = ps.executeQuery()) {
      check(rs.next() && rs.getInt(1) == i + w && rs.getString(2).equals(driver + "-w" + w), "worker-unique");
    }
    // 6. which backend.
    seen.add((int) one(s.get("SELECT pg_backend_pid()")));
    // 7. insert outside a transaction.
    PreparedStatement ins = s.get("INSERT INTO events (driver, worker, seq, note, amount) VALUES (?, ?, ?, ?, ?)");
    ins.setString(1, driver);
    ins.setInt(2, w);
    ins.setInt(3, i);
    ins.setString(4, "plain");
    ins.setBigDecimal(5, new BigDecimal(i).divide(new BigDecimal(4)));
    check(ins.executeUpdate() == 1, "plain insert");
    // 8. a transaction of several prepared statements (with a batch), pinned to one backend.
    conn.setAutoCommit(false);
    int p1 = (int) one(s.get("SELECT pg_backend_pid()"));
    ins.setString(1, driver);
    ins.setInt(2, w);
    ins.setInt(3, 100000 + i);
    ins.setString(4, "tx");
    ins.setBigDecimal(5, new BigDecimal(i).divide(new BigDecimal(4)));
    ins.addBatch();
    ins.setInt(3, 300000 + i);
    ins.setString(4, "batch");
    ins.setBigDecimal(5, new BigDecimal(i));
    ins.addBatch();
    int[] counts = ins.executeBatch();
    check(counts.length == 2 && counts[0] == 1 && counts[1] == 1, "batch counts " + Arrays.toString(counts));
    ps = s.get("UPDATE counters SET n = n + 1 WHERE driver = ? AND worker = ? RETURNING n");
    ps.setString(1, driver);
    ps.setInt(2, w);
    long n = one(ps);
    check(n == i + 1, "counter " + n + ", want " + (i + 1));
    PreparedStatement count = s.get("SELECT count(*) FROM events WHERE driver = ? AND worker = ?");
    count.setString(1, driver);
    count.setInt(2, w);
    long c = one(count);
    check(c == 3L * i + 3, "events in tx " + c + ", want " + (3L * i + 3));
    int p2 = (int) one(s.get("SELECT pg_backend_pid()"));
    check(p1 == p2, "transaction moved from backend " + p1 + " to " + p2);
    conn.commit();
    conn.setAutoCommit(true);
    seen.add(p1);
    // 9. an error inside a transaction, then rollback.
    if (i % 4 == 3) {
      conn.setAutoCommit(false);
      ins.setString(1, driver);
      ins.setInt(2, w);
      ins.setInt(3, 200000 + i);
      ins.setString(4, "rolled back");
      ins.setBigDecimal(5, BigDecimal.ZERO);
      check(ins.executeUpdate() == 1, "insert before the error");
      ps = s.get("SELECT 1 / ?::int");
      ps.setInt(1, 0);
      try {
        one(ps);
        throw new AssertionError("division by zero did not fail");
      } catch (SQLException e) {
        check(Objects.equals(e.getSQLState(), "22012"), "expected division_by_zero, got " + e.getSQLState() + ": " + e.getMessage());
      }
      conn.rollback();
      conn.setAutoCommit(true);
      ps = s.get("SELECT count(*) FROM events WHERE driver = ? AND worker = ? AND seq >= 200000 AND seq < 300000");
      ps.setString(1, driver);
      ps.setInt(2, w);
      long rb = one(ps);
      check(rb == 0, rb + " rolled-back rows are visible");
    }
  }

  public static void main(String[] args) throws Exception {
    String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/app";
    int workers = Integer.parseInt(args[4]);
    int iters = Integer.parseInt(args[5]);
    if (args.length > 6) {
      driver = args[6];
    }
    Properties props = new Properties();
    props.setProperty("user", args[2]);
    props.setProperty("password", args[3]);
    props.setProperty("prepareThreshold", "1");
    props.setProperty("sslmode", "disable");
    props.setProperty("connectTimeout", "10");
    props.setProperty("socketTimeout", "60");
    List<String> errors = Collections.synchronizedList(new ArrayList<>());
    Map<Integer, Set<Integer>> pids = new ConcurrentHashMap<>();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      final int wk = w;
      Thread t = new Thread(() -> {
        Set<Integer> seen = new TreeSet<>();
        try (Connection conn = DriverManager.getConnection(url, props)) {
          Stmts s = new Stmts(conn);
          PreparedStatement ps = s.get("INSERT INTO counters (driver, worker, n) VALUES (?, ?, 0)");
          ps.setString(1, driver);
          ps.setInt(2, wk);
          ps.executeUpdate();
          for (int i = 0; i < iters; i++) {
            round(s, wk, i, seen);
          }
          PreparedStatement count = s.get("SELECT count(*) FROM events WHERE driver = ? AND worker = ?");
          count.setString(1, driver);
          count.setInt(2, wk);
          long c = one(count);
          check(c == 3L * iters, "worker " + wk + " sees " + c + " events, want " + 3L * iters);
          s.checkServerPrepared();
        } catch (Throwable e) {
          errors.add("worker " + wk + ": " + e);
        }
        pids.put(wk, seen);
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    if (!errors.isEmpty()) {
      for (String e : errors) {
        System.out.println("ERROR " + e);
      }
      System.exit(1);
    }
    Set<Integer> all = new TreeSet<>();
    int maxPer = 0;
    for (Set<Integer> s : pids.values()) {
      all.addAll(s);
      maxPer = Math.max(maxPer, s.size());
    }
    StringBuilder sb = new StringBuilder();
    for (int p : all) {
      sb.append(sb.length() == 0 ? "" : ",").append(p);
    }
    System.out.println("pids " + sb);
    System.out.println("max_pids_per_worker " + maxPer);
    System.out.println("OK");
  }
}
