// Environment overrides: SLUICE_<KEY> > PGBOUNCER_<KEY> > file.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "test_support.hpp"

namespace sluice::config {
namespace {

using test::fake_env;

const char* kFile =
    "[pgbouncer]\npool_mode = session\nmax_client_conn = 50\n[databases]\nd = host=h\n";

TEST(EnvOverride, pgbouncer_variables_override_the_file) {
  Config c = parse_config(kFile, "f.ini",
                          fake_env({{"PGBOUNCER_POOL_MODE", "transaction"},
                                    {"PGBOUNCER_MAX_CLIENT_CONN", "200"},
                                    {"PGBOUNCER_DEFAULT_POOL_SIZE", "25"},
                                    {"PGBOUNCER_MIN_POOL_SIZE", "10"},
                                    {"PGBOUNCER_RESERVE_POOL_SIZE", "10"},
                                    {"PGBOUNCER_MAX_DB_CONNECTIONS", "50"},
                                    {"PGBOUNCER_SERVER_IDLE_TIMEOUT", "600"},
                                    {"PGBOUNCER_LOG_CONNECTIONS", "1"},
                                    {"PGBOUNCER_LOG_DISCONNECTIONS", "0"}}));
  EXPECT_EQ(c.str("pool_mode"), "transaction");
  EXPECT_EQ(c.integer("max_client_conn"), 200);
  EXPECT_EQ(c.integer("default_pool_size"), 25);
  EXPECT_EQ(c.integer("min_pool_size"), 10);
  EXPECT_EQ(c.integer("reserve_pool_size"), 10);
  EXPECT_EQ(c.integer("max_db_connections"), 50);
  EXPECT_DOUBLE_EQ(c.seconds("server_idle_timeout"), 600);
  EXPECT_TRUE(c.boolean("log_connections"));
  EXPECT_FALSE(c.boolean("log_disconnections"));
  EXPECT_EQ(c.origin("pool_mode"), "PGBOUNCER_POOL_MODE");
  EXPECT_NE(c.find_database("d"), nullptr);
}

TEST(EnvOverride, sluice_variable_wins_over_pgbouncer_variable_which_wins_over_file) {
  Config both = parse_config(
      kFile, "f.ini",
      fake_env({{"PGBOUNCER_MAX_CLIENT_CONN", "200"}, {"SLUICE_MAX_CLIENT_CONN", "300"}}));
  EXPECT_EQ(both.integer("max_client_conn"), 300);
  EXPECT_EQ(both.origin("max_client_conn"), "SLUICE_MAX_CLIENT_CONN");
  Config pgb = parse_config(kFile, "f.ini", fake_env({{"PGBOUNCER_MAX_CLIENT_CONN", "200"}}));
  EXPECT_EQ(pgb.integer("max_client_conn"), 200);
  Config file = parse_config(kFile, "f.ini", fake_env());
  EXPECT_EQ(file.integer("max_client_conn"), 50);
}

TEST(EnvOverride, sluice_own_keys_can_be_set_from_environment) {
  Config c =
      parse_config("", "f.ini", fake_env({{"SLUICE_WORKERS", "2"}, {"SLUICE_PLUGINS", "a,b"}}));
  EXPECT_EQ(c.integer("workers"), 2);
  EXPECT_EQ(c.plugin_list(), (std::vector<std::string>{"a", "b"}));
}

TEST(EnvOverride, empty_variable_is_ignored) {
  Config c = parse_config(kFile, "f.ini", fake_env({{"PGBOUNCER_MAX_CLIENT_CONN", ""}}));
  EXPECT_EQ(c.integer("max_client_conn"), 50);
}

TEST(EnvOverride, bad_env_value_names_the_variable_and_key) {
  try {
    parse_config(kFile, "f.ini", fake_env({{"PGBOUNCER_MAX_CLIENT_CONN", "many"}}));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "PGBOUNCER_MAX_CLIENT_CONN");
    EXPECT_EQ(e.line(), 0);
    EXPECT_EQ(e.key(), "max_client_conn");
    EXPECT_EQ(std::string(e.what()).rfind("PGBOUNCER_MAX_CLIENT_CONN: max_client_conn: invalid "
                                          "value \"many\"",
                                          0),
              0u);
  }
  EXPECT_THROW(parse_config(kFile, "f.ini", fake_env({{"SLUICE_POOL_MODE", "bogus mode"}})),
               ConfigError);
}

TEST(EnvOverride, load_config_applies_environment_after_file) {
  test::TempDir dir;
  std::string path = dir.write("s.ini", kFile);
  Config c = load_config(path, fake_env({{"PGBOUNCER_POOL_MODE", "statement"}}));
  EXPECT_EQ(c.str("pool_mode"), "statement");
}

TEST(EnvOverride, real_env_reads_the_process_environment) {
  ::setenv("SLUICE_CONFIG_TEST_VAR", "x", 1);
  EXPECT_EQ(real_env("SLUICE_CONFIG_TEST_VAR"), "x");
  ::unsetenv("SLUICE_CONFIG_TEST_VAR");
  EXPECT_EQ(real_env("SLUICE_CONFIG_TEST_VAR"), std::nullopt);
}

}  // namespace
}  // namespace sluice::config
