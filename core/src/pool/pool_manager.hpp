// All pools, keyed by (database, user), plus the per-database and per-user connection budgets.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "pool/pool.hpp"

namespace sluice {

class PoolManager {
 public:
  // Returns the pool for (settings.database, settings.user), creating it from `settings` on first
  // use. max_db_connections / max_user_connections apply to the new pool's budgets (0 = no limit).
  std::shared_ptr<Pool> find_or_create(const PoolSettings& settings, int max_db_connections,
                                       int max_user_connections);
  std::vector<std::shared_ptr<Pool>> all() const;

 private:
  std::shared_ptr<ConnectionBudget> budget(
      std::map<std::string, std::shared_ptr<ConnectionBudget>>& m, const std::string& name,
      int limit);
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Pool>> pools_;
  std::map<std::string, std::shared_ptr<ConnectionBudget>> db_budgets_;
  std::map<std::string, std::shared_ptr<ConnectionBudget>> user_budgets_;
};

}  // namespace sluice
