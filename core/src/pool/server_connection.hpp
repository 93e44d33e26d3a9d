// A logged-in server connection as the pool holds it: a raw socket descriptor plus what the login
// taught us. While a client uses it, the descriptor is wrapped in a socket on the client's shard;
// between uses it belongs to no event loop, which lets any shard pick it up (one logical pool).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sluice {

// Where to send a CancelRequest for this server: a fresh connection to the same address.
struct ServerAddress {
  int family = 0;    // AF_INET, AF_INET6 or AF_UNIX
  std::string host;  // IP text, or the socket path for AF_UNIX
  uint16_t port = 0;
  std::string display() const;
};

using ParamList = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup/update in a ParamList (PostgreSQL GUC names are case-insensitive).
const std::string* find_param(const ParamList& params, std::string_view name);
void set_param(ParamList& params, std::string_view name, std::string_view value);

struct ServerConnection {
  ServerConnection() = default;
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;
  ~ServerConnection();

  int fd = -1;
  ServerAddress address;
  uint32_t backend_pid = 0;
  uint32_t backend_key = 0;
  ParamList params;  // current ParameterStatus values reported by the server
  std::chrono::steady_clock::time_point connected_at{};
  std::chrono::steady_clock::time_point last_used{};
  uint64_t id = 0;
  bool close_needed = false;

  // Sends Terminate (best effort, non-blocking) and closes the descriptor.
  void terminate();
};

}  // namespace sluice
