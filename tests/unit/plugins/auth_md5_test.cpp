// auth_md5: the MD5 challenge/response against plaintext and md5 secrets, wrong and empty
// passwords, unknown users (full mock exchange) and SCRAM secrets.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "plugin_path.hpp"
#include "sluice/sdk.hpp"
#include "sluice/testing/fake_host.hpp"

namespace sluice::testing {
namespace {

constexpr std::array<uint8_t, 4> kSalt = {1, 2, 3, 4};

// What libpq sends (fe-auth.c pg_password_sendauth): "md5" + md5hex(md5hex(password+user) + salt).
std::string client_response(std::string_view password, std::string_view user,
                            std::span<const uint8_t> salt) {
  std::string inner_input(password);
  inner_input.append(user);
  std::string outer = sdk::Host::to_hex(crypto::md5(sdk::Host::as_bytes(inner_input)));
  outer.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  return "md5" + sdk::Host::to_hex(crypto::md5(sdk::Host::as_bytes(outer)));
}

class AuthMd5 : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin_ = host_.load(plugin_path("auth_md5"));
    host_.queue_random(kSalt);
  }
  std::unique_ptr<AuthDriver> driver(std::optional<std::string> secret,
                                     std::string user = "alice") {
    AuthRequest req;
    req.user = std::move(user);
    req.secret = std::move(secret);
    return plugin_.auth("md5", req);
  }
  // Begins, checks the AuthenticationMD5Password challenge, answers with `response`.
  AuthStep exchange(AuthDriver& d, std::string_view response) {
    const AuthStep challenge = d.begin();
    EXPECT_TRUE(challenge.is_continue());
    EXPECT_EQ(challenge.message_type, 'R');
    EXPECT_EQ(challenge.auth_code(), 5);  // AuthenticationMD5Password
    EXPECT_EQ(challenge.payload,
              (std::vector<uint8_t>{0, 0, 0, 5, kSalt[0], kSalt[1], kSalt[2], kSalt[3]}));
    return d.send_password(response);
  }

  FakeHost host_;
  FakePluginHandle plugin_;
};

TEST_F(AuthMd5, accepts_the_right_password_against_a_plaintext_secret) {
  auto d = driver("secret");
  EXPECT_TRUE(exchange(*d, client_response("secret", "alice", kSalt)).is_ok());
}

TEST_F(AuthMd5, accepts_the_right_password_against_an_md5_secret) {
  // "md5" + md5hex("secret" + "alice"), as PostgreSQL stores it in pg_authid.
  auto d = driver("md54a0a68b43b6cd5cf266fa02f196e2371");
  EXPECT_TRUE(exchange(*d, client_response("secret", "alice", kSalt)).is_ok());
}

TEST_F(AuthMd5, accepts_a_published_vector) {
  // Computed independently (Python hashlib) for password "secret", user "alice", salt 01020304.
  auto d = driver("secret");
  EXPECT_TRUE(exchange(*d, "md598a0412b9c31436fc53776e863350083").is_ok());
}

TEST_F(AuthMd5, accepts_an_md5_secret_in_upper_case_hex) {
  auto d = driver("md54A0A68B43B6CD5CF266FA02F196E2371");
  EXPECT_TRUE(exchange(*d, client_response("secret", "alice", kSalt)).is_ok());
}

TEST_F(AuthMd5, refuses_a_wrong_password) {
  auto d = driver("secret");
  const AuthStep r = exchange(*d, client_response("Secret", "alice", kSalt));
  EXPECT_TRUE(r.is_fail());
  EXPECT_EQ(r.error_message, "password authentication failed");
  EXPECT_EQ(r.error_sqlstate, "28P01");
}

TEST_F(AuthMd5, refuses_a_response_salted_for_another_user) {
  auto d = driver("secret", "bob");
  EXPECT_TRUE(exchange(*d, client_response("secret", "alice", kSalt)).is_fail());
}

TEST_F(AuthMd5, runs_a_full_mock_exchange_for_an_unknown_user_then_refuses) {
  auto d = driver(std::nullopt);
  const AuthStep r = exchange(*d, client_response("secret", "alice", kSalt));
  EXPECT_TRUE(r.is_fail());
  EXPECT_EQ(r.error_message, "password authentication failed");
  EXPECT_EQ(r.error_sqlstate, "28P01");
}

TEST_F(AuthMd5, refuses_an_empty_stored_password) {
  auto d = driver("");
  const AuthStep r = exchange(*d, client_response("", "alice", kSalt));
  EXPECT_TRUE(r.is_fail());
  EXPECT_EQ(r.error_message, "password authentication failed");
}

TEST_F(AuthMd5, refuses_an_empty_response) {
  auto d = driver("secret");
  const AuthStep r = exchange(*d, "");
  EXPECT_TRUE(r.is_fail());
  EXPECT_EQ(r.error_sqlstate, "28P01");
}

TEST_F(AuthMd5, switches_to_scram_for_a_scram_secret_and_logs_an_invalid_one) {
  // A valid verifier is covered in auth_scram_test.cpp; an unparsable one still gets the SCRAM
  // exchange (on a mock verifier, so it fails) and a log line naming the user.
  auto d = driver("SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy");
  EXPECT_EQ(d->begin().auth_code(), 10);  // AuthenticationSASL instead of MD5
  EXPECT_TRUE(host_.has_log("user \"alice\" has an invalid SCRAM secret"));
}

TEST_F(AuthMd5, rejects_a_password_packet_without_terminator_as_protocol_violation) {
  auto d = driver("secret");
  d->begin();
  const std::string resp = client_response("secret", "alice", kSalt);  // no trailing NUL
  const AuthStep r = d->step('p', sdk::Host::as_bytes(resp));
  EXPECT_TRUE(r.is_fail());
  EXPECT_EQ(r.error_sqlstate, "08P01");
}

TEST_F(AuthMd5, rejects_an_unexpected_message_type) {
  auto d = driver("secret");
  d->begin();
  const uint8_t body[] = {0};
  const AuthStep r = d->step('Q', body);
  EXPECT_TRUE(r.is_fail());
  EXPECT_EQ(r.error_sqlstate, "08P01");
}

TEST_F(AuthMd5, uses_a_fresh_salt_from_the_host_for_each_login) {
  auto first = driver("secret");
  const AuthStep a = first->begin();  // queued salt 01020304
  auto second = driver("secret");
  const AuthStep b = second->begin();  // the fake host's deterministic stream
  EXPECT_NE(a.payload, b.payload);
}

}  // namespace
}  // namespace sluice::testing
