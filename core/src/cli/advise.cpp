// sluice advise: SHOW ADVICE on the console, with PostgreSQL's max_connections as its argument.
#include "cli/advise.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

namespace sluice::cli {

namespace {

// SHOW max_connections through the pooler, on the first real database; "" when it cannot.
std::string probe_max_connections(const Target& target, ConsoleClient& console,
                                  const AdviseOptions& options) {
  const QueryResult dbs = console.query("SHOW DATABASES");
  std::string note = "no database to ask";
  const auto deadline = std::min(
      target.deadline(), Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(options.probe_timeout)));
  for (size_t i = 0; i < dbs.rows.size(); ++i) {
    const std::string name = dbs.value(i, "name");
    if (name == "pgbouncer" || name == "*") continue;
    std::string user = options.db_user;
    if (user.empty()) user = dbs.value(i, "force_user");
    if (user.empty()) user = target.user();
    try {
      ConsoleClient c(target.login(name, user), deadline);
      const QueryResult r = c.query("SHOW max_connections");
      if (r.rows.empty() || r.rows[0].empty() || !r.rows[0][0])
        throw ClientError("no value returned");
      std::printf("PostgreSQL max_connections = %s (SHOW max_connections on database %s as %s)\n",
                  r.rows[0][0]->c_str(), name.c_str(), user.c_str());
      return *r.rows[0][0];
    } catch (const std::exception& e) {
      note = "SHOW max_connections on database ";
      note += name;
      note += " as ";
      note += user;
      note += ": ";
      note += e.what();
    }
    break;  // one attempt: the databases usually share the server, and time is short
  }
  std::printf("PostgreSQL max_connections unknown (%s); pass --max-connections\n", note.c_str());
  return {};
}

}  // namespace

int run_advise(Target& target, const AdviseOptions& options) {
  std::string max_connections;
  try {
    ConsoleClient console(target.login("pgbouncer"), target.deadline());
    if (options.max_connections > 0) {
      max_connections = std::to_string(options.max_connections);
      std::printf("PostgreSQL max_connections = %s (--max-connections)\n", max_connections.c_str());
    } else {
      max_connections = probe_max_connections(target, console, options);
    }
    const QueryResult advice = console.query(
        max_connections.empty() ? std::string("SHOW ADVICE") : "SHOW ADVICE " + max_connections);
    if (advice.rows.empty()) {
      std::printf("no recommendations: the pools look right for the current load\n");
      return 0;
    }
    for (size_t i = 0; i < advice.rows.size(); ++i) {
      std::string scope = advice.value(i, "database");
      if (!advice.value(i, "user").empty()) scope += "/" + advice.value(i, "user");
      if (scope.empty()) scope = "(global)";
      const std::string suggested = advice.value(i, "suggested");
      std::printf("%-7s %s: %s = %s%s\n        %s\n", advice.value(i, "severity").c_str(),
                  scope.c_str(), advice.value(i, "setting").c_str(),
                  advice.value(i, "current").c_str(),
                  suggested.empty() ? "" : (" -> suggested " + suggested).c_str(),
                  advice.value(i, "reason").c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sluice advise: %s: %s\n", target.endpoint().display().c_str(), e.what());
    return 1;
  }
  return 0;
}

}  // namespace sluice::cli
