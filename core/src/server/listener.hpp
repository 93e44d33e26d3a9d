// Listening sockets: TCP on each listen_addr and the Unix socket <unix_socket_dir>/.s.PGSQL.<port>.
// They live on one shard's io_context (shard 0): each accepted socket is registered directly with
// the next shard round robin, so the control thread is not involved and, for a connection that
// stays on the accepting shard, no thread is woken up besides the one accepting it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/asio.hpp"

namespace sluice {

struct AcceptedConnection {
  Socket sock;     // registered with targets[shard]
  unsigned shard;  // index into the Listener's targets
  int family;      // AF_INET, AF_INET6, AF_UNIX
  std::string addr;
  uint16_t port;
};

class Listener {
 public:
  // Runs on `io`'s thread (the accepting shard's).
  using OnAccept = std::function<void(AcceptedConnection)>;
  // `io` runs the acceptors; accepted sockets go to `targets` round robin.
  Listener(asio::io_context& io, std::vector<asio::io_context*> targets, OnAccept on_accept)
      : io_(io), targets_(std::move(targets)), on_accept_(std::move(on_accept)) {}
  ~Listener();

  // Binds everything. Throws std::runtime_error naming the address that failed. listen_addr ""
  // means Unix socket only; "*" means all IPv4 and IPv6 addresses. Call before `io` runs.
  void open(const std::string& listen_addr, uint16_t port, const std::string& unix_socket_dir,
            int unix_socket_mode, int backlog);
  // From any thread: stops accepting (on the acceptors' thread, soon after the call).
  void close();
  const std::vector<std::string>& descriptions() const { return descriptions_; }

 private:
  Awaitable<void> accept_tcp(TcpAcceptor& acceptor);
  Awaitable<void> accept_unix(UnixAcceptor& acceptor);
  // The shard the next connection goes to.
  unsigned next_target() { return next_target_++ % static_cast<unsigned>(targets_.size()); }
  void close_now();

  asio::io_context& io_;
  std::vector<asio::io_context*> targets_;
  OnAccept on_accept_;
  unsigned next_target_ = 0;
  std::vector<std::unique_ptr<TcpAcceptor>> tcp_;
  std::unique_ptr<UnixAcceptor> unix_;
  std::string unix_path_;
  std::vector<std::string> descriptions_;
};

}  // namespace sluice
