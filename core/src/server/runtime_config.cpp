// RuntimeConfig construction.
#include <sys/stat.h>

#include <algorithm>

#include "plugin/registry.hpp"
#include "server/daemon_context.hpp"
#include "server/tls_context.hpp"

namespace sluice {

namespace {

// Parameters PostgreSQL reports with ParameterStatus that the pooler keeps per client and applies
// to whichever server the client gets (PgBouncer's varcache, reference §5.3).
std::vector<std::string> tracked_parameter_names(const config::Config& cfg) {
  std::vector<std::string> names{"client_encoding", "DateStyle", "TimeZone",
                                 "standard_conforming_strings", "application_name"};
  for (auto& name : config::split_list(cfg.str("track_extra_parameters"))) {
    if (std::ranges::none_of(names, [&](const auto& n) { return config::iequals(n, name); }))
      names.push_back(std::move(name));
  }
  return names;
}

std::string where(const config::Config& cfg, std::string_view key) {
  std::string origin = cfg.origin(key);
  return origin.empty() ? std::string(key) + " (default)" : std::string(key) + " (" + origin + ")";
}

void check_pool_mode(const RuntimeConfig& rt, const std::string& mode, const std::string& where) {
  if (!rt.plugins->pool_mode(mode))
    throw std::runtime_error(where + ": pool_mode " + mode +
                             " is not available: no loaded plugin provides it");
}

SessionTimeouts global_timeouts(const config::Config& cfg) {
  SessionTimeouts t;
  t.query_timeout = cfg.seconds("query_timeout");
  t.query_wait_timeout = cfg.seconds("query_wait_timeout");
  t.query_wait_notify = cfg.seconds("query_wait_notify");
  t.client_idle_timeout = cfg.seconds("client_idle_timeout");
  t.idle_transaction_timeout = cfg.seconds("idle_transaction_timeout");
  t.transaction_timeout = cfg.seconds("transaction_timeout");
  return t;
}

// A [users] value of -1 means "not set": the global one applies.
void override_with(double& target, double user_value) {
  if (user_value >= 0) target = user_value;
}

// Every rule must be one this build can run: its method's plugin loaded, map= with an ident file.
// (cert is the daemon's own; on a connection without TLS it fails at login, as in PgBouncer.)
void check_hba(const RuntimeConfig& rt) {
  const config::Config& cfg = *rt.config;
  if (!rt.hba)
    throw std::runtime_error(where(cfg, "auth_hba_file") + ": auth_type hba needs auth_hba_file");
  for (const config::HbaRule& r : rt.hba->rules()) {
    const std::string at = rt.hba->path() + ":" + std::to_string(r.line) + ": auth_hba_file: ";
    const std::string_view plugin_method = config::hba_method_auth_type(r.method);
    if (r.method != config::HbaMethod::Cert && !plugin_method.empty() &&
        !rt.plugins->auth_method(plugin_method))
      throw std::runtime_error(at + "method " + std::string(config::hba_method_name(r.method)) +
                               " is not available: no loaded plugin provides auth_type " +
                               std::string(plugin_method));
    if (!r.map.empty() && !rt.ident)
      throw std::runtime_error(at + "map=" + r.map + " needs auth_ident_file");
  }
}

}  // namespace

void check_supported(const RuntimeConfig& rt) {
  const config::Config& cfg = *rt.config;
  std::string auth_type = cfg.str("auth_type");
  // hba and cert are the daemon's own: hba picks a method per connection (check_hba), cert checks
  // the TLS client certificate the handshake verified.
  if (auth_type == "cert" && parse_ssl_mode(cfg.str("client_tls_sslmode")) < SslMode::kVerifyCa)
    throw std::runtime_error(where(cfg, "auth_type") +
                             ": auth_type cert needs client_tls_sslmode verify-ca or verify-full");
  if (auth_type != "hba" && auth_type != "cert" && !rt.plugins->auth_method(auth_type))
    throw std::runtime_error(where(cfg, "auth_type") + ": auth_type " + auth_type +
                             " is not available: no loaded plugin provides it");
  check_pool_mode(rt, cfg.str("pool_mode"), where(cfg, "pool_mode"));
  for (const auto& [name, db] : cfg.databases()) {
    std::string at = db.file + ":" + std::to_string(db.line) + ": database " + name;
    if (!db.pool_mode.empty()) check_pool_mode(rt, db.pool_mode, at);
    if (!db.host.empty() && db.host.front() == '@')
      throw std::runtime_error(at + ": abstract Unix sockets are not supported yet");
  }
  for (const auto& [name, user] : cfg.users()) {
    if (!user.pool_mode.empty())
      check_pool_mode(rt, user.pool_mode,
                      user.file + ":" + std::to_string(user.line) + ": user " + name);
  }
  if (auth_type == "hba") check_hba(rt);
  if (cfg.boolean("syslog"))
    throw std::runtime_error(where(cfg, "syslog") + ": syslog is not supported yet; use logfile");
}

std::shared_ptr<const RuntimeConfig> make_runtime(std::shared_ptr<const config::Config> config,
                                                  AuthFiles auth,
                                                  std::shared_ptr<const plugin::Registry> plugins) {
  auto rt = std::make_shared<RuntimeConfig>();
  rt->tracked_params = tracked_parameter_names(*config);
  rt->timeouts = global_timeouts(*config);
  for (const auto& [name, user] : config->users()) {
    if (user.query_timeout < 0 && user.idle_transaction_timeout < 0 &&
        user.transaction_timeout < 0 && user.client_idle_timeout < 0)
      continue;
    SessionTimeouts t = rt->timeouts;
    override_with(t.query_timeout, user.query_timeout);
    override_with(t.idle_transaction_timeout, user.idle_transaction_timeout);
    override_with(t.transaction_timeout, user.transaction_timeout);
    override_with(t.client_idle_timeout, user.client_idle_timeout);
    rt->user_timeouts.emplace(name, t);
  }
  std::string check = config->str("server_check_query");
  rt->server_check_query = check == "<empty>" ? std::string(";")
                           : check.empty()    ? std::string()
                                              : check + ";";
  rt->server_check_delay = config->seconds("server_check_delay");
  rt->max_prepared_statements = config->integer("max_prepared_statements");
  rt->server_reset_query = config->str("server_reset_query");
  rt->server_reset_query_always = config->boolean("server_reset_query_always");
  rt->tcp = tcp_options_from(*config);
  rt->max_client_conn = config->integer("max_client_conn");
  rt->client_login_timeout = config->seconds("client_login_timeout");
  rt->max_db_client_connections = static_cast<int>(config->integer("max_db_client_connections"));
  rt->max_user_client_connections =
      static_cast<int>(config->integer("max_user_client_connections"));
  rt->auth_type = config->str("auth_type");
  rt->ignore_startup_parameters = config::split_list(config->str("ignore_startup_parameters"));
  rt->log_connections = config->boolean("log_connections");
  rt->log_disconnections = config->boolean("log_disconnections");
  rt->log_pooler_errors = config->boolean("log_pooler_errors");
  RuntimeConfig::PoolDefaults& d = rt->pool_defaults;
  d.unix_socket_dir = config->str("unix_socket_dir");
  d.pool_size = static_cast<int>(config->integer("default_pool_size"));
  d.min_pool_size = static_cast<int>(config->integer("min_pool_size"));
  d.reserve_pool_size = static_cast<int>(config->integer("reserve_pool_size"));
  d.reserve_pool_timeout = config->seconds("reserve_pool_timeout");
  d.round_robin = config->boolean("server_round_robin");
  d.login_retry = config->seconds("server_login_retry");
  d.connect_timeout = config->seconds("server_connect_timeout");
  d.idle_timeout = config->seconds("server_idle_timeout");
  d.lifetime = config->seconds("server_lifetime");
  d.max_packet_size = static_cast<uint32_t>(config->integer("max_packet_size"));
  d.pool_mode = config->str("pool_mode");
  d.max_db_connections = static_cast<int>(config->integer("max_db_connections"));
  d.max_user_connections = static_cast<int>(config->integer("max_user_connections"));
  rt->client_tls = make_client_tls_context(*config);
  rt->client_tls_required = parse_ssl_mode(config->str("client_tls_sslmode")) >= SslMode::kRequire;
  rt->server_tls = make_server_tls_context(*config);
  const SslMode server_mode = parse_ssl_mode(config->str("server_tls_sslmode"));
  rt->server_tls_required = server_mode >= SslMode::kRequire;
  rt->server_tls_verify_host = server_mode == SslMode::kVerifyFull;
  for (const char* key :
       {"server_tls_sslmode", "server_tls_ca_file", "server_tls_key_file", "server_tls_cert_file",
        "server_tls_protocols", "server_tls_ciphers", "server_tls13_ciphers"}) {
    const std::string& value = config->str(key);
    rt->server_tls_id += value;
    // A file rewritten in place (a renewed certificate) counts as a change: PgBouncer applies
    // new file contents to new server connections after RELOAD.
    struct stat st {};
    if (std::string_view(key).ends_with("_file") && !value.empty() &&
        ::stat(value.c_str(), &st) == 0)
      rt->server_tls_id += ' ' + std::to_string(st.st_mtim.tv_sec) + '.' +
                           std::to_string(st.st_mtim.tv_nsec) + ' ' + std::to_string(st.st_size);
    rt->server_tls_id += '\n';
  }
  rt->config = std::move(config);
  rt->userlist = std::move(auth.userlist);
  rt->hba = std::move(auth.hba);
  rt->ident = std::move(auth.ident);
  rt->plugins = std::move(plugins);
  if (rt->plugins) rt->auth_method = rt->plugins->auth_method(rt->auth_type);
  return rt;
}

}  // namespace sluice
