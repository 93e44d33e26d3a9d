// Services shared by every shard: the current configuration snapshot, pools, cancel keys, counters.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/userlist.hpp"

namespace sluice {
namespace plugin {
class Registry;
}
class PoolManager;
class CancelRegistry;

// An immutable view of configuration, auth file and plugin set. Replaced as a whole on RELOAD;
// sessions take a copy of the pointer at login and keep it.
struct RuntimeConfig {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const config::Userlist> userlist;
  std::shared_ptr<const plugin::Registry> plugins;
  // Parameters kept per client and applied to whichever server it gets (PgBouncer's varcache).
  std::vector<std::string> tracked_params;
};

// Refuses configurations this build cannot honour rather than failing every login later (or, for
// TLS, silently serving in plain text): an auth_type or pool_mode no loaded plugin provides, TLS
// modes that demand encryption, multi-host or abstract-socket server addresses. Throws
// std::runtime_error naming the key and its origin.
void check_supported(const RuntimeConfig& runtime);

// Builds a snapshot, deriving what sessions would otherwise recompute at every login.
std::shared_ptr<const RuntimeConfig> make_runtime(std::shared_ptr<const config::Config> config,
                                                  std::shared_ptr<const config::Userlist> userlist,
                                                  std::shared_ptr<const plugin::Registry> plugins);

class DaemonContext {
 public:
  DaemonContext(std::shared_ptr<const RuntimeConfig> runtime, PoolManager& pools,
                CancelRegistry& cancels)
      : runtime_(std::move(runtime)), pools_(pools), cancels_(cancels) {}

  std::shared_ptr<const RuntimeConfig> runtime() const {
    std::lock_guard lock(mu_);
    return runtime_;
  }
  void set_runtime(std::shared_ptr<const RuntimeConfig> r) {
    std::lock_guard lock(mu_);
    runtime_ = std::move(r);
  }
  PoolManager& pools() { return pools_; }
  CancelRegistry& cancels() { return cancels_; }

  std::atomic<int> client_count{0};  // logged-in and logging-in clients (max_client_conn)
  std::atomic<uint64_t> next_id{1};  // connection ids for logs
  std::atomic<bool> shutting_down{false};

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const RuntimeConfig> runtime_;
  PoolManager& pools_;
  CancelRegistry& cancels_;
};

}  // namespace sluice
