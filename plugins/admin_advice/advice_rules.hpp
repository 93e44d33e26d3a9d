// The pool-tuning rules behind SHOW ADVICE (and so `sluice advise`): a pure function from plain
// numbers (what SHOW POOLS / SHOW DATABASES / SHOW CONFIG print) to recommendations. No SDK, no
// I/O: the rules exist once, here, and are unit-tested on their own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::advice {

// One row of SHOW POOLS.
struct PoolSample {
  std::string database, user;
  int64_t cl_active = 0, cl_waiting = 0;
  int64_t sv_active = 0, sv_idle = 0, sv_used = 0, sv_login = 0;
  int64_t maxwait_us = 0;  // maxwait * 1e6 + maxwait_us
};

// One row of SHOW DATABASES.
struct DatabaseSample {
  std::string name;
  int64_t pool_size = 0;          // the database's effective pool size
  int64_t reserve_pool_size = 0;  // the database's effective reserve pool
  int64_t max_connections = 0;    // max_db_connections for it; 0 = unlimited
  int64_t current_connections = 0;
};

// The [pgbouncer] values the rules read (SHOW CONFIG).
struct Settings {
  int64_t default_pool_size = 20;
  int64_t reserve_pool_size = 0;
  int64_t max_client_conn = 100;
  int64_t max_db_connections = 0;
};

struct Input {
  Settings settings;
  std::vector<PoolSample> pools;
  std::vector<DatabaseSample> databases;
  // PostgreSQL's max_connections, when the caller could ask the server (SHOW ADVICE <n>).
  std::optional<int64_t> server_max_connections;
};

// One recommendation: a row of SHOW ADVICE.
struct Advice {
  std::string database;   // "" for a global setting
  std::string user;       // "" unless the row is about one pool
  std::string severity;   // "warning" (clients suffer now), "info" (worth a look)
  std::string setting;    // the configuration key to change
  std::string current;    // its value now
  std::string suggested;  // the value to try ("" when the rule cannot say)
  std::string reason;     // why, with the numbers
};

// Thresholds of the rules (the values operators use; docs/monitoring.md lists them).
inline constexpr int64_t kMaxwaitWarnUs = 5'000'000;   // maxwait above 5 s: the pool is too small
inline constexpr int64_t kIdleServersMany = 15;        // sv_idle above 15: shrink the pool
inline constexpr int64_t kClientConnNearPercent = 80;  // clients >= 80 % of max_client_conn
inline constexpr int64_t kServerReservedConnections =
    3;  // PostgreSQL's superuser_reserved_connections default

// Runs every rule. Rows come in a stable order: per pool (in input order) the pool rules, then
// per database the reserve rule, then the global rules.
std::vector<Advice> advise(const Input& in);

}  // namespace sluice::advice
