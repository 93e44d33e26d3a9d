// Owned copies of the pooler's state read through the host API (ABI 0.2 list()/state()), taken
// on the exporter's thread. list() of POOLS/DATABASES/STATS/CONFIG is callable from any thread:
// the daemon builds each answer from the shared pool registry (a short per-pool lock to count its
// queues) and per-shard counters summed with relaxed loads. CLIENTS (ABI 0.5) blocks this thread
// while every worker thread describes its clients, as SHOW CLIENTS does.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sluice/abi.h"

namespace sluice::plugins::prometheus {

struct PoolRow {
  std::string database, user;
  sluice_pool_info info{};  // string pointers cleared
};

struct DatabaseRow {
  std::string name, host, database, force_user, pool_mode;
  bool unix_socket = false;  // host was NULL
  sluice_database_info info{};
};

struct StatsRow {
  std::string database;
  sluice_stats_counters totals{};
};

struct ShardRow {
  int32_t shard = 0;
  sluice_stats_counters totals{};
};

struct HistogramRow {
  std::string database;
  sluice_histogram_kind kind = 0;
  std::vector<int64_t> upper_bounds_us;  // last: INT64_MAX (+Inf)
  std::vector<int64_t> counts;           // per bucket, not cumulative
  int64_t sum_us = 0;
};

struct HostSnapshot {
  std::vector<PoolRow> pools;
  std::vector<DatabaseRow> databases;
  std::vector<StatsRow> stats;
  std::vector<ShardRow> shards;               // empty on a host older than ABI 0.4
  std::vector<HistogramRow> histograms;       // idem
  std::map<std::string, std::string> config;  // SHOW CONFIG: key -> value ("" when unset)
  // SHOW CLIENTS rows counted by (database, user, application_name, state); ABI 0.5 hosts only.
  bool clients_read = false;
  std::map<std::array<std::string, 4>, int64_t> client_connections;
  std::optional<sluice_state_info> state;  // string pointers cleared
  std::string version;
  std::vector<std::string> errors;  // what could not be read; non-empty means pgbouncer_up 0
};

// Each part is read independently; a failing part is named in `errors` and left empty.
HostSnapshot read_host(const sluice_host_api* api);

// Only the DATABASES list (for /readyz).
std::vector<DatabaseRow> read_databases(const sluice_host_api* api, std::string* error);
// Only the POOLS list.
std::vector<PoolRow> read_pools(const sluice_host_api* api, std::string* error);
std::optional<sluice_state_info> read_state(const sluice_host_api* api);

}  // namespace sluice::plugins::prometheus
