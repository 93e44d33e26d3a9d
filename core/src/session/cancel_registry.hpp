// Maps the BackendKeyData the pooler gave each client to that client, so a CancelRequest arriving
// on a fresh connection (on any shard) reaches the right session. One entry per connected client,
// idle or not, in a flat table (session/flat_ptr_map.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "session/flat_ptr_map.hpp"

namespace sluice {

class ClientSession;

class CancelRegistry {
 public:
  // The session calls remove() in its destructor's body, before anything of it is destroyed:
  // until then find() may reach it. (pid, key) = (0, 0) is never stored.
  void add(uint32_t pid, uint32_t key, ClientSession* session);
  void remove(uint32_t pid, uint32_t key);
  // The session, if it is registered and still owned by a shared_ptr.
  std::shared_ptr<ClientSession> find(uint32_t pid, uint32_t key) const;

 private:
  static uint64_t pack(uint32_t pid, uint32_t key) { return (uint64_t{pid} << 32) | key; }
  mutable std::mutex mu_;
  FlatPtrMap<ClientSession> sessions_;
};

}  // namespace sluice
