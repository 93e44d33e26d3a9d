// One [users] line: per-user overrides (reference §2.2).
#pragma once

#include <string>
#include <string_view>

namespace sluice::config {

// `name = pool_mode=... pool_size=... ...`; -1 / "" = not set (inherit).
struct UserEntry {
  std::string name;
  std::string pool_mode;
  int pool_size = -1, reserve_pool_size = -1, max_user_connections = -1,
      max_user_client_connections = -1;
  // Seconds. PgBouncer reads these with atoi (whole seconds); sluice also accepts fractions.
  double query_timeout = -1, idle_transaction_timeout = -1, transaction_timeout = -1,
         client_idle_timeout = -1;
  int line = 0;
  std::string file;
};

// Parses the value of a [users] line. Throws ConfigError(file, line, name, ...) on an unknown key
// ("unrecognized user parameter: KEY") or a bad value.
UserEntry parse_user_entry(const std::string& name, std::string_view value, const std::string& file,
                           int line);

}  // namespace sluice::config
