// Config snapshot: defaults, typed accessors, raw() printing, errors, %include via load_config.
#include <stdexcept>

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "test_support.hpp"

namespace sluice::config {
namespace {

using test::fake_env;
using test::parse;
using test::TempDir;

TEST(Config, defaults_match_the_reference) {
  Config c;
  EXPECT_EQ(c.integer("listen_port"), 6432);
  EXPECT_EQ(c.str("listen_addr"), "");
  EXPECT_EQ(c.str("unix_socket_dir"), "/tmp");
  EXPECT_EQ(c.integer("unix_socket_mode"), 0777);
  EXPECT_EQ(c.str("pool_mode"), "session");
  EXPECT_EQ(c.integer("max_client_conn"), 100);
  EXPECT_EQ(c.integer("default_pool_size"), 20);
  EXPECT_EQ(c.integer("min_pool_size"), 0);
  EXPECT_EQ(c.integer("reserve_pool_size"), 0);
  EXPECT_DOUBLE_EQ(c.seconds("reserve_pool_timeout"), 5);
  EXPECT_EQ(c.str("server_reset_query"), "DISCARD ALL");
  EXPECT_EQ(c.str("server_check_query"), "<empty>");
  EXPECT_DOUBLE_EQ(c.seconds("server_check_delay"), 30);
  EXPECT_DOUBLE_EQ(c.seconds("server_lifetime"), 3600);
  EXPECT_DOUBLE_EQ(c.seconds("server_idle_timeout"), 600);
  EXPECT_DOUBLE_EQ(c.seconds("server_connect_timeout"), 15);
  EXPECT_DOUBLE_EQ(c.seconds("server_login_retry"), 15);
  EXPECT_DOUBLE_EQ(c.seconds("client_login_timeout"), 60);
  EXPECT_DOUBLE_EQ(c.seconds("query_wait_timeout"), 120);
  EXPECT_DOUBLE_EQ(c.seconds("cancel_wait_timeout"), 10);
  EXPECT_DOUBLE_EQ(c.seconds("suspend_timeout"), 10);
  EXPECT_EQ(c.integer("query_wait_notify"), 5);
  EXPECT_EQ(c.integer("stats_period"), 60);
  EXPECT_EQ(c.integer("max_prepared_statements"), 200);
  EXPECT_EQ(c.integer("scram_iterations"), 4096);
  EXPECT_EQ(c.str("track_extra_parameters"), "IntervalStyle");
  EXPECT_EQ(c.str("auth_type"), "md5");
  EXPECT_EQ(c.str("client_tls_sslmode"), "disable");
  EXPECT_EQ(c.str("server_tls_sslmode"), "prefer");
  EXPECT_EQ(c.str("client_tls_protocols"), "secure");
  EXPECT_EQ(c.str("client_tls_ciphers"), "default");
  EXPECT_EQ(c.str("client_tls_ecdhcurve"), "auto");
  EXPECT_EQ(c.str("client_tls_dheparams"), "auto");
  EXPECT_EQ(c.str("syslog_ident"), "pgbouncer");
  EXPECT_EQ(c.str("syslog_facility"), "daemon");
  EXPECT_TRUE(c.boolean("log_connections"));
  EXPECT_TRUE(c.boolean("log_disconnections"));
  EXPECT_TRUE(c.boolean("log_pooler_errors"));
  EXPECT_TRUE(c.boolean("log_stats"));
  EXPECT_FALSE(c.boolean("so_reuseport"));
  EXPECT_EQ(c.integer("pkt_buf"), 4096);
  EXPECT_EQ(c.integer("max_packet_size"), 2147483647);
  EXPECT_EQ(c.integer("listen_backlog"), 128);
  EXPECT_EQ(c.integer("sbuf_loopcnt"), 5);
  EXPECT_TRUE(c.boolean("tcp_keepalive"));
  EXPECT_EQ(c.str("job_name"), "pgbouncer");
  EXPECT_EQ(c.integer("verbose"), 0);
  EXPECT_EQ(c.integer("workers"), 0);
  EXPECT_EQ(c.str("plugin_dir"), "");
  EXPECT_TRUE(c.plugin_list().empty());
  EXPECT_NE(c.str("auth_query").find("pg_authid"), std::string::npos);
}

TEST(Config, null_default_strings_are_unset) {
  Config c;
  EXPECT_EQ(c.raw("auth_file"), std::nullopt);
  EXPECT_EQ(c.raw("auth_user"), std::nullopt);
  EXPECT_EQ(c.raw("user"), std::nullopt);
  EXPECT_EQ(c.str("auth_file"), "");
  EXPECT_EQ(c.raw("verbose"), "0");
  EXPECT_EQ(c.raw("logfile"), "");
}

TEST(Config, raw_prints_like_show_config) {
  Config c = parse(
      "[pgbouncer]\nserver_idle_timeout = 0.5\nunix_socket_mode = 0700\nlog_stats = no\n"
      "pool_mode = TRANSACTION\nlogfile = /var/log/sluice.log\n");
  EXPECT_EQ(c.raw("server_idle_timeout"), "0.5");
  EXPECT_EQ(c.raw("server_lifetime"), "3600");
  EXPECT_EQ(c.raw("unix_socket_mode"), "448");
  EXPECT_EQ(c.raw("log_stats"), "0");
  EXPECT_EQ(c.raw("log_connections"), "1");
  EXPECT_EQ(c.raw("pool_mode"), "transaction");
  EXPECT_EQ(c.raw("logfile"), "/var/log/sluice.log");
  EXPECT_EQ(c.raw("no_such_key"), std::nullopt);
}

TEST(Config, parses_all_value_types_from_file) {
  Config c = parse(
      "[pgbouncer]\nlisten_addr = 127.0.0.1, ::1\nlisten_port = 0\nmax_client_conn = 0x100\n"
      "server_idle_timeout = 12.25\nserver_round_robin = 1\nauth_type = scram-sha-256\n"
      "admin_users = admin, ops\nplugins = auth_scram, metrics prometheus\nworkers = 4\n");
  EXPECT_EQ(c.str("listen_addr"), "127.0.0.1, ::1");
  EXPECT_EQ(c.integer("listen_port"), 0);
  EXPECT_EQ(c.integer("max_client_conn"), 256);
  EXPECT_DOUBLE_EQ(c.seconds("server_idle_timeout"), 12.25);
  EXPECT_TRUE(c.boolean("server_round_robin"));
  EXPECT_EQ(c.str("auth_type"), "scram-sha-256");
  EXPECT_EQ(c.str("admin_users"), "admin, ops");
  EXPECT_EQ(c.plugin_list(), (std::vector<std::string>{"auth_scram", "metrics", "prometheus"}));
  EXPECT_EQ(c.integer("workers"), 4);
}

TEST(Config, keys_and_sections_are_case_insensitive) {
  Config c = parse("[PgBouncer]\nMax_Client_Conn = 7\n");
  EXPECT_EQ(c.integer("max_client_conn"), 7);
  EXPECT_EQ(c.integer("MAX_CLIENT_CONN"), 7);
}

TEST(Config, rejects_unknown_key_naming_file_line_and_key) {
  try {
    parse("[pgbouncer]\n; hi\nmax_client_connections = 10\n");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "test.ini");
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.key(), "max_client_connections");
    EXPECT_STREQ(e.what(),
                 "test.ini:3: max_client_connections: unknown parameter: "
                 "pgbouncer/max_client_connections");
  }
}

