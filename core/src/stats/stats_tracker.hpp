// SHOW STATS averages and the periodic "stats: ..." log line: every stats_period the janitor
// takes the totals of every database (summed over its pools and shards) and keeps the rates of
// the period that just ended.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/abi.h"

namespace sluice {

class PoolManager;

struct DatabaseStats {
  std::string database;
  sluice_stats_counters totals{};
  sluice_stats_counters averages{};
};

// Rates over `seconds` between two totals, as PgBouncer computes them: counts and bytes per
// second, xact/query time per transaction/query, wait time per server assignment.
sluice_stats_counters stats_averages(const sluice_stats_counters& before,
                                     const sluice_stats_counters& after, double seconds);

// "stats: N xacts/s, N queries/s, ..." (PgBouncer 1.25 format) for the sum of all databases.
std::string stats_log_line(const sluice_stats_counters& averages);

class StatsTracker {
 public:
  // Janitor tick (control thread): closes a period when `period` seconds have passed; returns
  // true when it did.
  bool tick(std::chrono::steady_clock::time_point now, const PoolManager& pools, double period,
            bool log_stats);
  // Current totals with the last period's averages, one per database, ordered by name.
  std::vector<DatabaseStats> snapshot(const PoolManager& pools) const;
  // The last period's averages over all databases (for the log line and systemd STATUS).
  sluice_stats_counters global_averages() const;

 private:
  static std::map<std::string, sluice_stats_counters> totals(const PoolManager& pools);
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point period_start_{};
  std::map<std::string, sluice_stats_counters> at_period_start_;
  std::map<std::string, sluice_stats_counters> averages_;
  sluice_stats_counters global_averages_{};
};

}  // namespace sluice
