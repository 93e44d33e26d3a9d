// Opens a server connection and logs in (trust, cleartext, md5, SCRAM-SHA-256).
#pragma once

#include <memory>

#include "pool/pool_settings.hpp"
#include "pool/server_connection.hpp"
#include "server/asio.hpp"

namespace sluice {

struct LoginResult {
  std::unique_ptr<ServerConnection> server;  // null on failure
  ServerError error;
  bool connect_failed = false;  // failed before the server spoke (refused, unreachable, timeout)
};

// Connects within settings.connect_timeout, authenticates, collects ParameterStatus and
// BackendKeyData, runs connect_query. Never throws.
Awaitable<LoginResult> login_server(const PoolSettings& settings);

// Connects `sock` to `settings`' server (TCP or Unix), with TCP_NODELAY. Throws on failure, and
// once *timed_out is set (the caller's deadline closed the socket).
Awaitable<void> connect_server(Socket& sock, const PoolSettings& settings, ServerAddress* address,
                               const bool* timed_out);

// Connects to `address` and sends a CancelRequest for (pid, key), giving up after `timeout`
// seconds (cancel_wait_timeout; 0 = no limit). Decrements *in_flight when done. Never throws.
Awaitable<void> send_cancel_request(ServerAddress address, uint32_t pid, uint32_t key,
                                    double timeout, std::shared_ptr<std::atomic<int>> in_flight);

}  // namespace sluice
