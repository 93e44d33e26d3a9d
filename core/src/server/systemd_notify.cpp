// sd_notify(3) sender; the protocol is described in systemd's sd_notify(3) man page
// ("NOTIFY_SOCKET", "READY=1", "RELOADING=1", "MONOTONIC_USEC=", "STOPPING=1").
#include "server/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace sluice::systemd {

bool notify(std::string_view state) {
  const char* env = std::getenv("NOTIFY_SOCKET");
  if (env == nullptr || env[0] == '\0') return false;
  const std::string_view name(env);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (name[0] != '/' && name[0] != '@') return false;  // only paths and abstract names are valid
  if (name.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, name.data(), name.size());
  socklen_t len = offsetof(sockaddr_un, sun_path) + name.size();
  if (name[0] == '@') {
    addr.sun_path[0] = '\0';  // abstract: no trailing NUL counted
  } else {
    len += 1;  // a path includes its terminating NUL
  }
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ssize_t sent = -1;
  do {
    sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                    reinterpret_cast<const sockaddr*>(&addr), len);
  } while (sent < 0 && errno == EINTR);
  ::close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

bool notify_ready() {
  return notify("READY=1");
}

bool notify_reloading() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const long long usec = static_cast<long long>(now.tv_sec) * 1000000LL + now.tv_nsec / 1000;
  return notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool notify_stopping() {
  return notify("STOPPING=1");
}

}  // namespace sluice::systemd
