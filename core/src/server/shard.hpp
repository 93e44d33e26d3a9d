// A shard: one io_context driven by one thread, owning its client sessions and their I/O buffers.
#pragma once

#include <memory>
#include <optional>
#include <thread>

#include "server/asio.hpp"
#include "server/buffer_pool.hpp"
#include "server/session_list.hpp"

namespace sluice {

class Shard {
 public:
  explicit Shard(unsigned index) : index_(index), guard_(io_.get_executor()) {}
  // The token expires before the loop is destroyed (pool/server_socket.hpp).
  ~Shard() { alive_.reset(); }
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  unsigned index() const { return index_; }
  asio::io_context& io() { return io_; }
  BufferPool& buffers() { return buffers_; }
  // Sessions on this shard; touched only from the shard's thread.
  SessionList& sessions() { return sessions_; }
  // Expires when the shard's loop is about to be destroyed.
  std::weak_ptr<const void> alive() const { return alive_; }

  void start();
  // Lets the loop finish once no work is left, or stops it at once when `force`.
  void stop(bool force);
  void join();

 private:
  unsigned index_;
  // Declared before io_: sessions destroyed with io_'s pending handlers unlink themselves and
  // give their buffers back.
  SessionList sessions_;
  BufferPool buffers_;
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::thread thread_;
  std::shared_ptr<const void> alive_ = std::make_shared<int>(0);
};

}  // namespace sluice
