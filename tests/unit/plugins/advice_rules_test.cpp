// The SHOW ADVICE rules (plugins/admin_advice/advice_rules.cpp), each at its threshold: the value
// that just fires it and the one that just does not.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "advice_rules.hpp"

namespace sluice::advice {
namespace {

// One database "app" with pool_size 20, reserve 8 (inside 30-50 %), one pool app/app with nothing
// to say about it: the baseline no rule fires on.
Input quiet() {
  Input in;
  in.settings.default_pool_size = 20;
  in.settings.reserve_pool_size = 8;
  in.settings.max_client_conn = 100;
  in.databases.push_back({"app", 20, 8, 0, 2});
  PoolSample p;
  p.database = "app";
  p.user = "app";
  p.cl_active = 2;
  p.sv_active = 2;
  in.pools.push_back(p);
  in.server_max_connections = 100;
  return in;
}

std::vector<Advice> about(const std::vector<Advice>& all, const std::string& setting) {
  std::vector<Advice> out;
  for (const auto& a : all)
    if (a.setting == setting) out.push_back(a);
  return out;
}

TEST(AdviceRules, quiet_pool_gets_no_advice) {
  EXPECT_TRUE(advise(quiet()).empty());
}

TEST(AdviceRules, waiting_clients_raise_default_pool_size_by_the_waiting_count) {
  Input in = quiet();
  in.pools[0].cl_waiting = 3;
  in.pools[0].sv_active = 20;
  const auto rows = advise(in);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].database, "app");
  EXPECT_EQ(rows[0].user, "app");
  EXPECT_EQ(rows[0].severity, "warning");
  EXPECT_EQ(rows[0].setting, "default_pool_size");
  EXPECT_EQ(rows[0].current, "20");
  EXPECT_EQ(rows[0].suggested, "23");
  EXPECT_NE(rows[0].reason.find("3 client(s) waiting"), std::string::npos) << rows[0].reason;
}

TEST(AdviceRules, no_waiting_client_no_raise) {
  Input in = quiet();
  in.pools[0].cl_waiting = 0;
  EXPECT_TRUE(about(advise(in), "default_pool_size").empty());
}

TEST(AdviceRules, database_own_pool_size_is_named_pool_size) {
  Input in = quiet();
  in.databases[0].pool_size = 1;
  in.databases[0].reserve_pool_size = 0;
  in.pools[0].cl_waiting = 1;
  const auto rows = about(advise(in), "pool_size");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].current, "1");
  EXPECT_EQ(rows[0].suggested, "2");
}

TEST(AdviceRules, exhausted_max_db_connections_is_the_setting_to_raise) {
  Input in = quiet();
  in.databases[0].max_connections = 5;
  in.databases[0].current_connections = 5;
  in.pools[0].cl_waiting = 2;
  const auto rows = about(advise(in), "max_db_connections");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].database, "app");
  EXPECT_EQ(rows[0].current, "5");
  EXPECT_EQ(rows[0].suggested, "7");
}

TEST(AdviceRules, maxwait_over_five_seconds_says_pool_too_small) {
  Input in = quiet();
  in.pools[0].maxwait_us = 5'000'001;
  const auto rows = about(advise(in), "default_pool_size");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].suggested, "21");
  EXPECT_NE(rows[0].reason.find("5.0 s (maxwait > 5 s)"), std::string::npos) << rows[0].reason;
}

TEST(AdviceRules, maxwait_of_exactly_five_seconds_is_fine) {
  Input in = quiet();
  in.pools[0].maxwait_us = 5'000'000;
  EXPECT_TRUE(advise(in).empty());
}

TEST(AdviceRules, idle_above_half_the_pool_shrinks_it) {
  Input in = quiet();
  in.pools[0].sv_idle = 11;  // 11 of 20
  const auto rows = about(advise(in), "default_pool_size");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].severity, "info");
  EXPECT_EQ(rows[0].suggested, "15");
}

TEST(AdviceRules, idle_at_half_the_pool_is_fine) {
  Input in = quiet();
  in.pools[0].sv_idle = 10;  // exactly half of 20
  EXPECT_TRUE(advise(in).empty());
}

