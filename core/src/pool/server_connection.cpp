// ServerConnection helpers.
#include "pool/server_connection.hpp"

#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

#include "server/tls_channel.hpp"

namespace sluice {

std::string ServerAddress::display() const {
  if (family == AF_UNIX) return "unix:" + host;
  if (family == AF_INET6) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

const std::string* find_param(const ParamList& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return &v;
  }
  return nullptr;
}

void set_param(ParamList& params, std::string_view name, std::string_view value) {
  for (auto& [k, v] : params) {
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) {
      v.assign(value);
      return;
    }
  }
  params.emplace_back(std::string(name), std::string(value));
}

uint64_t tracked_key(const ParamList& params, const std::vector<std::string>& names) {
  TrackedKey key;
  for (const auto& name : names) {
    const std::string* v = find_param(params, name);
    key.add(name, v ? std::optional<std::string_view>(*v) : std::nullopt);
  }
  return key.value();
}

uint64_t next_connection_id() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

bool ServerConnection::idle_and_open() const {
  const int desc = native_fd();
  if (desc < 0) return false;
  if (tls && tls->has_unread_bytes()) return false;  // TLS bytes already read: the server spoke
  char byte;
  ssize_t n = ::recv(desc, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  return false;  // EOF, or the server spoke unasked (e.g. FATAL "terminating connection")
}

ServerConnection::~ServerConnection() {
  terminate();
}

void ServerConnection::terminate() {
  const int desc = release_fd();
  if (desc < 0) {
    tls.reset();
    return;
  }
  // Terminate ('X', length 4): lets the server end the backend cleanly instead of logging EOF.
  static constexpr char kTerminate[] = {'X', 0, 0, 0, 4};
  if (tls) {
    boost::system::error_code ec;
    tls->write_some(kTerminate, sizeof kTerminate, ec);
    tls->shutdown();
    tls.reset();
  } else {
    [[maybe_unused]] auto n =
        ::send(desc, kTerminate, sizeof kTerminate, MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  ::close(desc);
}

}  // namespace sluice
