// `sluice health`: one line per check (process, admin console, SELECT 1 through the pooler to
// each database), exit 0 when all pass, 1 otherwise. For container health checks.
#pragma once

#include <string>

#include "cli/target.hpp"

namespace sluice::cli {

struct HealthOptions {
  std::string db_user;  // --db-user: user for the SELECT 1 checks (default: force_user, else -U)
};

int run_health(Target& target, const HealthOptions& options);

}  // namespace sluice::cli
