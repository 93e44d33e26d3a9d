// Listening sockets: TCP on each listen_addr and the Unix socket <unix_socket_dir>/.s.PGSQL.<port>.
// Accepts on the control thread and hands each connection to a shard, round robin.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/asio.hpp"

namespace sluice {

struct AcceptedConnection {
  int fd;
  int family;  // AF_INET, AF_INET6, AF_UNIX
  std::string addr;
  uint16_t port;
};

class Listener {
 public:
  using OnAccept = std::function<void(AcceptedConnection)>;
  Listener(asio::io_context& io, OnAccept on_accept) : io_(io), on_accept_(std::move(on_accept)) {}
  ~Listener();

  // Binds everything. Throws std::runtime_error naming the address that failed. listen_addr ""
  // means Unix socket only; "*" means all IPv4 and IPv6 addresses.
  void open(const std::string& listen_addr, uint16_t port, const std::string& unix_socket_dir,
            int unix_socket_mode, int backlog);
  void close();
  const std::vector<std::string>& descriptions() const { return descriptions_; }

 private:
  Awaitable<void> accept_tcp(asio::ip::tcp::acceptor& acceptor);
  Awaitable<void> accept_unix(asio::local::stream_protocol::acceptor& acceptor);

  asio::io_context& io_;
  OnAccept on_accept_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> tcp_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> unix_;
  std::string unix_path_;
  std::vector<std::string> descriptions_;
};

}  // namespace sluice
