// SocketRow helpers.
#include "admin/socket_row.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace sluice {

sluice_socket_info SocketRow::info() const {
  sluice_socket_info s{};
  s.struct_size = sizeof s;
  s.type = type;
  s.user = user.c_str();
  s.database = database.c_str();
  s.replication = "none";
  s.state = state.c_str();
  s.addr = addr.c_str();
  s.port = port;
  s.local_addr = local_addr.c_str();
  s.local_port = local_port;
  s.connect_time_us = connect_time_us;
  s.request_time_us = request_time_us;
  s.wait_us = wait_us;
  s.close_needed = close_needed;
  s.ptr = ptr;
  s.link = link;
  s.remote_pid = remote_pid;
  s.tls = tls.c_str();
  s.application_name = application_name.c_str();
  s.prepared_statements = prepared_statements;
  s.id = id;
  return s;
}

int64_t wall_us(std::chrono::steady_clock::time_point t) {
  if (t == std::chrono::steady_clock::time_point{}) return 0;
  auto age = std::chrono::steady_clock::now() - t;
  auto wall = std::chrono::system_clock::now() -
              std::chrono::duration_cast<std::chrono::system_clock::duration>(age);
  return std::chrono::duration_cast<std::chrono::microseconds>(wall.time_since_epoch()).count();
}

void local_address(int fd, std::string* addr, int32_t* port) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  *addr = "";
  *port = 0;
  if (fd < 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return;
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    *addr = buf;
    *port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    *addr = buf;
    *port = ntohs(a->sin6_port);
  } else {
    *addr = "unix";
  }
}

}  // namespace sluice
