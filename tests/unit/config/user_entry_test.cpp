// [users] lines: per-user overrides (reference §2.2).
#include <gtest/gtest.h>

#include "config/config_error.hpp"
#include "config/user_entry.hpp"
#include "test_support.hpp"

namespace sluice::config {
namespace {

TEST(UserEntry, parses_every_user_key) {
  auto u = parse_user_entry("alice",
                            "pool_mode=statement pool_size=5 reserve_pool_size=1 "
                            "max_user_connections=20 max_user_client_connections=200 "
                            "query_timeout=30 idle_transaction_timeout=60 "
                            "transaction_timeout=120 client_idle_timeout=0.5",
                            "u.ini", 3);
  EXPECT_EQ(u.name, "alice");
  EXPECT_EQ(u.pool_mode, "statement");
  EXPECT_EQ(u.pool_size, 5);
  EXPECT_EQ(u.reserve_pool_size, 1);
  EXPECT_EQ(u.max_user_connections, 20);
  EXPECT_EQ(u.max_user_client_connections, 200);
  EXPECT_DOUBLE_EQ(u.query_timeout, 30);
  EXPECT_DOUBLE_EQ(u.idle_transaction_timeout, 60);
  EXPECT_DOUBLE_EQ(u.transaction_timeout, 120);
  EXPECT_DOUBLE_EQ(u.client_idle_timeout, 0.5);
  EXPECT_EQ(u.line, 3);
}

TEST(UserEntry, unset_fields_are_minus_one) {
  auto u = parse_user_entry("bob", "pool_mode=session", "u.ini", 1);
  EXPECT_EQ(u.pool_size, -1);
  EXPECT_EQ(u.max_user_connections, -1);
  EXPECT_DOUBLE_EQ(u.query_timeout, -1);
}

TEST(UserEntry, rejects_unknown_key_naming_user) {
  try {
    test::parse("[users]\nbob = pool_mode=session max_db_connections=3\n");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.key(), "bob");
    EXPECT_EQ(e.message(), "unrecognized user parameter: max_db_connections");
  }
}

TEST(UserEntry, rejects_bad_values) {
  EXPECT_THROW(parse_user_entry("u", "pool_mode=nope", "u.ini", 1), ConfigError);
  EXPECT_THROW(parse_user_entry("u", "pool_size=ten", "u.ini", 1), ConfigError);
  EXPECT_THROW(parse_user_entry("u", "query_timeout=-5", "u.ini", 1), ConfigError);
}

TEST(UserEntry, users_section_is_collected_by_name) {
  Config c = test::parse("[users]\nalice = pool_mode=transaction\n\"bob@corp\" = pool_size=3\n");
  ASSERT_EQ(c.users().size(), 2u);
  EXPECT_EQ(c.users().at("alice").pool_mode, "transaction");
  EXPECT_EQ(c.users().at("bob@corp").pool_size, 3);
}

}  // namespace
}  // namespace sluice::config
