// Everything a pool needs to open and hand out server connections for one (database, user).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "crypto/scram_client.hpp"
#include "pool/server_connection.hpp"
#include "server/tcp_options.hpp"
#include "sluice/abi.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace sluice {

struct PoolSettings {
  std::string database;  // client-side database name (the [databases] key)
  std::string user;      // user the server connections log in as
  std::string password;  // secret for the server login: plaintext, md5 or SCRAM secret
  // With a SCRAM secret: keys a client's SCRAM login recovered (pass-through), set per login.
  std::optional<crypto::ScramKeys> scram_keys;
  std::string host;  // "" => Unix socket in unix_socket_dir; "/dir" => Unix socket in dir;
                     // "a,b,..." => several hosts (load_balance_hosts)
  std::string unix_socket_dir;  // used when host is ""
  uint16_t port = 5432;
  std::string dbname;        // server-side database name
  ParamList startup_params;  // extra startup parameters from [databases]
  std::string connect_query;
  int pool_size = 20;               // 0 = unlimited
  int min_pool_size = 0;            // kept open while the pool has clients (or a forced user)
  int reserve_pool_size = 0;        // extra servers for clients queued reserve_pool_timeout or more
  double reserve_pool_timeout = 5;  // 0 disables the reserve
  bool forced_user = false;         // the [databases] entry names the server user
  bool autodb = false;              // created from the "*" entry (autodb_idle_timeout frees it)
  bool round_robin = false;         // server_round_robin: FIFO reuse of idle servers, else LIFO
  bool balance_hosts = true;  // load_balance_hosts: round-robin (true) or disable (stick to one)
  double login_retry = 15;  // server_login_retry: after a failed login, fail clients fast this long
  double connect_timeout = 15;  // server_connect_timeout, seconds
  double idle_timeout = 600;    // server_idle_timeout, 0 disables
  double lifetime = 3600;       // server_lifetime, 0 = use once
  uint32_t max_packet_size = 0x7fffffff;
  TcpOptions tcp;
  // server_tls_*: the context (nullptr = plain text), and what the mode demands.
  std::shared_ptr<ssl_ctx_st> tls;
  bool tls_required = false;     // require and above: a server answering 'N' fails the login
  bool tls_verify_host = false;  // verify-full
  std::string tls_id;            // the server_tls_* values (same_pool_identity)
  std::string pool_mode_name;    // "session", "transaction", ...
  const sluice_pool_mode_vtable* pool_mode = nullptr;
};

// An error to forward to clients: SQLSTATE and message.
struct ServerError {
  std::string sqlstate;
  std::string message;
};

}  // namespace sluice
