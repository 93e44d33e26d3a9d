// The client sessions living on one shard, as an intrusive list: the shard's janitor visits them
// (timeouts) without any allocation or lock, since every member is touched only by its shard's
// thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

struct RuntimeConfig;
struct SocketRow;

// What one janitor pass hands every session: the time and the current configuration.
struct JanitorTick {
  std::chrono::steady_clock::time_point now;
  const RuntimeConfig* runtime = nullptr;
};

class ShardMember;
// What a member does, defined by the one kind of member there is, ClientSession
// (session/client_relay.cpp): a call through these costs no vtable pointer in every member, and
// every connected client is one.
void shard_member_on_janitor(ShardMember& m, const JanitorTick& tick);
void shard_member_describe(const ShardMember& m, std::vector<SocketRow>& clients,
                           std::vector<SocketRow>& servers);
bool shard_member_admin_kill(ShardMember& m, const std::string& database, uint64_t id);

class ShardMember {
 public:
  // Checks the member's timeouts; may start closing it but must not destroy it synchronously.
  void on_janitor(const JanitorTick& tick) { shard_member_on_janitor(*this, tick); }
  // SHOW CLIENTS / SHOW SERVERS: appends the member's client row and its linked server's row.
  void describe(std::vector<SocketRow>& clients, std::vector<SocketRow>& servers) const {
    shard_member_describe(*this, clients, servers);
  }
  // KILL / KILL_CLIENT: ends the member if it is client `id` (id != 0), else if it is a
  // non-console client of `database` ("" = any). Returns whether it did.
  bool admin_kill(const std::string& database, uint64_t id) {
    return shard_member_admin_kill(*this, database, id);
  }

 protected:
  ShardMember() = default;
  ~ShardMember() = default;
  ShardMember(const ShardMember&) = delete;
  ShardMember& operator=(const ShardMember&) = delete;

 private:
  friend class SessionList;
  ShardMember* prev_ = nullptr;
  ShardMember* next_ = nullptr;
};

class SessionList {
 public:
  void add(ShardMember* m) {
    m->prev_ = nullptr;
    m->next_ = head_;
    if (head_) head_->prev_ = m;
    head_ = m;
    ++size_;
  }
  void remove(ShardMember* m) {
    if (m->prev_) {
      m->prev_->next_ = m->next_;
    } else if (head_ == m) {
      head_ = m->next_;
    }
    if (m->next_) m->next_->prev_ = m->prev_;
    m->prev_ = m->next_ = nullptr;
    --size_;
  }
  template <typename F>
  void for_each(F&& f) {
    for (ShardMember* m = head_; m;) {
      ShardMember* next = m->next_;  // f may unlink nothing, but stay safe if it does
      f(*m);
      m = next;
    }
  }
  size_t size() const { return size_; }

 private:
  ShardMember* head_ = nullptr;
  size_t size_ = 0;
};

}  // namespace sluice
