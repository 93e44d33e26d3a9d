// sluice health: process, console, and a query through the pooler to each database.
#include "cli/health.hpp"

#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <optional>
#include <vector>

namespace sluice::cli {

namespace {

struct Check {
  bool ok;
  std::string text;
};

void print(const Check& c) {
  std::printf("%-4s  %s\n", c.ok ? "ok" : "FAIL", c.text.c_str());
}

// The pidfile's process exists (EPERM: it exists but belongs to another user).
Check pidfile_check(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return {false, "process: cannot read a pid from pidfile " + path};
  if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)
    return {true, "process: pid " + std::to_string(pid) + " is running (pidfile " + path + ")"};
  return {false,
          "process: pid " + std::to_string(pid) + " from pidfile " + path + " is not running"};
}

long long elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

}  // namespace

int run_health(Target& target, const HealthOptions& options) {
  const std::string where = target.endpoint().display();
  bool all_ok = true;
  // 1. The process: by its pidfile when the config names one, else by the console answering.
  const std::string pidfile = target.config() ? target.config()->str("pidfile") : std::string();
  std::optional<Check> process;
  if (!pidfile.empty()) {
    process = pidfile_check(pidfile);
    print(*process);
    all_ok = all_ok && process->ok;
  }
  // 2. The admin console answers SHOW VERSION; it also lists the databases to check.
  QueryResult databases;
  Check console{false, ""};
  target.restart_deadline();
  try {
    ConsoleClient c(target.login("pgbouncer"), target.deadline());
    const QueryResult v = c.query("SHOW VERSION");
    console = {true, "console: SHOW VERSION at " + where + " as " + target.user() + ": " +
                         (v.rows.empty() ? std::string("(no row)") : v.value(0, "version"))};
    databases = c.query("SHOW DATABASES");
  } catch (const std::exception& e) {
    console = {false, "console: " + where + " as " + target.user() + ": " + e.what()};
  }
  if (!process) {
    print({console.ok, std::string("process: ") +
                           (console.ok ? "up (no pidfile set; the console answers)"
                                       : "no pidfile set and the console does not answer")});
  }
  print(console);
  all_ok = all_ok && console.ok;
  // 3. SELECT 1 through the pooler to every database (not the console's, nor the "*" template).
  for (size_t i = 0; i < databases.rows.size(); ++i) {
    const std::string name = databases.value(i, "name");
    if (name == "pgbouncer" || name == "*") continue;
    std::string user = options.db_user;
    if (user.empty()) user = databases.value(i, "force_user");
    if (user.empty()) user = target.user();
    std::string label = "database ";
    label += name;
    label += ": SELECT 1 as ";
    label += user;
    target.restart_deadline();
    const auto start = Clock::now();
    try {
      ConsoleClient c(target.login(name, user), target.deadline());
      const QueryResult r = c.query("SELECT 1");
      if (r.rows.size() != 1 || r.rows[0].empty() || r.rows[0][0] != "1")
        throw ClientError("unexpected answer to SELECT 1");
      print({true, label + " (" + std::to_string(elapsed_ms(start)) + " ms)"});
    } catch (const std::exception& e) {
      print({false, label + ": " + e.what()});
      all_ok = false;
    }
  }
  std::fflush(stdout);
  return all_ok ? 0 : 1;
}

}  // namespace sluice::cli
