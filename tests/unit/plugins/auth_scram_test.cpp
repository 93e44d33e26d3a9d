// SCRAM-SHA-256 server side (sluice/scram.hpp) and the plugins that use it: auth_scram, auth_md5
// with a SCRAM verifier, auth_plain, auth_any. The oracle is RFC 7677's example exchange and an
// independent client written here on the reference crypto of sdk/testing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plugin_path.hpp"
#include "sluice/scram.hpp"
#include "sluice/sdk.hpp"
#include "sluice/testing/fake_host.hpp"

namespace sluice::testing {
namespace {

namespace scram = sdk::scram;

// RFC 7677 section 3: user "user", password "pencil".
constexpr std::string_view kRfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kRfcServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kRfcServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kRfcClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kRfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

std::string text(const std::vector<uint8_t>& v, size_t skip = 0) {
  return {reinterpret_cast<const char*>(v.data()) + skip, v.size() - skip};
}

// SASLInitialResponse body: mechanism, NUL, Int32 length, data.
std::vector<uint8_t> initial_response(std::string_view data,
                                      std::string_view mechanism = "SCRAM-SHA-256") {
  std::vector<uint8_t> b(mechanism.begin(), mechanism.end());
  b.push_back(0);
  const auto n = static_cast<uint32_t>(data.size());
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(n >> shift));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

std::vector<uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

// An independent SCRAM client (RFC 5802 section 3) on sdk/testing's reference crypto.
struct Client {
  std::string password;
  std::string nonce = "fyko+d2lbbFgONRv9qkxdawL";
  std::string first_bare() const { return "n=,r=" + nonce; }
  std::string first() const { return "n,," + first_bare(); }
  // The final message for `server_first`, and the ServerSignature it expects.
  std::pair<std::string, std::string> final_for(const std::string& server_first) const {
    std::string r, s;
    uint32_t i = 0;
    for (size_t pos = 0; pos < server_first.size();) {
      size_t comma = server_first.find(',', pos);
      if (comma == std::string::npos) comma = server_first.size();
      const std::string attr = server_first.substr(pos, comma - pos);
      if (attr.starts_with("r=")) r = attr.substr(2);
      if (attr.starts_with("s=")) s = attr.substr(2);
      if (attr.starts_with("i=")) i = static_cast<uint32_t>(std::stoul(attr.substr(2)));
      pos = comma + 1;
    }
    const auto salt = *scram::base64_decode(s);
    const auto salted = crypto::pbkdf2_sha256(sdk::Host::as_bytes(password), salt, i);
    const auto client_key = crypto::hmac_sha256(salted, sdk::Host::as_bytes("Client Key"));
    const auto stored_key = crypto::sha256(client_key);
    const auto server_key = crypto::hmac_sha256(salted, sdk::Host::as_bytes("Server Key"));
    const std::string without_proof = "c=biws,r=" + r;
    const std::string auth = first_bare() + "," + server_first + "," + without_proof;
    const auto sig = crypto::hmac_sha256(stored_key, sdk::Host::as_bytes(auth));
    std::array<uint8_t, 32> proof{};
    for (size_t k = 0; k < 32; ++k) proof[k] = client_key[k] ^ sig[k];
    const auto server_sig = crypto::hmac_sha256(server_key, sdk::Host::as_bytes(auth));
    return {without_proof + ",p=" + scram::base64_encode(proof),
            "v=" + scram::base64_encode(server_sig)};
  }
  std::vector<uint8_t> client_key_for(std::span<const uint8_t> salt, uint32_t i) const {
    const auto salted = crypto::pbkdf2_sha256(sdk::Host::as_bytes(password), salt, i);
    const auto k = crypto::hmac_sha256(salted, sdk::Host::as_bytes("Client Key"));
    return {k.begin(), k.end()};
  }
};

// ---- sluice/scram.hpp on its own

TEST(ScramBase64, round_trips_and_is_strict) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    const std::string enc = scram::base64_encode(s);
    const auto dec = scram::base64_decode(enc);
    ASSERT_TRUE(dec.has_value()) << enc;
    EXPECT_EQ(text(*dec), s);
  }
  EXPECT_EQ(scram::base64_encode(std::string_view("foobar")), "Zm9vYmFy");  // RFC 4648 section 10
  EXPECT_EQ(scram::base64_encode(std::string_view("fo")), "Zm8=");
  EXPECT_FALSE(scram::base64_decode("Zm8").has_value());
  EXPECT_FALSE(scram::base64_decode("Z=8=").has_value());
  EXPECT_FALSE(scram::base64_decode("Zm 8").has_value());
}

