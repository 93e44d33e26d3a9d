// [databases] lines: connection-string keys, quoting, "*", empty value, reserved name (§2.1).
#include <gtest/gtest.h>

#include "config/config_error.hpp"
#include "config/database_entry.hpp"
#include "test_support.hpp"

namespace sluice::config {
namespace {

using test::parse;

TEST(DatabaseEntry, parses_every_connection_key) {
  auto db = parse_database_entry(
      "mydb",
      "host=127.0.0.1 port=5433 dbname=app user=u password=p auth_user=au "
      "auth_query='SELECT usename, passwd FROM pg_shadow WHERE usename=$1' auth_dbname=authdb "
      "pool_size=10 min_pool_size=2 reserve_pool_size=3 max_db_connections=50 "
      "max_db_client_connections=500 server_lifetime=1800 pool_mode=Transaction "
      "load_balance_hosts=disable connect_query='SET x = 1' client_encoding=UTF8 "
      "datestyle=ISO timezone=UTC application_name=app1",
      "s.ini", 7);
  EXPECT_EQ(db.name, "mydb");
  EXPECT_EQ(db.host, "127.0.0.1");
  EXPECT_EQ(db.port, 5433);
  EXPECT_EQ(db.dbname, "app");
  EXPECT_EQ(db.user, "u");
  EXPECT_EQ(db.password, "p");
  EXPECT_EQ(db.auth_user, "au");
  EXPECT_EQ(db.auth_query, "SELECT usename, passwd FROM pg_shadow WHERE usename=$1");
  EXPECT_EQ(db.auth_dbname, "authdb");
  EXPECT_EQ(db.pool_size, 10);
  EXPECT_EQ(db.min_pool_size, 2);
  EXPECT_EQ(db.reserve_pool_size, 3);
  EXPECT_EQ(db.max_db_connections, 50);
  EXPECT_EQ(db.max_db_client_connections, 500);
  EXPECT_EQ(db.server_lifetime, 1800);
  EXPECT_EQ(db.pool_mode, "transaction");
  EXPECT_EQ(db.load_balance_hosts, "disable");
  EXPECT_EQ(db.connect_query, "SET x = 1");
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(db.startup_params, (std::vector<P>{{"client_encoding", "UTF8"},
                                               {"datestyle", "ISO"},
                                               {"timezone", "UTC"},
                                               {"application_name", "app1"}}));
  EXPECT_EQ(db.file, "s.ini");
  EXPECT_EQ(db.line, 7);
}

TEST(DatabaseEntry, unset_fields_inherit) {
  auto db = parse_database_entry("foo", "host=h", "s.ini", 1);
  EXPECT_EQ(db.port, 5432);
  EXPECT_EQ(db.dbname, "");
  EXPECT_EQ(db.pool_size, -1);
  EXPECT_EQ(db.min_pool_size, -1);
  EXPECT_EQ(db.reserve_pool_size, -1);
  EXPECT_EQ(db.max_db_connections, -1);
  EXPECT_EQ(db.max_db_client_connections, -1);
  EXPECT_EQ(db.server_lifetime, -1);
  EXPECT_EQ(db.pool_mode, "");
  EXPECT_TRUE(db.startup_params.empty());
}

TEST(DatabaseEntry, quoted_values_support_doubled_quote_escape_and_spaces) {
  auto db = parse_database_entry("foo", "password='it''s a secret'  connect_query = 'SELECT 1'",
                                 "s.ini", 1);
  EXPECT_EQ(db.password, "it's a secret");
  EXPECT_EQ(db.connect_query, "SELECT 1");
}

TEST(DatabaseEntry, reserve_pool_is_accepted_as_old_alias) {
  EXPECT_EQ(parse_database_entry("foo", "reserve_pool=4", "s.ini", 1).reserve_pool_size, 4);
}

TEST(DatabaseEntry, empty_value_means_local_unix_socket) {
  Config c = parse("[databases]\nfoodb =\n");
  const DatabaseEntry* db = c.find_database("foodb");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->host, "");
  EXPECT_EQ(db->port, 5432);
  EXPECT_EQ(db->dbname, "");
}

TEST(DatabaseEntry, star_fallback_entry_is_stored_under_star) {
  Config c = parse("[databases]\n* = host=db.internal port=5433\n");
  ASSERT_EQ(c.databases().count("*"), 1u);
  EXPECT_EQ(c.databases().at("*").host, "db.internal");
  EXPECT_EQ(c.find_database("other"), nullptr);  // the daemon applies the fallback
}

TEST(DatabaseEntry, quoted_database_names_may_hold_any_character) {
  Config c = parse("[databases]\n\"my db\" = dbname='my db'\nplain_Name1 = host=h\n");
  ASSERT_NE(c.find_database("my db"), nullptr);
  EXPECT_EQ(c.find_database("my db")->dbname, "my db");
  EXPECT_NE(c.find_database("plain_Name1"), nullptr);
}

TEST(DatabaseEntry, rejects_unquoted_name_with_odd_characters) {
  EXPECT_THROW(parse("[databases]\nmy$db = host=h\n"), ConfigError);
}

TEST(DatabaseEntry, rejects_reserved_pgbouncer_name) {
  try {
    parse("[databases]\npgbouncer = host=h\n");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.key(), "pgbouncer");
    EXPECT_NE(e.message().find("reserved"), std::string::npos);
  }
}

