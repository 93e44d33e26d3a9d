// A global cap on server connections (max_db_connections, max_user_connections) shared by every
// pool of a database or user, across all shards.
#pragma once

#include <atomic>

namespace sluice {

class ConnectionBudget {
 public:
  explicit ConnectionBudget(int limit) : limit_(limit) {}
  // Takes one slot; false when the budget is exhausted. A limit of 0 means unlimited.
  bool try_take() {
    int cur = used_.load(std::memory_order_relaxed);
    do {
      if (limit_ > 0 && cur >= limit_) return false;
    } while (!used_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel));
    return true;
  }
  void give_back() { used_.fetch_sub(1, std::memory_order_acq_rel); }
  int used() const { return used_.load(std::memory_order_relaxed); }
  int limit() const { return limit_; }

 private:
  int limit_;
  std::atomic<int> used_{0};
};

}  // namespace sluice
