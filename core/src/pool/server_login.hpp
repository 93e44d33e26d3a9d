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
};

// Connects within settings.connect_timeout, authenticates, collects ParameterStatus and
// BackendKeyData, runs connect_query. Never throws.
Awaitable<LoginResult> login_server(const PoolSettings& settings);

// Opens a socket to `settings`' server (TCP or Unix), with TCP_NODELAY. Throws on failure.
Awaitable<Socket> connect_server(const PoolSettings& settings, ServerAddress* address);

// Connects to `address` and sends a CancelRequest for (pid, key). Never throws.
Awaitable<void> send_cancel_request(ServerAddress address, uint32_t pid, uint32_t key);

}  // namespace sluice
