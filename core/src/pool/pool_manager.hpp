// All pools, keyed by (database, user), plus the per-database and per-user connection budgets.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pool/pool.hpp"

namespace sluice {

class PoolManager {
 public:
  // The pool for (database, user) if there is one: what find_or_create would return, for a caller
  // that builds the settings only when a pool must be created.
  std::shared_ptr<Pool> find(std::string_view database, std::string_view user) const;
  // Returns the pool for (settings.database, settings.user), creating it from `settings` on first
  // use. max_db_connections / max_user_connections apply to the new pool's budgets (0 = no limit).
  std::shared_ptr<Pool> find_or_create(const PoolSettings& settings, int max_db_connections,
                                       int max_user_connections);
  std::vector<std::shared_ptr<Pool>> all() const;
  // RELOAD changed a pool's server or login: new clients get a new pool; the clients linked to
  // this one keep it until they leave.
  void retire(const std::shared_ptr<Pool>& pool);
  // Retired pools still used by clients (their queued clients still time out).
  std::vector<std::shared_ptr<Pool>> retired();
  // PAUSE/RESUME of every pool ("" = all databases) or of one database's pools; pools created
  // later inherit the state. Logins for RESUME run on `ex`.
  void set_paused(const std::string& database, bool paused, const Executor& ex);
  bool paused(const std::string& database) const;  // "" = the global PAUSE
  // True once every pool in scope has no active or logging-in server.
  bool drained(const std::string& database) const;
  // DISABLE/ENABLE db: new logins to a disabled database are refused.
  void set_disabled(const std::string& database, bool disabled);
  bool disabled(const std::string& database) const;
  // Number of shards (per-shard statistics slots in each pool). Set once before serving.
  void set_shards(size_t n) { shards_ = n; }
  // Current server connections of a database / user across its pools (budget or pool counters).
  int db_connections(const std::string& database) const;
  int user_connections(const std::string& user) const;

 private:
  std::shared_ptr<ConnectionBudget> budget(
      std::map<std::string, std::shared_ptr<ConnectionBudget>>& m, const std::string& name,
      int limit);
  size_t shards_ = 1;
  bool paused_all_ = false;                   // guarded by mu_
  std::map<std::string, bool> paused_dbs_;    // guarded by mu_
  std::map<std::string, bool> disabled_dbs_;  // guarded by mu_
  // Orders (database, user) keys, and looks them up by views without building a key.
  struct PoolKeyLess {
    using is_transparent = void;
    using View = std::pair<std::string_view, std::string_view>;
    static View view(const std::pair<std::string, std::string>& k) { return {k.first, k.second}; }
    static View view(const View& k) { return k; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return view(a) < view(b);
    }
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Pool>, PoolKeyLess> pools_;
  std::vector<std::weak_ptr<Pool>> retired_;  // guarded by mu_; pruned by retired()
  std::map<std::string, std::shared_ptr<ConnectionBudget>> db_budgets_;
  std::map<std::string, std::shared_ptr<ConnectionBudget>> user_budgets_;
};

}  // namespace sluice