TEST(AdviceRules, more_than_fifteen_idle_shrinks_even_a_big_pool) {
  Input in = quiet();
  in.settings.default_pool_size = 40;
  in.databases[0].pool_size = 40;
  in.databases[0].reserve_pool_size = 16;
  in.pools[0].sv_idle = 16;
  ASSERT_EQ(about(advise(in), "default_pool_size").size(), 1u);
  in.pools[0].sv_idle = 15;  // neither above 15 nor above half of 40
  EXPECT_TRUE(advise(in).empty());
}

TEST(AdviceRules, no_shrink_while_clients_wait) {
  Input in = quiet();
  in.pools[0].sv_idle = 12;
  in.pools[0].cl_waiting = 1;
  for (const auto& a : advise(in)) EXPECT_NE(a.severity, "info") << a.reason;
}

TEST(AdviceRules, reserve_pool_below_thirty_percent) {
  Input in = quiet();
  in.databases[0].reserve_pool_size = 5;  // below floor(0.3 * 20) = 6
  const auto rows = about(advise(in), "reserve_pool_size");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].current, "5");
  EXPECT_EQ(rows[0].suggested, "6");
  in.databases[0].reserve_pool_size = 6;
  EXPECT_TRUE(about(advise(in), "reserve_pool_size").empty());
}

TEST(AdviceRules, reserve_pool_above_fifty_percent) {
  Input in = quiet();
  in.databases[0].reserve_pool_size = 11;
  const auto rows = about(advise(in), "reserve_pool_size");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].suggested, "10");
  in.databases[0].reserve_pool_size = 10;
  EXPECT_TRUE(about(advise(in), "reserve_pool_size").empty());
}

TEST(AdviceRules, clients_near_max_client_conn) {
  Input in = quiet();
  in.pools[0].cl_active = 80;  // 80 % of 100
  const auto rows = about(advise(in), "max_client_conn");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].current, "100");
  EXPECT_EQ(rows[0].suggested, "200");
  in.pools[0].cl_active = 79;
  EXPECT_TRUE(about(advise(in), "max_client_conn").empty());
}

TEST(AdviceRules, server_connections_over_postgres_max_connections) {
  Input in = quiet();
  in.databases.push_back({"other", 20, 8, 0, 0});
  // app: (20 + 8) x 1 pool, other: (20 + 8) x 1 = 56; PostgreSQL 58 leaves 55.
  in.server_max_connections = 58;
  const auto rows = about(advise(in), "max_db_connections");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].severity, "warning");
  EXPECT_EQ(rows[0].suggested, "27");
  EXPECT_NE(rows[0].reason.find("may open 56"), std::string::npos) << rows[0].reason;
  in.server_max_connections = 59;  // leaves 56: fits exactly
  EXPECT_TRUE(about(advise(in), "max_db_connections").empty());
}

TEST(AdviceRules, max_db_connections_counts_instead_of_pool_sizes) {
  Input in = quiet();
  in.databases[0].max_connections = 10;
  in.server_max_connections = 13;  // leaves 10
  EXPECT_TRUE(about(advise(in), "max_db_connections").empty());
  in.server_max_connections = 12;
  EXPECT_EQ(about(advise(in), "max_db_connections").size(), 1u);
}

TEST(AdviceRules, unknown_postgres_max_connections_says_so) {
  Input in = quiet();
  in.server_max_connections.reset();
  const auto rows = advise(in);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].setting, "max_db_connections");
  EXPECT_EQ(rows[0].severity, "info");
  EXPECT_EQ(rows[0].suggested, "");
  EXPECT_NE(rows[0].reason.find("not known"), std::string::npos);
}

TEST(AdviceRules, admin_database_is_ignored) {
  Input in = quiet();
  in.databases.push_back({"pgbouncer", 2, 0, 0, 0});
  PoolSample admin;
  admin.database = "pgbouncer";
  admin.user = "pgbouncer";
  admin.cl_waiting = 4;
  in.pools.push_back(admin);
  EXPECT_TRUE(advise(in).empty());
}

}  // namespace
}  // namespace sluice::advice