TEST(DatabaseEntry, rejects_unknown_parameter_naming_file_line_and_database) {
  try {
    parse("[databases]\n\nappdb = host=h sslmode=require\n");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "test.ini");
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.key(), "appdb");
    EXPECT_EQ(e.message(), "unrecognized connection parameter: sslmode");
    EXPECT_STREQ(e.what(), "test.ini:3: appdb: unrecognized connection parameter: sslmode");
  }
}

TEST(DatabaseEntry, rejects_bad_values) {
  EXPECT_THROW(parse_database_entry("d", "port=0", "s.ini", 1), ConfigError);
  EXPECT_THROW(parse_database_entry("d", "port=abc", "s.ini", 1), ConfigError);
  EXPECT_THROW(parse_database_entry("d", "port=70000", "s.ini", 1), ConfigError);
  EXPECT_THROW(parse_database_entry("d", "pool_size=-1", "s.ini", 1), ConfigError);
  EXPECT_THROW(parse_database_entry("d", "pool_mode=sometimes", "s.ini", 1), ConfigError);
  EXPECT_THROW(parse_database_entry("d", "load_balance_hosts=random", "s.ini", 1), ConfigError);
  EXPECT_THROW(parse_database_entry("d", "auth_dbname=pgbouncer", "s.ini", 1), ConfigError);
}

TEST(DatabaseEntry, rejects_connection_string_syntax_errors) {
  EXPECT_THROW(parse_database_entry("d", "host", "s.ini", 1), ConfigError);
  EXPECT_THROW(parse_database_entry("d", "password='open", "s.ini", 1), ConfigError);
  EXPECT_THROW(parse_database_entry("d", "=x", "s.ini", 1), ConfigError);
}

TEST(DatabaseEntry, later_line_for_same_name_replaces_earlier) {
  Config c = parse("[databases]\nfoo = host=a\nfoo = host=b\n");
  EXPECT_EQ(c.find_database("foo")->host, "b");
  EXPECT_EQ(c.find_database("foo")->line, 3);
}

TEST(DatabaseEntry, unix_socket_directory_host_and_multi_host_are_kept_verbatim) {
  EXPECT_EQ(parse_database_entry("d", "host=/var/run/postgresql", "s", 1).host,
            "/var/run/postgresql");
  EXPECT_EQ(parse_database_entry("d", "host=h1,h2 port=5432", "s", 1).host, "h1,h2");
}

}  // namespace
}  // namespace sluice::config
