// PoolManager: pool lookup and shared budgets.
#include "pool/pool_manager.hpp"

#include "pool/connection_budget.hpp"

namespace sluice {

std::shared_ptr<ConnectionBudget> PoolManager::budget(
    std::map<std::string, std::shared_ptr<ConnectionBudget>>& m, const std::string& name,
    int limit) {
  if (limit <= 0) return nullptr;
  auto& b = m[name];
  if (!b) b = std::make_shared<ConnectionBudget>(limit);
  return b;
}

std::shared_ptr<Pool> PoolManager::find(std::string_view database, std::string_view user) const {
  std::lock_guard lock(mu_);
  auto it = pools_.find(PoolKeyLess::View(database, user));
  return it != pools_.end() ? it->second : nullptr;
}

std::shared_ptr<Pool> PoolManager::find_or_create(const PoolSettings& settings,
                                                  int max_db_connections,
                                                  int max_user_connections) {
  std::lock_guard lock(mu_);
  auto key = std::make_pair(settings.database, settings.user);
  auto it = pools_.find(key);
  if (it != pools_.end()) return it->second;
  auto pool =
      std::make_shared<Pool>(settings, budget(db_budgets_, settings.database, max_db_connections),
                             budget(user_budgets_, settings.user, max_user_connections), shards_);
  pools_.emplace(key, pool);
  if (paused_all_ || paused_dbs_.count(settings.database)) pool->pause();
  return pool;
}

int PoolManager::db_connections(const std::string& database) const {
  int n = 0;
  for (const auto& p : all()) {
    if (p->settings().database != database) continue;
    PoolCounters c = p->counters();
    n += c.active + c.idle + c.login;
  }
  return n;
}

int PoolManager::user_connections(const std::string& user) const {
  int n = 0;
  for (const auto& p : all()) {
    if (p->settings().user != user) continue;
    PoolCounters c = p->counters();
    n += c.active + c.idle + c.login;
  }
  return n;
}

void PoolManager::set_paused(const std::string& database, bool paused, const Executor& ex) {
  std::vector<std::shared_ptr<Pool>> targets;
  bool all_paused = false;
  {
    std::lock_guard lock(mu_);
    if (database.empty()) {
      paused_all_ = paused;
      if (!paused) paused_dbs_.clear();
    } else if (paused) {
      paused_dbs_[database] = true;
    } else {
      paused_dbs_.erase(database);
    }
    all_paused = paused_all_;
    for (const auto& [key, pool] : pools_) {
      if (database.empty() || key.first == database) targets.push_back(pool);
    }
  }
  for (const auto& p : targets) {
    bool still = paused || (!database.empty() && all_paused);
    p->set_paused(still, ex);
  }
}

void PoolManager::set_disabled(const std::string& database, bool disabled) {
  std::lock_guard lock(mu_);
  if (disabled) {
    disabled_dbs_[database] = true;
  } else {
    disabled_dbs_.erase(database);
  }
}

bool PoolManager::disabled(const std::string& database) const {
  std::lock_guard lock(mu_);
  return disabled_dbs_.count(database) > 0;
}

bool PoolManager::paused(const std::string& database) const {
  std::lock_guard lock(mu_);
  if (database.empty()) return paused_all_;
  return paused_all_ || paused_dbs_.count(database) > 0;
}

bool PoolManager::drained(const std::string& database) const {
  for (const auto& p : all()) {
    if (!database.empty() && p->settings().database != database) continue;
    if (!p->drained()) return false;
  }
  return true;
}

void PoolManager::retire(const std::shared_ptr<Pool>& pool) {
  std::lock_guard lock(mu_);
  auto it = pools_.find(std::make_pair(pool->settings().database, pool->settings().user));
  if (it != pools_.end() && it->second == pool) pools_.erase(it);
  retired_.push_back(pool);
}

std::vector<std::shared_ptr<Pool>> PoolManager::retired() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Pool>> out;
  std::erase_if(retired_, [&](const std::weak_ptr<Pool>& w) {
    std::shared_ptr<Pool> p = w.lock();
    if (!p) return true;
    out.push_back(std::move(p));
    return false;
  });
  return out;
}

std::vector<std::shared_ptr<Pool>> PoolManager::all() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Pool>> out;
  for (const auto& [k, p] : pools_) out.push_back(p);
  return out;
}

}  // namespace sluice
