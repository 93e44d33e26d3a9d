// Every [pgbouncer] key of PgBouncer 1.25 with its default and reloadability (reference §1.1-1.9),
// plus sluice's own keys (plugins, plugin_dir, workers).
#include "config/param_table.hpp"

#include <algorithm>
#include <array>

namespace sluice::config {
namespace {

// Small constexpr builder so each table row reads as one line.
struct Def {
  ParamDef d;
  constexpr Def(std::string_view name, ParamType type, std::string_view def)
      : d{name, type, def, true, false} {}
  constexpr Def no_reload() const {
    Def c = *this;
    c.d.reloadable = false;
    return c;
  }
  constexpr Def null_default() const {
    Def c = *this;
    c.d.has_null_default = true;
    return c;
  }
  constexpr Def range(long long lo, long long hi) const {
    Def c = *this;
    c.d.min_value = lo;
    c.d.max_value = hi;
    return c;
  }
  constexpr Def one_of(std::string_view values) const {
    Def c = *this;
    c.d.enum_values = values;
    return c;
  }
  constexpr Def or_plugin_name() const {
    Def c = *this;
    c.d.plugin_names = true;
    return c;
  }
  constexpr Def alias_of(std::string_view target) const {
    Def c = *this;
    c.d.alias_of = target;
    return c;
  }
  constexpr Def extension() const {
    Def c = *this;
    c.d.sluice_extension = true;
    return c;
  }
  constexpr operator ParamDef() const { return d; }  // NOLINT(google-explicit-constructor)
};

constexpr Def str(std::string_view n, std::string_view def) {
  return {n, ParamType::String, def};
}
constexpr Def num(std::string_view n, std::string_view def) {
  return {n, ParamType::Int, def};
}
constexpr Def flag(std::string_view n, std::string_view def) {
  return {n, ParamType::Bool, def};
}
constexpr Def secs(std::string_view n, std::string_view def) {
  return {n, ParamType::Time, def};
}
constexpr Def choice(std::string_view n, std::string_view def) {
  return {n, ParamType::Enum, def};
}
constexpr Def list(std::string_view n, std::string_view def) {
  return {n, ParamType::List, def};
}

constexpr std::string_view kSslModes = "disable allow prefer require verify-ca verify-full";

// Default auth_query since PgBouncer 1.24.1 (honours VALID UNTIL, reference §1.6).
constexpr std::string_view kDefaultAuthQuery =
    "SELECT rolname, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword END "
    "FROM pg_authid WHERE rolname=$1 AND rolcanlogin";

constexpr std::array kParams = std::to_array<ParamDef>({
    list("admin_users", ""),
    flag("application_name_add_host", "0"),
    str("auth_dbname", "").null_default(),
    str("auth_file", "").null_default(),
    str("auth_hba_file", ""),
    str("auth_ident_file", "").null_default(),
    str("auth_ldap_options", "").null_default(),
    str("auth_query", kDefaultAuthQuery),
    choice("auth_type", "md5")
        .one_of("any trust plain md5 scram-sha-256 cert hba ldap pam")
        .or_plugin_name(),
    str("auth_user", "").null_default(),
    secs("autodb_idle_timeout", "3600"),
    secs("cancel_wait_timeout", "10"),
    secs("client_idle_timeout", "0"),
    secs("client_login_timeout", "60"),
    str("client_tls13_ciphers", "").null_default(),
    str("client_tls_ca_file", ""),
    str("client_tls_cert_file", ""),
    str("client_tls_ciphers", "default"),
    choice("client_tls_dheparams", "auto").one_of("none auto legacy"),
    str("client_tls_ecdhcurve", "auto"),
    str("client_tls_key_file", ""),
    str("client_tls_protocols", "secure"),
    choice("client_tls_sslmode", "disable").one_of(kSslModes),
    str("conffile", "").null_default(),
    num("default_pool_size", "20"),
    flag("disable_pqexec", "0").no_reload(),
    secs("dns_max_ttl", "15"),
    secs("dns_nxdomain_ttl", "15"),
    secs("dns_zone_check_period", "0"),
    secs("idle_transaction_timeout", "0"),
    list("ignore_startup_parameters", ""),
    str("job_name", "pgbouncer").no_reload(),
    list("listen_addr", "").no_reload(),
    num("listen_backlog", "128").no_reload(),
    num("listen_port", "6432").no_reload().range(0, 65535),
    flag("log_connections", "1"),
    flag("log_disconnections", "1"),
    flag("log_pooler_errors", "1"),
    flag("log_stats", "1"),
    str("logfile", ""),
    num("max_client_conn", "100"),
    num("max_db_client_connections", "0"),
    num("max_db_connections", "0"),
    num("max_packet_size", "2147483647").range(0, 4294967295LL),  // unsigned int in PgBouncer
    num("max_prepared_statements", "200"),
    num("max_user_client_connections", "0"),
    num("max_user_connections", "0"),
    num("min_pool_size", "0"),
    num("peer_id", "0").range(0, 16383),  // docs: max 16383 (2 bytes of the cancel key)
    str("pidfile", "").no_reload(),
    num("pkt_buf", "4096").no_reload(),
    str("plugin_dir", "").no_reload().extension(),
    list("plugins", "").no_reload().extension(),
    choice("pool_mode", "session").one_of("session transaction statement").or_plugin_name(),
    // metrics_prometheus plugin (docs/metrics.md): port 0 = exporter off; both are re-read by the
    // exporter's own thread, so RELOAD moves the listener without a restart.
    str("prometheus_listen_addr", "127.0.0.1").extension(),
    num("prometheus_port", "0").range(0, 65535).extension(),
    secs("query_timeout", "0"),
    num("query_wait_notify", "5"),  // integer seconds (1.25)
    secs("query_wait_timeout", "120"),
    num("reserve_pool_size", "0"),
    secs("reserve_pool_timeout", "5"),
    str("resolv_conf", "").no_reload(),
    num("sbuf_loopcnt", "5"),
    num("scram_iterations", "4096").range(1, INT_MAX),
    secs("server_check_delay", "30"),
    str("server_check_query", "<empty>"),
    secs("server_connect_timeout", "15"),
    flag("server_fast_close", "0"),
    secs("server_idle_timeout", "600"),
    secs("server_lifetime", "3600"),
    secs("server_login_retry", "15"),
    str("server_reset_query", "DISCARD ALL"),
    flag("server_reset_query_always", "0"),
    flag("server_round_robin", "0"),
    str("server_tls13_ciphers", "").null_default(),
    str("server_tls_ca_file", ""),
    str("server_tls_cert_file", ""),
    str("server_tls_ciphers", "default"),
    str("server_tls_key_file", ""),
    str("server_tls_protocols", "secure"),
    choice("server_tls_sslmode", "prefer").one_of(kSslModes),
    str("service_name", "").null_default().no_reload().alias_of("job_name"),
    flag("so_reuseport", "0").no_reload(),
    num("stats_period", "60"),
    list("stats_users", ""),
    secs("suspend_timeout", "10"),
    flag("syslog", "0"),
    choice("syslog_facility", "daemon")
        .one_of(
            "auth authpriv daemon user local0 local1 local2 local3 local4 local5 local6 local7"),
    str("syslog_ident", "pgbouncer"),
    num("tcp_defer_accept", "1"),  // PgBouncer: 1 on Linux (0 elsewhere); any non-zero enables
    flag("tcp_keepalive", "1"),
    num("tcp_keepcnt", "0"),
    num("tcp_keepidle", "0"),
    num("tcp_keepintvl", "0"),
    num("tcp_socket_buffer", "0"),
    num("tcp_user_timeout", "0"),  // milliseconds (Linux TCP_USER_TIMEOUT)
    list("track_extra_parameters", "IntervalStyle").no_reload(),
    secs("transaction_timeout", "0"),
    str("unix_socket_dir", "/tmp").no_reload(),
    str("unix_socket_group", "").no_reload(),
    num("unix_socket_mode", "0777").no_reload().range(0, 07777),
    str("user", "").null_default().no_reload(),
    num("verbose", "0").null_default(),
    num("workers", "0").no_reload().range(0, 1024).extension(),
});

constexpr bool table_is_sorted() {
  for (std::size_t i = 1; i < kParams.size(); ++i) {
    if (!(kParams[i - 1].name < kParams[i].name)) return false;
  }
  return true;
}
static_assert(table_is_sorted(), "param table must stay alphabetical (SHOW CONFIG order)");

}  // namespace

std::span<const ParamDef> param_table() {
  return kParams;
}

const ParamDef* find_param(std::string_view name) {
  auto it = std::lower_bound(kParams.begin(), kParams.end(), name,
                             [](const ParamDef& p, std::string_view n) { return p.name < n; });
  if (it == kParams.end() || it->name != name) return nullptr;
  return &*it;
}

std::size_t param_index(const ParamDef& def) {
  return static_cast<std::size_t>(&def - kParams.data());
}

std::string_view param_type_name(ParamType type) {
  switch (type) {
    case ParamType::String:
      return "string";
    case ParamType::Int:
      return "integer";
    case ParamType::Bool:
      return "boolean";
    case ParamType::Time:
      return "seconds";
    case ParamType::Enum:
      return "enum";
    case ParamType::List:
      return "list";
  }
  return "?";
}

}  // namespace sluice::config
