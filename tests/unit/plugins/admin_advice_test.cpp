// admin_advice: the real .so through the FakeHost. The rules have their own tests
// (advice_rules_test.cpp); these check what the plugin feeds them from list()/config_get(), its
// columns, the max_connections argument, and a SHOW POOLS-style refusal of a bad argument.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plugin_path.hpp"
#include "sluice/sdk.hpp"
#include "sluice/testing/fake_host.hpp"

namespace sluice::testing {
namespace {

class AdminAdvice : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin_ = host_.load(plugin_path("admin_advice"));
    host_.set_config("default_pool_size", "1");
    host_.set_config("reserve_pool_size", "0");
    host_.set_config("max_client_conn", "200");
    host_.set_config("max_db_connections", "0");
    sluice_database_info app{};
    app.name = "app";
    app.pool_size = 1;
    sluice_database_info admin{};
    admin.name = "pgbouncer";
    admin.pool_size = 2;
    host_.set_list<sluice_database_info>(SLUICE_LIST_DATABASES, {admin, app});
    sluice_pool_info pool{};
    pool.database = "app";
    pool.user = "alice";
    pool.cl_active = 1;
    pool.cl_waiting = 2;
    pool.sv_active = 1;
    pool.maxwait_us = 1'500'000;
    host_.set_list<sluice_pool_info>(SLUICE_LIST_POOLS, {pool});
  }

  AdminResult run(std::optional<std::string> argument) {
    AdminDriver::Request r;
    r.command = argument ? "SHOW ADVICE " + *argument : "SHOW ADVICE";
    r.argument = argument;
    return plugin_.admin("SHOW ADVICE", r);
  }

  FakeHost host_;
  FakePluginHandle plugin_;
};

TEST_F(AdminAdvice, answers_one_text_row_per_recommendation) {
  const AdminResult r = run("100");
  ASSERT_FALSE(r.is_error()) << r.error_message;
  EXPECT_EQ(r.column_names(), (std::vector<std::string>{"database", "user", "severity", "setting",
                                                        "current", "suggested", "reason"}));
  for (const auto& c : r.columns) EXPECT_EQ(c.type_oid, 25u) << c.name;
  EXPECT_EQ(r.command_tag, std::optional<std::string>("SHOW"));
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.cell(0, "database"), "app");
  EXPECT_EQ(r.cell(0, "user"), "alice");
  EXPECT_EQ(r.cell(0, "severity"), "warning");
  EXPECT_EQ(r.cell(0, "setting"), "default_pool_size");
  EXPECT_EQ(r.cell(0, "current"), "1");
  EXPECT_EQ(r.cell(0, "suggested"), "3");
}

TEST_F(AdminAdvice, without_max_connections_says_it_is_unknown) {
  const AdminResult r = run(std::nullopt);
  ASSERT_FALSE(r.is_error()) << r.error_message;
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.cell(1, "setting"), "max_db_connections");
  EXPECT_EQ(r.cell(1, "severity"), "info");
  EXPECT_NE(r.cell(1, "reason").find("not known"), std::string::npos);
}

TEST_F(AdminAdvice, small_max_connections_is_flagged) {
  // app may open (1 + 0) x 1 pool = 1 server; PostgreSQL 3 leaves 0 after the reserved 3.
  const AdminResult r = run("3");
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.cell(1, "setting"), "max_db_connections");
  EXPECT_EQ(r.cell(1, "severity"), "warning");
}

TEST_F(AdminAdvice, refuses_a_non_numeric_argument) {
  const AdminResult r = run("lots");
  EXPECT_TRUE(r.is_error());
  EXPECT_EQ(r.error_sqlstate, "08P01");
  EXPECT_EQ(r.error_message,
            "SHOW ADVICE: the argument is PostgreSQL's max_connections, a positive integer");
}

}  // namespace
}  // namespace sluice::testing