TEST(Config, rejects_bad_value_naming_file_line_key_and_value) {
  try {
    parse("[pgbouncer]\nlisten_port = 6432\nmax_client_conn = lots\n");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.key(), "max_client_conn");
    EXPECT_NE(e.message().find("\"lots\""), std::string::npos);
    EXPECT_EQ(std::string(e.what()).rfind("test.ini:3: max_client_conn: invalid value \"lots\"", 0),
              0u);
  }
  EXPECT_THROW(parse("[pgbouncer]\nserver_idle_timeout = -3\n"), ConfigError);
  EXPECT_THROW(parse("[pgbouncer]\npool_mode = some times\n"), ConfigError);
  EXPECT_THROW(parse("[pgbouncer]\nauth_type = md5;trust\n"), ConfigError);
  EXPECT_THROW(parse("[pgbouncer]\nlog_connections = perhaps\n"), ConfigError);
}

// auth_type and pool_mode also take names that plugins provide; whether one does is checked once
// the plugins are loaded (check_supported), not by the parser.
TEST(Config, accepts_plugin_names_for_auth_type_and_pool_mode) {
  Config c = parse("[pgbouncer]\nauth_type = socket_trust\npool_mode = every-tx\n");
  EXPECT_EQ(c.str("auth_type"), "socket_trust");
  EXPECT_EQ(c.str("pool_mode"), "every-tx");
  EXPECT_EQ(parse("[pgbouncer]\nauth_type = MD5\n").str("auth_type"), "md5");  // still canonical
  try {
    parse("[pgbouncer]\nlog_connections = perhaps\n");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.message()).find("plugin"), std::string::npos);  // only for those two
  }
}

