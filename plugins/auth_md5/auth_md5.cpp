// Auth method "md5": PostgreSQL's MD5 challenge/response (protocol docs, "Message Flow" /
// AuthenticationMD5Password), as PgBouncer's auth_type = md5. The client answers the 4-byte salt
// with "md5" + md5hex(md5hex(password + user) + salt); the stored secret is either the plaintext
// password or PostgreSQL's "md5" + md5hex(password + user) (pg_md5_encrypt in
// src/common/md5_common.c). When the stored secret is a SCRAM verifier, the login switches to
// SCRAM-SHA-256 (PgBouncer does the same), so md5 clients of a SCRAM-only userlist keep working.
#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/scram.hpp"
#include "sluice/sdk.hpp"

namespace sluice::plugins {
namespace {

constexpr int32_t kAuthRequestMd5 = 5;                                  // AuthenticationMD5Password
constexpr std::string_view kFailed = "password authentication failed";  // PgBouncer's text
constexpr const char* kInvalidPassword = "28P01";
constexpr size_t kInnerLen = 32;  // md5hex(password + user)

class Md5Session final : public sdk::AuthSession {
 public:
  // `inner` is md5hex(password + user), or nullopt when no password can match: the exchange still
  // runs in full so a client cannot tell an unknown user from a wrong password.
  Md5Session(sdk::Host host, std::optional<std::string> inner)
      : host_(host), inner_(std::move(inner)) {}

  void first(sdk::Output& out) override {
    host_.random(salt_);
    out.send_auth_request(kAuthRequestMd5, salt_);
  }

  void step(uint8_t type, std::span<const uint8_t> payload, sdk::Output& out) override {
    const auto password = sdk::password_message(type, payload, out);
    if (!password) return;
    const std::string_view sent = *password;
    if (!inner_ || inner_->size() != kInnerLen || sent.empty()) {
      out.fail(std::string(kFailed), kInvalidPassword);
      return;
    }
    // "md5" + md5hex(inner + salt), built on the stack: no string allocated per login.
    std::array<uint8_t, kInnerLen + 4> salted{};
    std::copy_n(inner_->begin(), kInnerLen, salted.begin());
    std::copy(salt_.begin(), salt_.end(), salted.begin() + kInnerLen);
    const std::array<uint8_t, 16> digest = host_.md5(std::span<const uint8_t>(salted));
    static constexpr char kDigits[] = "0123456789abcdef";
    std::array<char, 3 + 2 * 16> expected{'m', 'd', '5'};
    for (size_t i = 0; i < digest.size(); ++i) {
      expected[3 + 2 * i] = kDigits[digest[i] >> 4];
      expected[3 + 2 * i + 1] = kDigits[digest[i] & 0xf];
    }
    if (sdk::constant_time_equal(sent, std::string_view(expected.data(), expected.size())))
      out.ok();
    else
      out.fail(std::string(kFailed), kInvalidPassword);
  }

 private:
  sdk::Host host_;
  std::optional<std::string> inner_;
  std::array<uint8_t, 4> salt_{};
};

class Md5Method final : public sdk::AuthMethod {
 public:
  explicit Md5Method(sdk::Host host) : host_(host), scram_(host) {}

  std::unique_ptr<sdk::AuthSession> begin(const sluice_auth_request& request) override {
    const std::string_view user = sdk::request_user(request);
    const auto secret = sdk::request_secret(request);
    std::optional<std::string> inner;
    if (!secret) {  // NOLINT(bugprone-branch-clone): each empty branch is a documented refusal
      // Unknown user: mock exchange, then fail.
    } else if (secret->empty()) {
      // An empty password never authenticates (PostgreSQL refuses empty passwords too).
    } else if (sdk::scram::is_verifier(*secret)) {
      return scram_.begin(user, secret);
    } else if (sdk::scram::Authenticator::is_md5_secret(*secret)) {
      std::string hex(secret->substr(3));
      // Hex digits only (is_md5_secret): ASCII folding, without a libc call per character.
      for (char& c : hex) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      inner = std::move(hex);
    } else {
      std::string plain(*secret);
      plain.append(user);
      inner = host_.md5_hex(plain);
    }
    return std::make_unique<Md5Session>(host_, std::move(inner));
  }

 private:
  sdk::Host host_;
  sdk::scram::Authenticator scram_;
};

void init(sdk::Registrar& registrar) {
  registrar.add_auth_method("md5", std::make_unique<Md5Method>(registrar.host()));
}

}  // namespace
}  // namespace sluice::plugins

SLUICE_PLUGIN("auth_md5", "0.1.0", sluice::plugins::init)
