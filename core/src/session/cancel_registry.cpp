// CancelRegistry.
#include "session/cancel_registry.hpp"

namespace sluice {

void CancelRegistry::add(uint32_t pid, uint32_t key, std::weak_ptr<ClientSession> session) {
  std::lock_guard lock(mu_);
  sessions_[pack(pid, key)] = std::move(session);
}

void CancelRegistry::remove(uint32_t pid, uint32_t key) {
  std::lock_guard lock(mu_);
  sessions_.erase(pack(pid, key));
}

std::shared_ptr<ClientSession> CancelRegistry::find(uint32_t pid, uint32_t key) const {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(pack(pid, key));
  return it == sessions_.end() ? nullptr : it->second.lock();
}

}  // namespace sluice