TEST(Config, rejects_unknown_section) {
  try {
    parse("[pgbouncer]\n[extras]\nfoo = 1\n");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.message(), "unknown section: extras");
  }
}

TEST(Config, rejects_value_before_any_section) {
  EXPECT_THROW(parse("listen_port = 1\n"), ConfigError);
}

TEST(Config, later_value_wins) {
  EXPECT_EQ(parse("[pgbouncer]\nlisten_port=1\nlisten_port=2\n").integer("listen_port"), 2);
}

TEST(Config, empty_file_gives_defaults) {
  Config c = parse("");
  EXPECT_EQ(c.integer("listen_port"), 6432);
  EXPECT_TRUE(c.databases().empty());
}

TEST(Config, typed_accessors_throw_on_unknown_key_or_wrong_type) {
  Config c;
  EXPECT_THROW(c.str("nope"), std::out_of_range);
  EXPECT_THROW(c.integer("nope"), std::out_of_range);
  EXPECT_THROW(c.seconds("nope"), std::out_of_range);
  EXPECT_THROW(c.boolean("nope"), std::out_of_range);
  EXPECT_THROW(c.integer("pool_mode"), std::invalid_argument);
  EXPECT_THROW(c.seconds("logfile"), std::invalid_argument);
  EXPECT_DOUBLE_EQ(c.seconds("stats_period"), 60);  // int seconds readable as seconds
  EXPECT_TRUE(c.boolean("tcp_defer_accept"));       // int, non-zero = on
}

TEST(Config, load_config_follows_include_and_records_conffile) {
  TempDir dir;
  dir.write("conf/databases.ini", "[databases]\nappdb = host=10.0.0.5 dbname=app\n");
  std::string main = dir.write("conf/sluice.ini",
                               "[pgbouncer]\nlisten_port = 7432\n%include databases.ini\n"
                               "[pgbouncer]\npool_mode = transaction\n");
  Config c = load_config(main, fake_env());
  EXPECT_EQ(c.conffile(), main);
  EXPECT_EQ(c.raw("conffile"), main);
  EXPECT_EQ(c.integer("listen_port"), 7432);
  EXPECT_EQ(c.str("pool_mode"), "transaction");
  ASSERT_NE(c.find_database("appdb"), nullptr);
  EXPECT_EQ(c.find_database("appdb")->file, (dir.path() / "conf/databases.ini").string());
  EXPECT_EQ(c.find_database("appdb")->line, 2);
}

TEST(Config, error_in_included_file_names_that_file) {
  TempDir dir;
  std::string inc = dir.write("inc.ini", "\nbogus_key = 1\n");
  std::string main = dir.write("main.ini", "[pgbouncer]\n%include " + inc + "\n");
  try {
    load_config(main, fake_env());
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), inc);
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.key(), "bogus_key");
  }
}

TEST(Config, missing_config_file_is_an_error) {
  EXPECT_THROW(load_config("/nonexistent/dir/sluice.ini", fake_env()), ConfigError);
}

TEST(Config, service_name_sets_job_name) {
  Config c = parse("[pgbouncer]\nservice_name = pgb-east\n");
  EXPECT_EQ(c.str("job_name"), "pgb-east");
  EXPECT_EQ(c.str("service_name"), "pgb-east");
}

TEST(Config, peers_are_stored_raw) {
  Config c = parse("[peers]\n1 = host=10.0.0.1\n2 = host=10.0.0.2 port=6433 pool_size=4\n");
  ASSERT_EQ(c.peers().size(), 2u);
  EXPECT_EQ(c.peers().at(2).connstr, "host=10.0.0.2 port=6433 pool_size=4");
  EXPECT_THROW(parse("[peers]\nzero = host=x\n"), ConfigError);
  EXPECT_THROW(parse("[peers]\n0 = host=x\n"), ConfigError);
}

TEST(Config, origin_says_where_a_value_came_from) {
  Config c = parse("[pgbouncer]\n\nlisten_port = 1\n");
  EXPECT_EQ(c.origin("listen_port"), "test.ini:3");
  EXPECT_EQ(c.origin("pool_mode"), "");
}

TEST(Config, changed_keys_lists_differences) {
  Config a = parse("[pgbouncer]\nlisten_port = 1\npool_mode = session\n");
  Config b = parse("[pgbouncer]\nlisten_port = 2\npool_mode = session\n");
  auto changed = changed_keys(a, b);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0], "listen_port");
}

}  // namespace
}  // namespace sluice::config
