// A logged-in server connection as the pool holds it: its socket plus what the login taught us.
// The socket stays registered with the event loop of the shard that used it last, and any shard
// can take it over (pool/server_socket.hpp): one logical pool.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/statement_cache.hpp"

namespace sluice {

class TlsChannel;
struct ServerSocket;  // pool/server_socket.hpp (keeps Asio out of this header)
struct ServerSocketDeleter {
  void operator()(ServerSocket* s) const;
};

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
// A 64-bit key of tracked names with their values, built with TrackedKey: equal names and values
// give equal keys. A collision (2^-64 for unrelated values) could only skip a client's own SETs.
// Eight bytes at a time (the byte-wise FNV-1a it replaces cost about 1,000 instructions per new
// client). A piece's full words go through one mixing step and its closing word (the last
// length % 8 bytes, tagged with that count) through another, so no run of data words can stand
// for a piece's end; an absent value is a closing word with a tag no piece has.
class TrackedKey {
 public:
  void add(std::string_view name, std::optional<std::string_view> value) {
    piece(name);
    if (value) {
      piece(*value);
    } else {
      close(uint64_t{0xff} << 56);  // absent: piece tails are tagged 0..7
    }
  }
  uint64_t value() const { return h_; }

 private:
  void step(uint64_t w) {
    h_ = (h_ ^ w) * 0x9e3779b97f4a7c15ULL;
    h_ ^= h_ >> 32;
  }
  void close(uint64_t w) {
    h_ = (h_ ^ w ^ 0x5bd1e9955bd1e995ULL) * 0xc2b2ae3d27d4eb4fULL;
    h_ ^= h_ >> 29;
  }
  void piece(std::string_view bytes) {
    const char* p = bytes.data();
    size_t n = bytes.size();
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      step(w);
    }
    uint64_t tail = 0;
    if (n > 0) std::memcpy(&tail, p, n);
    // n < 8. (On a big-endian machine the tag shares a byte with the data: keys never leave the
    // process, so only "equal in, equal out" matters, and that holds anywhere.)
    close(tail ^ (uint64_t{n} << 56));
  }
  uint64_t h_ = 0xcbf29ce484222325ULL;
};
// The key of `names` with their values in `params`.
uint64_t tracked_key(const ParamList& params, const std::vector<std::string>& names);

// Process-wide connection ids, shared by clients and servers (SHOW CLIENTS/SERVERS `id`).
uint64_t next_connection_id();

struct ServerConnection {
  ServerConnection() = default;
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;
  ~ServerConnection();

  // The descriptor, bare (fresh from a login: registered with no event loop), or -1 while
  // `socket` holds it registered with the event loop of the shard that used it last.
  int fd = -1;
  std::unique_ptr<ServerSocket, ServerSocketDeleter> socket;
  int native_fd() const;
  // Takes the descriptor out of any event loop and gives it to the caller (-1 if closed).
  int release_fd();
  // server_tls_*: the TLS session on `fd`, which travels with it between shards (OpenSSL does not
  // care which thread drives an SSL, one at a time). Null for plain text.
  std::unique_ptr<TlsChannel> tls;
  ServerAddress address;
  uint32_t backend_pid = 0;
  uint32_t backend_key = 0;
  ParamList params;  // current ParameterStatus values reported by the server
  // A hash of the tracked parameters' values (tracked_key), to see with one comparison that a
  // client needs no SET; recomputed when `params` changed (whoever changes them clears the flag).
  uint64_t tracked_key = 0;
  bool tracked_key_valid = false;
  std::chrono::steady_clock::time_point connected_at{};
  std::chrono::steady_clock::time_point last_used{};
  uint64_t id = 0;
  bool close_needed = false;
  uint64_t generation = 0;  // the pool's generation at login; RECONNECT retires older ones
  // Protocol-level prepared statements this backend has (transaction/statement pooling).
  protocol::ServerStatementCache statements;
  // CancelRequests sent for this backend and not finished yet. A server with one in flight is not
  // handed to another client (the cancel could hit that client's query). Created by the linked
  // session at its first cancel; the count is shared with the cancel coroutine.
  std::shared_ptr<std::atomic<int>> cancels;
  bool cancel_in_flight() const { return cancels && cancels->load(std::memory_order_acquire) > 0; }

  // An idle server has nothing to say: true when nothing is readable on the descriptor. Nobody
  // reads an idle server (no operation is pending on its socket), so a server that died while idle
  // (PostgreSQL restarted, pg_terminate_backend) is found here, with one non-blocking peek, before
  // anyone uses it.
  bool idle_and_open() const;

  // Sends Terminate (best effort, non-blocking; through TLS with close_notify when there is a TLS
  // session) and closes the descriptor.
  void terminate();
};

}  // namespace sluice
