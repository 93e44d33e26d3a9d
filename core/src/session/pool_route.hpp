// Which pool serves a database entry for a user, and with what settings: the precedence rules of
// reference §2 ([users] > [databases] > [pgbouncer]). Used at login and again on RELOAD, where a
// pool whose identity is unchanged takes the new sizes and timeouts.
#pragma once

#include <string>

#include "config/database_entry.hpp"
#include "pool/pool_settings.hpp"
#include "server/daemon_context.hpp"

namespace sluice {

struct PoolRoute {
  PoolSettings settings;  // settings.pool_mode is null if no loaded plugin provides the mode
  int max_db_connections = 0;
  int max_user_connections = 0;
};

PoolRoute route_pool(const RuntimeConfig& rt, const config::DatabaseEntry& entry,
                     const std::string& login_user);

// Single fields of route_pool's settings, by the same rules, for a login whose pool already exists
// (building the whole PoolSettings copies a dozen strings):
// settings.user: the entry's forced user, else the login user.
const std::string& route_server_user(const config::DatabaseEntry& entry,
                                     const std::string& login_user);
// settings.password: the entry's password, else the userlist's for `server_user`; null if none.
const std::string* route_password(const RuntimeConfig& rt, const config::DatabaseEntry& entry,
                                  const std::string& server_user);

// The entry serving client-side database `name`: its own, else "*" adapted to it; false if none.
// `*autodb` (optional) tells whether it came from "*".
bool find_database_entry(const config::Config& cfg, const std::string& name,
                         config::DatabaseEntry* out, bool* autodb = nullptr);

// Same server, same login, same pool mode: a pool built from `a` can take `b`'s limits.
bool same_pool_identity(const PoolSettings& a, const PoolSettings& b);

}  // namespace sluice
