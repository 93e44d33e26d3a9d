// CancelRegistry.
#include "session/cancel_registry.hpp"

#include "session/client_session.hpp"

namespace sluice {

void CancelRegistry::add(uint32_t pid, uint32_t key, ClientSession* session) {
  std::lock_guard lock(mu_);
  sessions_.put(pack(pid, key), session);
}

void CancelRegistry::remove(uint32_t pid, uint32_t key) {
  std::lock_guard lock(mu_);
  sessions_.erase(pack(pid, key));
}

std::shared_ptr<ClientSession> CancelRegistry::find(uint32_t pid, uint32_t key) const {
  std::lock_guard lock(mu_);
  ClientSession* s = sessions_.get(pack(pid, key));
  // A session being destroyed removes itself under mu_ first, so it is whole here; lock() gives
  // null once its last owner is gone.
  return s ? s->weak_from_this().lock() : nullptr;
}

}  // namespace sluice
