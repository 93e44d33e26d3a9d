// Logged-in clients per database and per user, for max_db_client_connections and
// max_user_client_connections (and SHOW DATABASES/USERS current_client_connections). Taken once
// per login and given back when the client goes, so a plain mutex is cheap enough.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace sluice {

class ClientCounters {
 public:
  // Counts one more client of `name` unless `limit` (> 0) are already counted.
  bool try_take(const std::string& name, int limit) {
    std::lock_guard lock(mu_);
    int& n = counts_[name];
    if (limit > 0 && n >= limit) return false;
    ++n;
    return true;
  }
  void give_back(const std::string& name) {
    std::lock_guard lock(mu_);
    auto it = counts_.find(name);
    if (it != counts_.end() && --it->second <= 0) counts_.erase(it);
  }
  int count(const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = counts_.find(name);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int, std::less<>> counts_;
};

}  // namespace sluice
