// The parameter table against reference §1 (keys, order, reloadability, defaults).
#include <algorithm>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "config/param_table.hpp"

namespace sluice::config {
namespace {

// Every [pgbouncer] key of the reference tables §1.1-1.9 that PgBouncer 1.25 knows ([master]-only
// login_notify_message and pool_idle_timeout are deliberately absent).
const std::set<std::string> kReferenceKeys = {
    // §1.1
    "logfile",
    "pidfile",
    "listen_addr",
    "listen_port",
    "unix_socket_dir",
    "unix_socket_mode",
    "unix_socket_group",
    "user",
    "pool_mode",
    "max_client_conn",
    "application_name_add_host",
    "conffile",
    "service_name",
    "job_name",
    "stats_period",
    "disable_pqexec",
    "peer_id",
    "max_prepared_statements",
    "scram_iterations",
    "track_extra_parameters",
    "ignore_startup_parameters",
    "verbose",
    // §1.2
    "default_pool_size",
    "min_pool_size",
    "reserve_pool_size",
    "reserve_pool_timeout",
    "max_db_connections",
    "max_db_client_connections",
    "max_user_connections",
    "max_user_client_connections",
    "server_round_robin",
    // §1.3
    "server_reset_query",
    "server_reset_query_always",
    "server_check_delay",
    "server_check_query",
    "server_fast_close",
    "server_lifetime",
    "server_idle_timeout",
    "server_connect_timeout",
    "server_login_retry",
    "client_login_timeout",
    "autodb_idle_timeout",
    "dns_max_ttl",
    "dns_nxdomain_ttl",
    "dns_zone_check_period",
    "resolv_conf",
    "query_wait_notify",
    "query_timeout",
    "query_wait_timeout",
    "cancel_wait_timeout",
    "client_idle_timeout",
    "idle_transaction_timeout",
    "transaction_timeout",
    "suspend_timeout",
    // §1.4
    "client_tls_sslmode",
    "client_tls_key_file",
    "client_tls_cert_file",
    "client_tls_ca_file",
    "client_tls_protocols",
    "client_tls_ciphers",
    "client_tls13_ciphers",
    "client_tls_ecdhcurve",
    "client_tls_dheparams",
    // §1.5
    "server_tls_sslmode",
    "server_tls_ca_file",
    "server_tls_key_file",
    "server_tls_cert_file",
    "server_tls_protocols",
    "server_tls_ciphers",
    "server_tls13_ciphers",
    // §1.6
    "auth_type",
    "auth_file",
    "auth_hba_file",
    "auth_ident_file",
    "auth_user",
    "auth_query",
    "auth_dbname",
    "auth_ldap_options",
    // §1.7
    "syslog",
    "syslog_ident",
    "syslog_facility",
    "log_connections",
    "log_disconnections",
    "log_pooler_errors",
    "log_stats",
    // §1.8
    "admin_users",
    "stats_users",
    // §1.9
    "pkt_buf",
    "max_packet_size",
    "listen_backlog",
    "sbuf_loopcnt",
    "so_reuseport",
    "tcp_defer_accept",
    "tcp_socket_buffer",
    "tcp_keepalive",
    "tcp_keepcnt",
    "tcp_keepidle",
    "tcp_keepintvl",
    "tcp_user_timeout",
};

// prometheus_*: the metrics_prometheus plugin's listener (docs/metrics.md), reloadable.
const std::set<std::string> kSluiceKeys = {"plugins", "plugin_dir", "workers",
                                           "prometheus_listen_addr", "prometheus_port"};

// Reference §1 "No-reload keys".
const std::set<std::string> kNoReloadKeys = {
    "disable_pqexec", "job_name", "service_name", "listen_addr", "listen_backlog", "listen_port",
    "pidfile", "pkt_buf", "resolv_conf", "so_reuseport", "track_extra_parameters",
    "unix_socket_dir", "unix_socket_group", "unix_socket_mode", "user",
    // sluice: plugins are loaded once and never unloaded; workers are started once.
    "plugins", "plugin_dir", "workers"};

TEST(ParamTable, contains_every_pgbouncer_1_25_key_from_the_reference) {
  for (const auto& key : kReferenceKeys) {
    const ParamDef* def = find_param(key);
    ASSERT_NE(def, nullptr) << key;
    EXPECT_FALSE(def->sluice_extension) << key;
  }
}

TEST(ParamTable, contains_only_reference_keys_and_sluice_extensions) {
  for (const ParamDef& def : param_table()) {
    std::string name(def.name);
    bool known = kReferenceKeys.count(name) || kSluiceKeys.count(name);
    EXPECT_TRUE(known) << name;
    EXPECT_EQ(def.sluice_extension, kSluiceKeys.count(name) == 1) << name;
  }
  EXPECT_EQ(param_table().size(), kReferenceKeys.size() + kSluiceKeys.size());
}

TEST(ParamTable, is_alphabetical_like_show_config) {
  auto t = param_table();
  EXPECT_TRUE(std::is_sorted(t.begin(), t.end(),
                             [](const ParamDef& a, const ParamDef& b) { return a.name < b.name; }));
}

TEST(ParamTable, reloadability_matches_reference_no_reload_list) {
  for (const ParamDef& def : param_table()) {
    EXPECT_EQ(def.reloadable, kNoReloadKeys.count(std::string(def.name)) == 0) << def.name;
  }
}

TEST(ParamTable, null_defaults_match_show_config) {
  const std::set<std::string> null_default = {"auth_dbname",     "auth_file",
                                              "auth_ident_file", "auth_ldap_options",
                                              "auth_user",       "client_tls13_ciphers",
                                              "conffile",        "server_tls13_ciphers",
                                              "service_name",    "user",
                                              "verbose"};
  for (const ParamDef& def : param_table()) {
    EXPECT_EQ(def.has_null_default, null_default.count(std::string(def.name)) == 1) << def.name;
  }
}

TEST(ParamTable, types_follow_the_reference) {
  EXPECT_EQ(find_param("server_idle_timeout")->type, ParamType::Time);
  EXPECT_EQ(find_param("server_lifetime")->type, ParamType::Time);
  EXPECT_EQ(find_param("query_wait_timeout")->type, ParamType::Time);
  EXPECT_EQ(find_param("stats_period")->type, ParamType::Int);
  EXPECT_EQ(find_param("query_wait_notify")->type, ParamType::Int);
  EXPECT_EQ(find_param("max_client_conn")->type, ParamType::Int);
  EXPECT_EQ(find_param("log_connections")->type, ParamType::Bool);
  EXPECT_EQ(find_param("pool_mode")->type, ParamType::Enum);
  EXPECT_EQ(find_param("auth_type")->type, ParamType::Enum);
  EXPECT_EQ(find_param("client_tls_sslmode")->type, ParamType::Enum);
  EXPECT_EQ(find_param("server_tls_sslmode")->type, ParamType::Enum);
  EXPECT_EQ(find_param("syslog_facility")->type, ParamType::Enum);
  EXPECT_EQ(find_param("logfile")->type, ParamType::String);
  EXPECT_EQ(find_param("plugins")->type, ParamType::List);
}

TEST(ParamTable, find_param_returns_null_for_unknown_or_upper_case_names) {
  EXPECT_EQ(find_param("no_such_key"), nullptr);
  EXPECT_EQ(find_param("POOL_MODE"), nullptr);             // Config lower-cases; the table is exact
  EXPECT_EQ(find_param("login_notify_message"), nullptr);  // [master] only
  EXPECT_EQ(find_param("pool_idle_timeout"), nullptr);     // [master] only
}

TEST(ParamTable, service_name_is_an_alias_of_job_name) {
  EXPECT_EQ(find_param("service_name")->alias_of, "job_name");
  EXPECT_EQ(find_param("job_name")->default_value, "pgbouncer");
}

}  // namespace
}  // namespace sluice::config
