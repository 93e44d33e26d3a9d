// PostgreSQL's SCRAM-SHA-256 verifier in the SDK (sluice/scram.hpp): parse, derive, format.
// The derivation oracle is RFC 5802's formulas on sdk/testing's reference crypto.
#include <gtest/gtest.h>

#include "sluice/scram.hpp"
#include "sluice/testing/fake_host.hpp"

namespace sluice::testing {
namespace {

using sdk::scram::base64_decode;
using sdk::scram::base64_encode;

std::vector<uint8_t> salt_of(std::string_view b64) {
  return *base64_decode(b64);
}

FakeHost& fake() {
  static FakeHost host;
  return host;
}

std::optional<sdk::scram::Verifier> parse_scram_secret(std::string_view s) {
  return sdk::scram::parse_verifier(s);
}
std::string format_scram_secret(const sdk::scram::Verifier& v) {
  return sdk::scram::format_verifier(v);
}
sdk::scram::Verifier make_scram_secret(std::string_view password, std::span<const uint8_t> salt,
                                       uint32_t iterations) {
  return sdk::scram::make_verifier(sdk::Host(fake().api()), password, salt, iterations);
}

TEST(ScramSecret, make_then_format_then_parse_round_trips) {
  const auto salt = salt_of("W22ZaJ0SNY7soEsUEjb6gQ==");
  const sdk::scram::Verifier made = make_scram_secret("pencil", salt, 4096);
  const std::string text = format_scram_secret(made);
  EXPECT_TRUE(text.starts_with("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$")) << text;
  auto parsed = parse_scram_secret(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->iterations, 4096u);
  EXPECT_EQ(parsed->salt, salt);
  EXPECT_EQ(parsed->stored_key, made.stored_key);
  EXPECT_EQ(parsed->server_key, made.server_key);
}

// The keys for the RFC 7677 example, derived here from RFC 5802's formulas with the primitives
// (which are themselves checked against published vectors in sha256_test.cpp), give the same
// verifier string as make_verifier; ScramRfc7677 in auth_scram_test.cpp ties these keys to the
// RFC's published proof and signature.
TEST(ScramSecret, derived_keys_follow_rfc_5802_formulas) {
  const auto salt = salt_of("W22ZaJ0SNY7soEsUEjb6gQ==");
  const auto salted = crypto::pbkdf2_sha256(sdk::Host::as_bytes("pencil"), salt, 4096);
  const auto stored =
      crypto::sha256(crypto::hmac_sha256(salted, sdk::Host::as_bytes("Client Key")));
  const auto server = crypto::hmac_sha256(salted, sdk::Host::as_bytes("Server Key"));
  const std::string expected = "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$" +
                               base64_encode(stored) + ":" + base64_encode(server);
  EXPECT_EQ(format_scram_secret(make_scram_secret("pencil", salt, 4096)), expected);
}

TEST(ScramSecret, parses_postgresql_formatted_secret) {
  // Shape of a pg_authid.rolpassword value: 16-byte salt, 32-byte keys.
  const std::string text =
      "SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$"
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=:"
      "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
  auto s = parse_scram_secret(text);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->iterations, 4096u);
  ASSERT_EQ(s->salt.size(), 16u);
  EXPECT_EQ(s->salt[15], 15);
  EXPECT_EQ(s->stored_key[31], 31);
  EXPECT_EQ(s->server_key[0], 32);
  EXPECT_EQ(format_scram_secret(*s), text);
}

TEST(ScramSecret, rejects_malformed_secrets) {
  const std::string keys =
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
  EXPECT_TRUE(parse_scram_secret("SCRAM-SHA-256$1:AA==$" + keys).has_value());
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-1$4096:AA==$" + keys).has_value());
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$0:AA==$" + keys).has_value());
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$-5:AA==$" + keys).has_value());
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$x:AA==$" + keys).has_value());
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$4096:$" + keys).has_value());      // empty salt
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$4096:A*==$" + keys).has_value());  // bad base64
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$4096AA==$" + keys).has_value());   // no ':'
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$4096:AA==" + keys).has_value());   // no '$'
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$4096:AA==$AAEC:" + keys.substr(keys.find(':') + 1))
                   .has_value());
  EXPECT_FALSE(parse_scram_secret("md545f2603610af569b6155c45067268c6b").has_value());
  EXPECT_FALSE(parse_scram_secret("").has_value());
}

}  // namespace
}  // namespace sluice::testing
