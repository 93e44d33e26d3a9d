// pool_transaction: the server goes back at ReadyForQuery 'I' with nothing outstanding, not in
// COPY.
#include <gtest/gtest.h>

#include "plugin_path.hpp"
#include "sluice/testing/fake_host.hpp"

namespace sluice::testing {
namespace {

TEST(PoolTransaction, releases_at_idle_ready_for_query_only) {
  FakeHost host;
  const FakePluginHandle plugin = host.load(plugin_path("pool_transaction"));
  EXPECT_EQ(plugin.name(), "pool_transaction");
  const sluice_pool_mode_vtable* mode = plugin.pool_mode("transaction");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->flags, 0u);  // no server_reset_query unless server_reset_query_always
  EXPECT_EQ(ready_for_query(mode, 'I').action, SLUICE_POOL_RELEASE);
  EXPECT_EQ(ready_for_query(mode, 'T').action, SLUICE_POOL_KEEP);
  EXPECT_EQ(ready_for_query(mode, 'E').action, SLUICE_POOL_KEEP);
}

TEST(PoolTransaction, keeps_the_server_while_requests_are_outstanding_or_copy_runs) {
  FakeHost host;
  const sluice_pool_mode_vtable* mode =
      host.load(plugin_path("pool_transaction")).pool_mode("transaction");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(ready_for_query(mode, 'I', 1).action, SLUICE_POOL_KEEP);
  EXPECT_EQ(ready_for_query(mode, 'I', 0, true).action, SLUICE_POOL_KEEP);
}

}  // namespace
}  // namespace sluice::testing
