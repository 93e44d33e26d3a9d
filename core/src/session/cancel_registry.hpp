// Maps the BackendKeyData the pooler gave each client to that client, so a CancelRequest arriving
// on a fresh connection (on any shard) reaches the right session.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace sluice {

class ClientSession;

class CancelRegistry {
 public:
  void add(uint32_t pid, uint32_t key, std::weak_ptr<ClientSession> session);
  void remove(uint32_t pid, uint32_t key);
  std::shared_ptr<ClientSession> find(uint32_t pid, uint32_t key) const;

 private:
  static uint64_t pack(uint32_t pid, uint32_t key) { return (uint64_t{pid} << 32) | key; }
  mutable std::mutex mu_;
  std::map<uint64_t, std::weak_ptr<ClientSession>> sessions_;
};

}  // namespace sluice
