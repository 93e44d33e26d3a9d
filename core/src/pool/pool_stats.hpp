// Statistics of one pool (SHOW STATS): one block of counters per shard, each written only by its
// shard's thread (relaxed load + store, no read-modify-write), summed when read. Cheap on the hot
// path and race-free for the reader.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "sluice/abi.h"

namespace sluice {

enum class Stat : uint8_t {
  kServerAssignments,
  kXacts,
  kQueries,
  kBytesReceived,
  kBytesSent,
  kXactTimeUs,
  kQueryTimeUs,
  kWaitTimeUs,
  kClientParses,
  kServerParses,
  kBinds,
  kCount
};

class alignas(64) ShardStats {
 public:
  // Only the owning shard's thread calls add().
  void add(Stat s, int64_t n) {
    auto& c = v_[static_cast<size_t>(s)];
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  int64_t get(Stat s) const { return v_[static_cast<size_t>(s)].load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<int64_t>, static_cast<size_t>(Stat::kCount)> v_{};
};

class PoolStats {
 public:
  explicit PoolStats(size_t shards) : n_(shards ? shards : 1), shards_(new ShardStats[n_]) {}
  ShardStats& shard(size_t i) { return shards_[i % n_]; }
  // The sum over all shards; safe from any thread.
  sluice_stats_counters sum() const;
  // One shard's block alone (per-shard load, ABI 0.3 SLUICE_LIST_SHARDS); safe from any thread.
  sluice_stats_counters shard_sum(size_t i) const;
  size_t shards() const { return n_; }

 private:
  static sluice_stats_counters to_counters(const int64_t* t);
  size_t n_;
  std::unique_ptr<ShardStats[]> shards_;
};

inline sluice_stats_counters PoolStats::sum() const {
  int64_t t[static_cast<size_t>(Stat::kCount)] = {};
  for (size_t i = 0; i < n_; ++i)
    for (size_t k = 0; k < static_cast<size_t>(Stat::kCount); ++k)
      t[k] += shards_[i].get(static_cast<Stat>(k));
  return to_counters(t);
}

inline sluice_stats_counters PoolStats::shard_sum(size_t i) const {
  int64_t t[static_cast<size_t>(Stat::kCount)] = {};
  if (i < n_) {
    for (size_t k = 0; k < static_cast<size_t>(Stat::kCount); ++k)
      t[k] = shards_[i].get(static_cast<Stat>(k));
  }
  return to_counters(t);
}

inline sluice_stats_counters PoolStats::to_counters(const int64_t* t) {
  sluice_stats_counters c{};
  c.server_assignment_count = t[static_cast<size_t>(Stat::kServerAssignments)];
  c.xact_count = t[static_cast<size_t>(Stat::kXacts)];
  c.query_count = t[static_cast<size_t>(Stat::kQueries)];
  c.bytes_received = t[static_cast<size_t>(Stat::kBytesReceived)];
  c.bytes_sent = t[static_cast<size_t>(Stat::kBytesSent)];
  c.xact_time_us = t[static_cast<size_t>(Stat::kXactTimeUs)];
  c.query_time_us = t[static_cast<size_t>(Stat::kQueryTimeUs)];
  c.wait_time_us = t[static_cast<size_t>(Stat::kWaitTimeUs)];
  c.client_parse_count = t[static_cast<size_t>(Stat::kClientParses)];
  c.server_parse_count = t[static_cast<size_t>(Stat::kServerParses)];
  c.bind_count = t[static_cast<size_t>(Stat::kBinds)];
  return c;
}

}  // namespace sluice
