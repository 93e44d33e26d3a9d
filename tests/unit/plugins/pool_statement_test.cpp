// pool_statement: release at 'I'; an open transaction closes the client with PgBouncer's error.
#include <gtest/gtest.h>

#include "plugin_path.hpp"
#include "sluice/testing/fake_host.hpp"

namespace sluice::testing {
namespace {

TEST(PoolStatement, releases_at_idle_and_refuses_transaction_blocks) {
  FakeHost host;
  const FakePluginHandle plugin = host.load(plugin_path("pool_statement"));
  EXPECT_EQ(plugin.name(), "pool_statement");
  const sluice_pool_mode_vtable* mode = plugin.pool_mode("statement");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(ready_for_query(mode, 'I').action, SLUICE_POOL_RELEASE);
  EXPECT_EQ(ready_for_query(mode, 'I', 2).action, SLUICE_POOL_KEEP);
  for (const char status : {'T', 'E'}) {
    const PoolDecision d = ready_for_query(mode, status);
    EXPECT_EQ(d.action, SLUICE_POOL_CLOSE_CLIENT) << status;
    EXPECT_EQ(d.error_message, "transaction blocks not allowed in statement pooling mode")
        << status;
  }
}

}  // namespace
}  // namespace sluice::testing
