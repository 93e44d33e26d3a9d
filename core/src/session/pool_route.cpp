// Pool routing.
#include "session/pool_route.hpp"

#include "plugin/registry.hpp"

namespace sluice {

const std::string& route_server_user(const config::DatabaseEntry& entry,
                                     const std::string& login_user) {
  return entry.user.empty() ? login_user : entry.user;
}

const std::string* route_password(const RuntimeConfig& rt, const config::DatabaseEntry& entry,
                                  const std::string& server_user) {
  if (!entry.password.empty()) return &entry.password;
  if (auto u = rt.userlist->find(server_user); u != rt.userlist->end()) return &u->second;
  return nullptr;
}

namespace {

// settings.pool_mode_name: the [users] line's, else the entry's, else [pgbouncer]'s pool_mode.
// `user_entry` is the login user's [users] line, or null.
const std::string& route_pool_mode_name(const RuntimeConfig& rt, const config::DatabaseEntry& entry,
                                        const config::UserEntry* user_entry) {
  if (user_entry && !user_entry->pool_mode.empty()) return user_entry->pool_mode;
  if (!entry.pool_mode.empty()) return entry.pool_mode;
  return rt.pool_defaults.pool_mode;
}

}  // namespace

PoolRoute route_pool(const RuntimeConfig& rt, const config::DatabaseEntry& entry,
                     const std::string& login_user) {
  const config::Config& cfg = *rt.config;
  const RuntimeConfig::PoolDefaults& d = rt.pool_defaults;
  const config::UserEntry* user_entry = nullptr;
  if (auto ue = cfg.users().find(login_user); ue != cfg.users().end()) user_entry = &ue->second;
  PoolRoute r;
  PoolSettings& s = r.settings;
  s.database = entry.name;
  s.user = route_server_user(entry, login_user);
  if (const std::string* password = route_password(rt, entry, s.user)) s.password = *password;
  s.host = entry.host;
  s.unix_socket_dir = d.unix_socket_dir;
  s.port = static_cast<uint16_t>(entry.port);
  s.dbname = entry.dbname.empty() ? entry.name : entry.dbname;
  for (const auto& p : entry.startup_params) s.startup_params.push_back(p);
  s.connect_query = entry.connect_query;
  s.pool_size = d.pool_size;
  if (entry.pool_size >= 0) s.pool_size = entry.pool_size;
  if (user_entry && user_entry->pool_size >= 0) s.pool_size = user_entry->pool_size;
  s.min_pool_size = entry.min_pool_size >= 0 ? entry.min_pool_size : d.min_pool_size;
  s.reserve_pool_size = d.reserve_pool_size;
  if (entry.reserve_pool_size >= 0) s.reserve_pool_size = entry.reserve_pool_size;
  if (user_entry && user_entry->reserve_pool_size >= 0)
    s.reserve_pool_size = user_entry->reserve_pool_size;
  s.reserve_pool_timeout = d.reserve_pool_timeout;
  s.forced_user = !entry.user.empty();
  s.autodb = entry.name != "*" && cfg.find_database(entry.name) == nullptr;
  s.round_robin = d.round_robin;
  s.balance_hosts = entry.load_balance_hosts != "disable";
  s.login_retry = d.login_retry;
  s.tcp = rt.tcp;
  s.tls = rt.server_tls;
  s.tls_required = rt.server_tls_required;
  s.tls_verify_host = rt.server_tls_verify_host;
  s.tls_id = rt.server_tls_id;
  s.connect_timeout = d.connect_timeout;
  s.idle_timeout = d.idle_timeout;
  s.lifetime = entry.server_lifetime >= 0 ? entry.server_lifetime : d.lifetime;
  s.max_packet_size = d.max_packet_size;
  s.pool_mode_name = route_pool_mode_name(rt, entry, user_entry);
  s.pool_mode = rt.plugins->pool_mode(s.pool_mode_name);
  r.max_db_connections =
      entry.max_db_connections >= 0 ? entry.max_db_connections : d.max_db_connections;
  r.max_user_connections = d.max_user_connections;
  if (user_entry && user_entry->max_user_connections >= 0)
    r.max_user_connections = user_entry->max_user_connections;
  return r;
}

bool find_database_entry(const config::Config& cfg, const std::string& name,
                         config::DatabaseEntry* out, bool* autodb) {
  if (autodb) *autodb = false;
  if (const config::DatabaseEntry* e = cfg.find_database(name)) {
    *out = *e;
    return true;
  }
  if (autodb) *autodb = true;
  auto star = cfg.databases().find("*");
  if (star == cfg.databases().end()) return false;
  *out = star->second;
  out->name = name;
  if (out->dbname.empty()) out->dbname = name;
  return true;
}

bool same_pool_identity(const PoolSettings& a, const PoolSettings& b) {
  return a.database == b.database && a.user == b.user && a.password == b.password &&
         a.host == b.host && a.unix_socket_dir == b.unix_socket_dir && a.port == b.port &&
         a.dbname == b.dbname && a.startup_params == b.startup_params &&
         a.connect_query == b.connect_query && a.pool_mode_name == b.pool_mode_name &&
         a.balance_hosts == b.balance_hosts && a.forced_user == b.forced_user &&
         a.tls_id == b.tls_id;
}

}  // namespace sluice
