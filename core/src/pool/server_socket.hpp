// A pooled server's socket as an event loop knows it. Registering a descriptor with a shard's
// epoll (and making Asio's socket non-blocking) costs three system calls, so a server keeps its
// socket registered with the shard that used it last while it idles in the pool: when that shard
// takes it again (the common case, the pool prefers it), linking costs no system call. Another
// shard takes the descriptor over (it is deregistered there and registered here).
#pragma once

#include <memory>

#include "pool/server_connection.hpp"
#include "server/asio.hpp"

namespace sluice {

class Shard;

// An idle server can outlive the shard its socket is registered with (at shutdown the shards'
// loops go first; a retired pool may be freed by a session of another shard): once the shard's
// `alive` token has expired, the descriptor is closed without touching the dead loop. So `fd` is
// kept here too, and the socket is never closed through Asio while it is registered (a broken
// server is shut down, then closed when the ServerConnection goes).
struct ServerSocket {
  ServerSocket(asio::io_context& loop, std::weak_ptr<const void> token)
      : io(&loop), alive(std::move(token)) {
    new (&sock) Socket(loop);
  }
  ServerSocket(const ServerSocket&) = delete;
  ServerSocket& operator=(const ServerSocket&) = delete;
  ~ServerSocket();
  asio::io_context* io;  // the loop `sock` is registered with
  std::weak_ptr<const void> alive;
  int fd = -1;  // the descriptor `sock` holds; -1 once released
  union {
    Socket sock;
  };
};

// The server's socket, registered with `shard`'s loop and non-blocking: kept as it is when it
// already belongs there, else made from the server's bare descriptor or moved over from another
// shard. Throws boost::system::system_error when the descriptor cannot be registered.
Socket& server_socket_on(ServerConnection& server, Shard& shard);

}  // namespace sluice
