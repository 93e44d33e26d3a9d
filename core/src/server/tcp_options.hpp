// PgBouncer's TCP socket options (tcp_keepalive, tcp_keepcnt, tcp_keepidle, tcp_keepintvl,
// tcp_user_timeout, tcp_socket_buffer), applied to every client and server TCP socket.
#pragma once

namespace sluice {
namespace config {
class Config;
}

struct TcpOptions {
  bool keepalive = true;
  int keepcnt = 0;        // 0 = the OS default
  int keepidle = 0;       // seconds
  int keepintvl = 0;      // seconds
  int user_timeout = 0;   // milliseconds (Linux TCP_USER_TIMEOUT)
  int socket_buffer = 0;  // SO_SNDBUF/SO_RCVBUF bytes, 0 = the OS default
};

TcpOptions tcp_options_from(const config::Config& cfg);

// Sets TCP_NODELAY and the options on a connected TCP socket. Failures are ignored, as in
// PgBouncer (the options are tuning, not correctness); returns the number of failed calls.
int apply_tcp_options(int fd, const TcpOptions& options);

}  // namespace sluice
