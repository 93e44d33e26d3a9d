// TCP socket options.
#include "server/tcp_options.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "config/config.hpp"

namespace sluice {

TcpOptions tcp_options_from(const config::Config& cfg) {
  TcpOptions o;
  o.keepalive = cfg.boolean("tcp_keepalive");
  o.keepcnt = static_cast<int>(cfg.integer("tcp_keepcnt"));
  o.keepidle = static_cast<int>(cfg.integer("tcp_keepidle"));
  o.keepintvl = static_cast<int>(cfg.integer("tcp_keepintvl"));
  o.user_timeout = static_cast<int>(cfg.integer("tcp_user_timeout"));
  o.socket_buffer = static_cast<int>(cfg.integer("tcp_socket_buffer"));
  return o;
}

int apply_tcp_options(int fd, const TcpOptions& o) {
  int failed = 0;
  auto set = [&](int level, int name, int value) {
    if (::setsockopt(fd, level, name, &value, sizeof value) != 0) ++failed;
  };
  set(IPPROTO_TCP, TCP_NODELAY, 1);
  set(SOL_SOCKET, SO_KEEPALIVE, o.keepalive ? 1 : 0);
  if (o.keepalive) {
    if (o.keepcnt > 0) set(IPPROTO_TCP, TCP_KEEPCNT, o.keepcnt);
    if (o.keepidle > 0) set(IPPROTO_TCP, TCP_KEEPIDLE, o.keepidle);
    if (o.keepintvl > 0) set(IPPROTO_TCP, TCP_KEEPINTVL, o.keepintvl);
  }
  if (o.user_timeout > 0) set(IPPROTO_TCP, TCP_USER_TIMEOUT, o.user_timeout);
  if (o.socket_buffer > 0) {
    set(SOL_SOCKET, SO_SNDBUF, o.socket_buffer);
    set(SOL_SOCKET, SO_RCVBUF, o.socket_buffer);
  }
  return failed;
}

}  // namespace sluice
