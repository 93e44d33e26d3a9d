// `sluice advise`: asks PostgreSQL's max_connections through the pooler, then prints the console's
// SHOW ADVICE <max_connections> (the rules live in plugins/admin_advice, not here).
#pragma once

#include <string>

#include "cli/target.hpp"

namespace sluice::cli {

struct AdviseOptions {
  std::string db_user;  // --db-user: user for SHOW max_connections (default: force_user, else -U)
  int max_connections = 0;  // --max-connections: skip the probe (0: ask PostgreSQL)
  // The probe queues like any client: on an exhausted pool it would wait for a server, so it gets
  // at most this long (seconds) and advise goes on without max_connections.
  double probe_timeout = 2;
};

int run_advise(Target& target, const AdviseOptions& options);

}  // namespace sluice::cli
