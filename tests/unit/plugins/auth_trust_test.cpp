// auth_trust: a known user (listed in auth_file, even with an empty secret) gets in without a
// password; an unknown user is refused as PgBouncer does.
#include <gtest/gtest.h>

#include "plugin_path.hpp"
#include "sluice/testing/fake_host.hpp"

namespace sluice::testing {
namespace {

AuthStep login(std::optional<std::string> secret) {
  FakeHost host;
  const FakePluginHandle plugin = host.load(plugin_path("auth_trust"));
  AuthRequest req;
  req.secret = std::move(secret);
  const auto driver = plugin.auth("trust", req);
  return driver->begin();
}

TEST(AuthTrust, lets_a_known_user_in_without_a_password) {
  EXPECT_TRUE(login(std::string("whatever")).is_ok());
}

TEST(AuthTrust, lets_a_known_user_with_an_empty_secret_in) {
  EXPECT_TRUE(login(std::string()).is_ok());
}

TEST(AuthTrust, refuses_an_unknown_user) {
  const AuthStep step = login(std::nullopt);
  EXPECT_TRUE(step.is_fail());
  EXPECT_EQ(step.error_message, "\"trust\" authentication failed");
  EXPECT_EQ(step.error_sqlstate, "28000");
}

}  // namespace
}  // namespace sluice::testing
