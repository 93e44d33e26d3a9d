// Shard thread lifecycle.
#include "server/shard.hpp"

#include <spdlog/spdlog.h>

namespace sluice {

void Shard::start() {
  thread_ = std::thread([this] {
    try {
      io_.run();
    } catch (const std::exception& e) {
      spdlog::critical("shard {} stopped by an exception: {}", index_, e.what());
      std::abort();
    }
  });
}

void Shard::stop(bool force) {
  guard_.reset();
  if (force) io_.stop();
}

void Shard::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace sluice
