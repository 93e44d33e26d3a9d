// StatsTracker.
#include "stats/stats_tracker.hpp"

#include <spdlog/spdlog.h>

#include "pool/pool_manager.hpp"

namespace sluice {

namespace {
void add(sluice_stats_counters& a, const sluice_stats_counters& b) {
  a.server_assignment_count += b.server_assignment_count;
  a.xact_count += b.xact_count;
  a.query_count += b.query_count;
  a.bytes_received += b.bytes_received;
  a.bytes_sent += b.bytes_sent;
  a.xact_time_us += b.xact_time_us;
  a.query_time_us += b.query_time_us;
  a.wait_time_us += b.wait_time_us;
  a.client_parse_count += b.client_parse_count;
  a.server_parse_count += b.server_parse_count;
  a.bind_count += b.bind_count;
}

int64_t per(int64_t delta, int64_t count) {
  return count > 0 ? delta / count : 0;
}
}  // namespace

sluice_stats_counters stats_averages(const sluice_stats_counters& b, const sluice_stats_counters& a,
                                     double seconds) {
  sluice_stats_counters r{};
  if (seconds <= 0) return r;
  auto rate = [&](int64_t before, int64_t after) {
    return static_cast<int64_t>(static_cast<double>(after - before) / seconds);
  };
  r.server_assignment_count = rate(b.server_assignment_count, a.server_assignment_count);
  r.xact_count = rate(b.xact_count, a.xact_count);
  r.query_count = rate(b.query_count, a.query_count);
  r.bytes_received = rate(b.bytes_received, a.bytes_received);
  r.bytes_sent = rate(b.bytes_sent, a.bytes_sent);
  r.client_parse_count = rate(b.client_parse_count, a.client_parse_count);
  r.server_parse_count = rate(b.server_parse_count, a.server_parse_count);
  r.bind_count = rate(b.bind_count, a.bind_count);
  r.xact_time_us = per(a.xact_time_us - b.xact_time_us, a.xact_count - b.xact_count);
  r.query_time_us = per(a.query_time_us - b.query_time_us, a.query_count - b.query_count);
  r.wait_time_us =
      per(a.wait_time_us - b.wait_time_us, a.server_assignment_count - b.server_assignment_count);
  return r;
}

std::string stats_log_line(const sluice_stats_counters& a) {
  return fmt::format(
      "stats: {} xacts/s, {} queries/s, {} client parses/s, {} server parses/s, {} binds/s, "
      "in {} B/s, out {} B/s, xact {} us, query {} us, wait {} us",
      a.xact_count, a.query_count, a.client_parse_count, a.server_parse_count, a.bind_count,
      a.bytes_received, a.bytes_sent, a.xact_time_us, a.query_time_us, a.wait_time_us);
}

std::map<std::string, sluice_stats_counters> StatsTracker::totals(const PoolManager& pools) {
  std::map<std::string, sluice_stats_counters> out;
  for (const auto& p : pools.all()) add(out[p->settings().database], p->stats().sum());
  return out;
}

bool StatsTracker::tick(std::chrono::steady_clock::time_point now, const PoolManager& pools,
                        double period, bool log_stats) {
  std::lock_guard lock(mu_);
  if (period_start_ == std::chrono::steady_clock::time_point{}) {
    period_start_ = now;
    at_period_start_ = totals(pools);
    return false;
  }
  double elapsed = std::chrono::duration<double>(now - period_start_).count();
  if (period <= 0 || elapsed < period) return false;
  auto current = totals(pools);
  averages_.clear();
  sluice_stats_counters before_all{}, after_all{};
  for (const auto& [db, after] : current) {
    sluice_stats_counters before{};
    if (auto it = at_period_start_.find(db); it != at_period_start_.end()) before = it->second;
    averages_[db] = stats_averages(before, after, elapsed);
    add(before_all, before);
    add(after_all, after);
  }
  global_averages_ = stats_averages(before_all, after_all, elapsed);
  at_period_start_ = std::move(current);
  period_start_ = now;
  if (log_stats) spdlog::info("{}", stats_log_line(global_averages_));
  return true;
}

std::vector<DatabaseStats> StatsTracker::snapshot(const PoolManager& pools) const {
  auto current = totals(pools);
  std::lock_guard lock(mu_);
  std::vector<DatabaseStats> out;
  for (const auto& [db, t] : current) {
    DatabaseStats s;
    s.database = db;
    s.totals = t;
    if (auto it = averages_.find(db); it != averages_.end()) s.averages = it->second;
    out.push_back(std::move(s));
  }
  return out;
}

sluice_stats_counters StatsTracker::global_averages() const {
  std::lock_guard lock(mu_);
  return global_averages_;
}

}  // namespace sluice