class ScramRfc7677 : public ::testing::Test {
 protected:
  scram::ServerSession session() {
    const auto salt = *scram::base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    return {sdk::Host(host_.api()),
            scram::make_verifier(sdk::Host(host_.api()), "pencil", salt, 4096), false, true,
            std::string(kRfcServerNonce)};
  }
  FakeHost host_;
};

TEST_F(ScramRfc7677, reproduces_the_example_exchange) {
  scram::ServerSession s = session();
  sdk::Output out;
  s.first(out);
  ASSERT_EQ(out.result(), SLUICE_AUTH_CONTINUE);
  // AuthenticationSASL: code 10, "SCRAM-SHA-256\0\0" (no -PLUS: channel binding is not offered).
  const std::string sasl(reinterpret_cast<const char*>(out.payload().data()), out.payload().size());
  EXPECT_EQ(sasl, std::string("\0\0\0\x0aSCRAM-SHA-256\0\0", 19));

  s.step('p', initial_response(kRfcClientFirst), out);
  ASSERT_EQ(out.result(), SLUICE_AUTH_CONTINUE);
  EXPECT_EQ(text({out.payload().begin(), out.payload().end()}, 4), kRfcServerFirst);
  EXPECT_EQ(out.payload()[3], 11);  // AuthenticationSASLContinue

  s.step('p', bytes(kRfcClientFinal), out);
  ASSERT_EQ(out.result(), SLUICE_AUTH_OK) << out.error_message();
  EXPECT_EQ(out.message_type(), 'R');
  EXPECT_EQ(out.payload()[3], 12);  // AuthenticationSASLFinal
  EXPECT_EQ(text({out.payload().begin(), out.payload().end()}, 4), kRfcServerFinal);
  // Pass-through keys: the ClientKey recovered from the proof is the password's.
  ASSERT_TRUE(out.has_scram_keys());
  Client pencil{"pencil"};
  const auto salt = *scram::base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  const auto ck = pencil.client_key_for(salt, 4096);
  EXPECT_TRUE(std::equal(ck.begin(), ck.end(), out.scram_client_key().begin()));
}

TEST_F(ScramRfc7677, refuses_a_proof_changed_by_one_bit) {
  scram::ServerSession s = session();
  sdk::Output out;
  s.first(out);
  s.step('p', initial_response(kRfcClientFirst), out);
  std::string final_msg(kRfcClientFinal);
  final_msg[final_msg.size() - 3] = 'W';  // "...AndVQ=" -> "...AndWQ="
  s.step('p', bytes(final_msg), out);
  EXPECT_EQ(out.result(), SLUICE_AUTH_FAIL);
  EXPECT_EQ(out.error_message(), "SASL authentication failed");
  EXPECT_EQ(out.error_sqlstate(), "28P01");
  EXPECT_FALSE(out.has_scram_keys());
}

struct MalformedCase {
  const char* name;
  std::string first;   // client-first-message
  std::string final_;  // client-final-message ("" = stop after the first)
  const char* mechanism = "SCRAM-SHA-256";
};

class ScramMalformed : public ScramRfc7677, public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(ScramMalformed, is_refused_as_a_protocol_violation) {
  const MalformedCase& c = GetParam();
  scram::ServerSession s = session();
  sdk::Output out;
  s.first(out);
  s.step('p', initial_response(c.first, c.mechanism), out);
  if (!c.final_.empty()) {
    ASSERT_EQ(out.result(), SLUICE_AUTH_CONTINUE) << out.error_message();
    s.step('p', bytes(c.final_), out);
  }
  EXPECT_EQ(out.result(), SLUICE_AUTH_FAIL);
  EXPECT_EQ(out.error_sqlstate(), "08P01") << out.error_message();
}

