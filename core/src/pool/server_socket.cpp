// ServerSocket: moving a server's descriptor between event loops only when it changes shard.
#include "pool/server_socket.hpp"

#include "server/shard.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace sluice {

ServerSocket::~ServerSocket() {
  if (alive.expired()) {
    // The loop is gone (or going): Asio's socket must not reach it. Closing the descriptor also
    // takes it out of the epoll set.
    if (fd >= 0) ::close(fd);
    return;
  }
  sock.~Socket();
}

void ServerSocketDeleter::operator()(ServerSocket* s) const {
  delete s;  // NOLINT(cppcoreguidelines-owning-memory): the unique_ptr's deleter
}

int ServerConnection::native_fd() const {
  return socket ? socket->fd : fd;
}

int ServerConnection::release_fd() {
  if (!socket) return std::exchange(fd, -1);
  int released = std::exchange(socket->fd, -1);
  if (released >= 0 && !socket->alive.expired()) {
    // Taken out of the loop's epoll set; a dead loop had nothing left to take it out of.
    boost::system::error_code ec;
    socket->sock.release(ec);
    // Asio fails only for a socket it already closed: the number may belong to someone else now.
    if (ec) released = -1;
  }
  socket.reset();
  return released;
}

Socket& server_socket_on(ServerConnection& server, Shard& shard) {
  asio::io_context& io = shard.io();
  if (server.socket && server.socket->io == &io) return server.socket->sock;
  const int family = server.address.family;
  const int fd = server.release_fd();
  std::unique_ptr<ServerSocket, ServerSocketDeleter> s(new ServerSocket(io, shard.alive()));
  boost::system::error_code ec;
  s->sock.assign(asio::generic::stream_protocol(family, family == AF_UNIX ? 0 : IPPROTO_TCP), fd,
                 ec);
  if (ec) {
    if (fd >= 0) ::close(fd);
    throw boost::system::system_error(ec);
  }
  s->fd = fd;
  s->sock.non_blocking(true, ec);
  server.socket = std::move(s);
  return server.socket->sock;
}

}  // namespace sluice
