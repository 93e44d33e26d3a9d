// sluice monitor: tables over the admin console's SHOW commands; see monitor.hpp.
#include "cli/monitor.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <thread>

namespace sluice::cli {

namespace {

constexpr const char* kRed = "1;31";
constexpr const char* kYellow = "33";

long long num(const QueryResult& r, size_t row, std::string_view col) {
  const std::string v = r.value(row, col);
  return v.empty() ? 0 : std::stoll(v);
}

// SHOW POOLS splits maxwait into whole seconds and the microseconds within the last second.
long long maxwait_us(const QueryResult& pools, size_t row) {
  return num(pools, row, "maxwait") * 1000000 + num(pools, row, "maxwait_us");
}

// The marker column: words, so scripts and tests can grep for them without colours.
std::string pool_flags(long long waiting, long long wait_us, double maxwait_warn,
                       std::string* colour) {
  std::string flags;
  if (waiting > 0) {
    flags = "WAITING";
    *colour = kRed;
  }
  if (static_cast<double>(wait_us) >= maxwait_warn * 1e6 && wait_us > 0) {
    flags += flags.empty() ? "MAXWAIT" : " MAXWAIT";
    if (colour->empty()) *colour = kYellow;
  }
  return flags;
}

std::string now_text() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

TextTable pools_view(const QueryResult& pools, double maxwait_warn) {
  TextTable t;
  t.headers = {"database", "user",     "cl_active", "cl_waiting", "sv_active", "sv_idle",
               "sv_used",  "sv_login", "maxwait",   "pool_mode",  "flags"};
  t.right_aligned = {false, false, true, true, true, true, true, true, true, false, false};
  for (size_t i = 0; i < pools.rows.size(); ++i) {
    std::string colour;
    const long long wait = maxwait_us(pools, i);
    const std::string flags = pool_flags(num(pools, i, "cl_waiting"), wait, maxwait_warn, &colour);
    t.add_row({pools.value(i, "database"), pools.value(i, "user"), pools.value(i, "cl_active"),
               pools.value(i, "cl_waiting"), pools.value(i, "sv_active"), pools.value(i, "sv_idle"),
               pools.value(i, "sv_used"), pools.value(i, "sv_login"), seconds_from_us(wait),
               pools.value(i, "pool_mode"), flags},
              colour);
  }
  return t;
}

TextTable summary_view(const QueryResult& pools, const QueryResult& stats, double maxwait_warn) {
  TextTable t;
  t.headers = {"database", "user",   "cl_active", "cl_waiting",      "sv_active", "sv_idle",
               "maxwait",  "db_tps", "db_qps",    "db_avg_query_ms", "flags"};
  t.right_aligned = {false, false, true, true, true, true, true, true, true, true, false};
  for (size_t i = 0; i < pools.rows.size(); ++i) {
    const std::string db = pools.value(i, "database");
    std::string tps = "-", qps = "-", avg = "-";
    for (size_t s = 0; s < stats.rows.size(); ++s) {
      if (stats.value(s, "database") != db) continue;
      tps = stats.value(s, "avg_xact_count");
      qps = stats.value(s, "avg_query_count");
      avg = millis_from_us(num(stats, s, "avg_query_time"));
    }
    std::string colour;
    const long long wait = maxwait_us(pools, i);
    const std::string flags = pool_flags(num(pools, i, "cl_waiting"), wait, maxwait_warn, &colour);
    t.add_row({db, pools.value(i, "user"), pools.value(i, "cl_active"),
               pools.value(i, "cl_waiting"), pools.value(i, "sv_active"), pools.value(i, "sv_idle"),
               seconds_from_us(wait), tps, qps, avg, flags},
              colour);
  }
  return t;
}

TextTable stats_view(const QueryResult& stats) {
  TextTable t;
  t.headers = {"database",    "xact/s",       "query/s",     "recv B/s",   "sent B/s",
               "avg_xact_ms", "avg_query_ms", "avg_wait_ms", "total_xact", "total_query"};
  t.right_aligned = {false, true, true, true, true, true, true, true, true, true};
  for (size_t i = 0; i < stats.rows.size(); ++i) {
    t.add_row({stats.value(i, "database"), stats.value(i, "avg_xact_count"),
               stats.value(i, "avg_query_count"), stats.value(i, "avg_recv"),
               stats.value(i, "avg_sent"), millis_from_us(num(stats, i, "avg_xact_time")),
               millis_from_us(num(stats, i, "avg_query_time")),
               millis_from_us(num(stats, i, "avg_wait_time")), stats.value(i, "total_xact_count"),
               stats.value(i, "total_query_count")});
  }
  return t;
}

TextTable sockets_view(const QueryResult& sockets, bool clients) {
  TextTable t;
  t.headers = {"id", "user", "database", "state", "addr", "port"};
  t.headers.push_back(clients ? "wait_s" : "remote_pid");
  t.headers.push_back("application_name");
  if (clients) t.headers.push_back("flags");
  t.right_aligned = {true, false, false, false, false, true, true, false, false};
  for (size_t i = 0; i < sockets.rows.size(); ++i) {
    std::vector<std::string> row = {sockets.value(i, "id"),       sockets.value(i, "user"),
                                    sockets.value(i, "database"), sockets.value(i, "state"),
                                    sockets.value(i, "addr"),     sockets.value(i, "port")};
    std::string colour;
    if (clients) {
      row.push_back(
          seconds_from_us(num(sockets, i, "wait") * 1000000 + num(sockets, i, "wait_us")));
    } else {
      row.push_back(sockets.value(i, "remote_pid"));
    }
    row.push_back(sockets.value(i, "application_name"));
    if (clients) {
      const bool waiting = sockets.value(i, "state") == "waiting";
      row.push_back(waiting ? "WAITING" : "");
      if (waiting) colour = kRed;
    }
    t.add_row(std::move(row), colour);
  }
  return t;
}

int run_monitor(Target& target, const MonitorOptions& o) {
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  std::unique_ptr<ConsoleClient> console;
  for (int n = 1;; ++n) {
    target.restart_deadline();
    std::string screen;
    bool ok = true;
    try {
      if (!console)
        console = std::make_unique<ConsoleClient>(target.login("pgbouncer"), target.deadline());
      console->set_deadline(target.deadline());
      TextTable table;
      switch (o.view) {
        case MonitorView::Summary:
          table = summary_view(console->query("SHOW POOLS"), console->query("SHOW STATS"),
                               o.maxwait_warn);
          break;
        case MonitorView::Pools:
          table = pools_view(console->query("SHOW POOLS"), o.maxwait_warn);
          break;
        case MonitorView::Stats:
          table = stats_view(console->query("SHOW STATS"));
          break;
        case MonitorView::Clients:
          table = sockets_view(console->query("SHOW CLIENTS"), true);
          break;
        case MonitorView::Servers:
          table = sockets_view(console->query("SHOW SERVERS"), false);
          break;
      }
      screen = render_table(table, tty);
    } catch (const std::exception& e) {
      console.reset();  // reconnect at the next refresh
      screen = std::string("error: ") + target.endpoint().display() + ": " + e.what() + "\n";
      ok = false;
    }
    if (o.watch > 0) {
      // In place on a terminal (cursor home, clear screen); a plain separator otherwise.
      char every[32];
      std::snprintf(every, sizeof(every), "%g", o.watch);
      std::string head = tty ? "\x1b[H\x1b[2J" : "";
      head += "sluice monitor  ";
      head += target.endpoint().display();
      head += "  ";
      head += now_text();
      head += "  (every ";
      head += every;
      head += " s)\n";
      head += screen;
      if (!tty) head += "\n";
      screen = std::move(head);
    }
    std::fputs(screen.c_str(), ok ? stdout : (o.watch > 0 ? stdout : stderr));
    std::fflush(stdout);
    if (o.watch <= 0) return ok ? 0 : 1;
    if (o.count > 0 && n >= o.count) return 0;
    std::this_thread::sleep_for(std::chrono::duration<double>(o.watch));
  }
}

}  // namespace sluice::cli