const std::string kNonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
INSTANTIATE_TEST_SUITE_P(
    Cases, ScramMalformed,
    ::testing::Values(
        MalformedCase{"other_mechanism", std::string(kRfcClientFirst), "", "SCRAM-SHA-256-PLUS"},
        MalformedCase{"channel_binding", "p=tls-server-end-point,,n=,r=abc", ""},
        MalformedCase{"authzid", "n,a=admin,n=,r=abc", ""},
        MalformedCase{"bad_flag", "x,,n=,r=abc", ""},
        MalformedCase{"mandatory_extension", "n,,m=ext,n=,r=abc", ""},
        MalformedCase{"no_nonce", "n,,n=user", ""},
        MalformedCase{"comma_only_nonce", "n,,n=user,r=", ""},
        MalformedCase{"overlong_first", "n,,n=,r=" + std::string(2000, 'a'), ""},
        MalformedCase{
            "wrong_nonce", std::string(kRfcClientFirst),
            "c=biws,r=rOprNGfwEbeRWgbNEkqOXX,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="},
        MalformedCase{"wrong_channel_binding_echo", std::string(kRfcClientFirst),
                      "c=eSws,r=" + kNonce + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="},
        MalformedCase{"short_proof", std::string(kRfcClientFirst),
                      "c=biws,r=" + kNonce + ",p=AAAA"},
        MalformedCase{"no_proof", std::string(kRfcClientFirst), "c=biws,r=" + kNonce},
        MalformedCase{"overlong_final", std::string(kRfcClientFirst),
                      "c=biws,r=" + kNonce + ",x=" + std::string(2000, 'a') +
                          ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="}),
    [](const ::testing::TestParamInfo<MalformedCase>& p) { return std::string(p.param.name); });

TEST_F(ScramRfc7677, refuses_a_packet_whose_length_field_lies) {
  scram::ServerSession s = session();
  sdk::Output out;
  s.first(out);
  auto body = initial_response(kRfcClientFirst);
  body[body.size() - kRfcClientFirst.size() - 1] += 1;  // length one more than the data
  s.step('p', body, out);
  EXPECT_EQ(out.result(), SLUICE_AUTH_FAIL);
  EXPECT_EQ(out.error_sqlstate(), "08P01");
}

// ---- The plugins, loaded as .so files

class ScramPlugin : public ::testing::Test {
 protected:
  void SetUp() override { plugin_ = host_.load(plugin_path("auth_scram")); }
  std::unique_ptr<AuthDriver> driver(const FakePluginHandle& plugin, const char* method,
                                     std::optional<std::string> secret,
                                     std::string user = "alice") {
    AuthRequest req;
    req.user = std::move(user);
    req.secret = std::move(secret);
    return plugin.auth(method, req);
  }
  // Runs a whole SCRAM login with `client`; returns the last step.
  AuthStep login(AuthDriver& d, const Client& client, std::string* server_first_out = nullptr) {
    const AuthStep sasl = d.begin();
    EXPECT_EQ(sasl.auth_code(), 10);
    const AuthStep cont = d.step('p', initial_response(client.first()));
    if (!cont.is_continue()) return cont;
    EXPECT_EQ(cont.auth_code(), 11);
    const std::string server_first = text(cont.payload, 4);
    if (server_first_out) *server_first_out = server_first;
    const auto [final_msg, expected_sig] = client.final_for(server_first);
    AuthStep last = d.step('p', bytes(final_msg));
    if (last.is_ok()) {
      EXPECT_EQ(last.ok_message_type, 'R');
      EXPECT_EQ(text(last.ok_payload, 4), expected_sig);  // the server proves it knows the key
    }
    return last;
  }
  std::string verifier(std::string_view password) {
    const std::array<uint8_t, 16> salt{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
    return scram::format_verifier(
        scram::make_verifier(sdk::Host(host_.api()), password, salt, 4096));
  }

  FakeHost host_;
  FakePluginHandle plugin_;
};

TEST_F(ScramPlugin, accepts_the_right_password_against_a_verifier_and_gives_passthrough_keys) {
  auto d = driver(plugin_, "scram-sha-256", verifier("pencil"));
  const AuthStep r = login(*d, Client{"pencil"});
  ASSERT_TRUE(r.is_ok()) << r.error_message;
  const std::array<uint8_t, 16> salt{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
  EXPECT_EQ(r.scram_client_key, Client{"pencil"}.client_key_for(salt, 4096));
  EXPECT_EQ(r.scram_server_key.size(), 32u);
}

TEST_F(ScramPlugin, accepts_a_plaintext_secret_without_passthrough_keys) {
  host_.set_config("scram_iterations", "1000");
  auto d = driver(plugin_, "scram-sha-256", "pencil");
  std::string server_first;
  const AuthStep r = login(*d, Client{"pencil"}, &server_first);
  ASSERT_TRUE(r.is_ok()) << r.error_message;
  EXPECT_TRUE(server_first.ends_with(",i=1000")) << server_first;
  EXPECT_TRUE(r.scram_client_key.empty());  // servers get the plaintext password instead
}

TEST_F(ScramPlugin, refuses_a_wrong_password_with_pgbouncers_text) {
  auto d = driver(plugin_, "scram-sha-256", verifier("pencil"));
  const AuthStep r = login(*d, Client{"pencil2"});
  EXPECT_TRUE(r.is_fail());
  EXPECT_EQ(r.error_message, "SASL authentication failed");
  EXPECT_EQ(r.error_sqlstate, "28P01");
}

TEST_F(ScramPlugin, unknown_user_runs_the_whole_exchange_with_a_stable_salt_and_fails_the_same) {
  std::string first_try, second_try, other_user;
  auto d1 = driver(plugin_, "scram-sha-256", std::nullopt, "mallory");
  const AuthStep r = login(*d1, Client{"pencil"}, &first_try);
  EXPECT_TRUE(r.is_fail());
  EXPECT_EQ(r.error_message, "SASL authentication failed");
  EXPECT_EQ(r.error_sqlstate, "28P01");
  auto d2 = driver(plugin_, "scram-sha-256", std::nullopt, "mallory");
  login(*d2, Client{"pencil"}, &second_try);
  auto d3 = driver(plugin_, "scram-sha-256", std::nullopt, "trudy");
  login(*d3, Client{"pencil"}, &other_user);
  const auto salt_of = [](const std::string& sf) {
    const size_t s = sf.find(",s=");
    return sf.substr(s, sf.find(",i=") - s);
  };
  EXPECT_EQ(salt_of(first_try), salt_of(second_try));  // a real user's salt is stable too
  EXPECT_NE(salt_of(first_try), salt_of(other_user));
  EXPECT_TRUE(first_try.ends_with(",i=4096"));
}

TEST_F(ScramPlugin, cannot_use_an_md5_secret_and_says_why_in_the_log) {
  auto d = driver(plugin_, "scram-sha-256", "md54a0a68b43b6cd5cf266fa02f196e2371");
  EXPECT_TRUE(login(*d, Client{"secret"}).is_fail());
  EXPECT_TRUE(host_.has_log("md5 secret, which SCRAM authentication cannot use"));
}

TEST_F(ScramPlugin, md5_switches_to_scram_for_a_verifier) {
  FakePluginHandle md5 = host_.load(plugin_path("auth_md5"));
  auto d = driver(md5, "md5", verifier("pencil"));
  const AuthStep r = login(*d, Client{"pencil"});
  EXPECT_TRUE(r.is_ok()) << r.error_message;
  EXPECT_EQ(r.scram_client_key.size(), 32u);
  auto wrong = driver(md5, "md5", verifier("pencil"));
  EXPECT_EQ(login(*wrong, Client{"nope"}).error_message, "SASL authentication failed");
}

class PlainPlugin : public ScramPlugin {
 protected:
  void SetUp() override { plain_ = host_.load(plugin_path("auth_plain")); }
  AuthStep try_password(std::optional<std::string> secret, std::string_view password,
                        std::string user = "alice") {
    auto d = driver(plain_, "plain", std::move(secret), std::move(user));
    const AuthStep ask = d->begin();
    EXPECT_TRUE(ask.is_continue());
    EXPECT_EQ(ask.auth_code(), 3);  // AuthenticationCleartextPassword
    return d->send_password(password);
  }
  FakePluginHandle plain_;
};

TEST_F(PlainPlugin, checks_the_password_against_every_stored_form) {
  EXPECT_TRUE(try_password("secret", "secret").is_ok());
  EXPECT_TRUE(try_password("md54a0a68b43b6cd5cf266fa02f196e2371", "secret").is_ok());
  const AuthStep v = try_password(verifier("secret"), "secret");
  EXPECT_TRUE(v.is_ok());
  EXPECT_EQ(v.scram_client_key.size(), 32u);  // a verifier's keys serve pass-through
  for (const auto& secret :
       {std::string("secret"), std::string("md54a0a68b43b6cd5cf266fa02f196e2371"),
        verifier("secret")}) {
    const AuthStep r = try_password(secret, "Secret");
    EXPECT_TRUE(r.is_fail());
    EXPECT_EQ(r.error_message, "password authentication failed");
    EXPECT_EQ(r.error_sqlstate, "28P01");
  }
}

TEST_F(PlainPlugin, refuses_unknown_users_empty_passwords_and_md5_of_another_user) {
  EXPECT_EQ(try_password(std::nullopt, "secret").error_message, "password authentication failed");
  EXPECT_TRUE(try_password("", "").is_fail());
  EXPECT_TRUE(try_password("secret", "").is_fail());
  EXPECT_TRUE(try_password("md54a0a68b43b6cd5cf266fa02f196e2371", "secret", "bob").is_fail());
}

TEST(AnyPlugin, lets_everyone_in_without_a_password_request) {
  FakeHost host;
  FakePluginHandle any = host.load(plugin_path("auth_any"));
  AuthRequest req;
  req.user = "whoever";
  EXPECT_TRUE(any.auth("any", req)->begin().is_ok());
}

}  // namespace
}  // namespace sluice::testing
