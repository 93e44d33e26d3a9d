// Auth method "plain": PostgreSQL's cleartext password exchange (AuthenticationCleartextPassword),
// as PgBouncer's auth_type = plain. The password is checked against whatever auth_file stores:
// plaintext, "md5" + md5hex(password + user), or a SCRAM verifier (whose keys, recomputed from the
// password, then serve SCRAM pass-through to servers). Unknown users are asked for a password too
// and get the same "password authentication failed".
#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/scram.hpp"
#include "sluice/sdk.hpp"

namespace sluice::plugins {
namespace {

constexpr int32_t kAuthRequestCleartext = 3;  // AuthenticationCleartextPassword
constexpr const char* kFailed = "password authentication failed";
constexpr const char* kInvalidPassword = "28P01";

class PlainSession final : public sdk::AuthSession {
 public:
  PlainSession(sdk::Host host, std::string user, std::optional<std::string> secret)
      : host_(host), user_(std::move(user)), secret_(std::move(secret)) {}

  void first(sdk::Output& out) override { out.send_auth_request(kAuthRequestCleartext); }

  void step(uint8_t type, std::span<const uint8_t> payload, sdk::Output& out) override {
    const auto password = sdk::password_message(type, payload, out);
    if (!password) return;
    const std::string_view sent = *password;
    if (!secret_ || secret_->empty() || sent.empty()) {
      out.fail(kFailed, kInvalidPassword);
      return;
    }
    if (sdk::scram::is_verifier(*secret_)) {
      check_verifier(sent, out);
    } else if (sdk::scram::Authenticator::is_md5_secret(*secret_)) {
      std::string input(sent);
      input.append(user_);
      std::string stored = secret_->substr(3);
      std::transform(stored.begin(), stored.end(), stored.begin(),
                     [](char c) { return static_cast<char>(std::tolower(c & 0xff)); });
      pass_or_fail(sdk::constant_time_equal(host_.md5_hex(input), stored), out);
    } else {
      pass_or_fail(sdk::constant_time_equal(sent, *secret_), out);
    }
  }

 private:
  static void pass_or_fail(bool match, sdk::Output& out) {
    if (match)
      out.ok();
    else
      out.fail(kFailed, kInvalidPassword);
  }

  void check_verifier(std::string_view password, sdk::Output& out) {
    const auto v = sdk::scram::parse_verifier(*secret_);
    if (!v) {
      host_.warning("user \"" + user_ + "\" has an invalid SCRAM secret");
      out.fail(kFailed, kInvalidPassword);
      return;
    }
    const auto keys = sdk::scram::derive_keys(host_, password, v->salt, v->iterations);
    const auto view = [](const sdk::scram::Key& k) {
      return std::string_view(reinterpret_cast<const char*>(k.data()), k.size());
    };
    const bool match = sdk::constant_time_equal(view(keys.stored_key), view(v->stored_key)) &
                       sdk::constant_time_equal(view(keys.server_key), view(v->server_key));
    pass_or_fail(match, out);
    if (match) out.set_scram_keys(keys.client_key, keys.server_key);
  }

  sdk::Host host_;
  std::string user_;
  std::optional<std::string> secret_;
};

class PlainMethod final : public sdk::AuthMethod {
 public:
  explicit PlainMethod(sdk::Host host) : host_(host) {}

  std::unique_ptr<sdk::AuthSession> begin(const sluice_auth_request& request) override {
    std::optional<std::string> secret;
    if (auto s = sdk::request_secret(request)) secret = std::string(*s);
    return std::make_unique<PlainSession>(host_, std::string(sdk::request_user(request)),
                                          std::move(secret));
  }

 private:
  sdk::Host host_;
};

void init(sdk::Registrar& registrar) {
  registrar.add_auth_method("plain", std::make_unique<PlainMethod>(registrar.host()));
}

}  // namespace
}  // namespace sluice::plugins

SLUICE_PLUGIN("auth_plain", "0.1.0", sluice::plugins::init)
