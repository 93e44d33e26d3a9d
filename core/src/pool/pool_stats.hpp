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

// Latency histograms (ABI 0.3 SLUICE_LIST_HISTOGRAMS), one per time counter.
enum class Hist : uint8_t { kClientWait, kQuery, kXact, kCount };

// Upper bounds of the histogram buckets in microseconds (100 us .. 10 s, roughly 1-2.5-5 steps, as
// Prometheus' default buckets); one more bucket above the last bound holds the rest (+Inf).
inline constexpr std::array<int64_t, 16> kHistBoundsUs = {
    100,   250,    500,    1000,   2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
inline constexpr size_t kHistBuckets = kHistBoundsUs.size() + 1;

class alignas(64) ShardStats {
 public:
  // Only the owning shard's thread calls add() and add_time().
  void add(Stat s, int64_t n) {
    auto& c = v_[static_cast<size_t>(s)];
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // A duration for kWaitTimeUs, kQueryTimeUs or kXactTimeUs (only those: any other stat would be
  // counted as a transaction): adds it to the counter and counts it in that counter's histogram
  // bucket (one more relaxed store).
  void add_time(Stat s, int64_t us) {
    add(s, us);
    const Hist h = s == Stat::kWaitTimeUs    ? Hist::kClientWait
                   : s == Stat::kQueryTimeUs ? Hist::kQuery
                                             : Hist::kXact;
    size_t b = 0;
    while (b < kHistBoundsUs.size() && us > kHistBoundsUs[b]) ++b;
    auto& c = hist_[static_cast<size_t>(h)][b];
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  int64_t get(Stat s) const { return v_[static_cast<size_t>(s)].load(std::memory_order_relaxed); }
  int64_t bucket(Hist h, size_t b) const {
    return hist_[static_cast<size_t>(h)][b].load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<int64_t>, static_cast<size_t>(Stat::kCount)> v_{};
  std::array<std::array<std::atomic<int64_t>, kHistBuckets>, static_cast<size_t>(Hist::kCount)>
      hist_{};
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
  // Bucket counts (not cumulative) of histogram `h`, summed over all shards; safe from any thread.
  std::array<int64_t, kHistBuckets> histogram(Hist h) const {
    std::array<int64_t, kHistBuckets> out{};
    for (size_t i = 0; i < n_; ++i)
      for (size_t b = 0; b < kHistBuckets; ++b) out[b] += shards_[i].bucket(h, b);
    return out;
  }

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
