// pool_session: the client keeps its server whatever ReadyForQuery says; reset on release.
#include <gtest/gtest.h>

#include "plugin_path.hpp"
#include "sluice/testing/fake_host.hpp"

namespace sluice::testing {
namespace {

TEST(PoolSession, keeps_the_server_at_every_ready_for_query) {
  FakeHost host;
  const FakePluginHandle plugin = host.load(plugin_path("pool_session"));
  EXPECT_EQ(plugin.name(), "pool_session");
  const sluice_pool_mode_vtable* mode = plugin.pool_mode("session");
  ASSERT_NE(mode, nullptr);
  for (const char status : {'I', 'T', 'E'}) {
    const PoolDecision d = ready_for_query(mode, status);
    EXPECT_EQ(d.status, SLUICE_OK) << status;
    EXPECT_EQ(d.action, SLUICE_POOL_KEEP) << status;
  }
  EXPECT_EQ(ready_for_query(mode, 'I', 3, true).action, SLUICE_POOL_KEEP);
}

TEST(PoolSession, asks_for_server_reset_query_on_release) {
  FakeHost host;
  const sluice_pool_mode_vtable* mode = host.load(plugin_path("pool_session")).pool_mode("session");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->flags, SLUICE_POOL_FLAG_RESET_ON_RELEASE);
}

TEST(PoolSession, provides_nothing_else) {
  FakeHost host;
  const FakePluginHandle plugin = host.load(plugin_path("pool_session"));
  EXPECT_EQ(plugin.extensions().size(), 1u);
  EXPECT_EQ(plugin.pool_mode("transaction"), nullptr);
}

}  // namespace
}  // namespace sluice::testing
