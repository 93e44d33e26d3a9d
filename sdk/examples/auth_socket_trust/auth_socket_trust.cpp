// Example plugin: auth_type = socket_trust — what pg_hba.conf calls "local all all trust" plus
// "host all all all md5", for a pooler. Clients on sluice's Unix socket are let in without a
// password (the user must still be listed in auth_file, as for PgBouncer's trust); clients over
// TCP must answer PostgreSQL's MD5 challenge (protocol docs, "AuthenticationMD5Password": the
// client sends "md5" + md5hex(md5hex(password + user) + salt)). Local jobs (cron, backups) need no
// password file, remote applications still authenticate.
//
// Enable:  plugins = pool_session, auth_md5, auth_socket_trust   and   auth_type = socket_trust
#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/sdk.hpp"

namespace {

constexpr int32_t kAuthMd5Password = 5;
constexpr const char* kFailed = "password authentication failed";

// A TCP login: the MD5 exchange against md5hex(password + user), or a mock one ending in failure
// when there is no usable secret, so that a remote client cannot probe which users exist.
class Md5Session final : public sluice::sdk::AuthSession {
 public:
  Md5Session(sluice::sdk::Host host, std::optional<std::string> inner)
      : host_(host), inner_(std::move(inner)) {}

  void first(sluice::sdk::Output& out) override {
    host_.random(salt_);
    out.send_auth_request(kAuthMd5Password, salt_);
  }

  void step(uint8_t type, std::span<const uint8_t> payload, sluice::sdk::Output& out) override {
    const std::string_view body(reinterpret_cast<const char*>(payload.data()), payload.size());
    if (type != 'p' || body.empty() || body.back() != '\0') {
      out.fail("invalid password packet", "08P01");
      return;
    }
    const std::string_view sent = body.substr(0, body.size() - 1);
    if (!inner_) {
      out.fail(kFailed, "28P01");
      return;
    }
    std::string salted = *inner_;
    salted.append(reinterpret_cast<const char*>(salt_.data()), salt_.size());
    if (sluice::sdk::constant_time_equal(sent, "md5" + host_.md5_hex(salted))) {
      out.ok();
    } else {
      out.fail(kFailed, "28P01");
    }
  }

 private:
  sluice::sdk::Host host_;
  std::optional<std::string> inner_;
  std::array<uint8_t, 4> salt_{};
};

// A Unix-socket login: decided at once.
class TrustSession final : public sluice::sdk::AuthSession {
 public:
  explicit TrustSession(bool known) : known_(known) {}
  void first(sluice::sdk::Output& out) override {
    if (known_) {
      out.ok();
    } else {
      out.fail(kFailed, "28P01");
    }
  }

 private:
  bool known_;
};

bool is_md5_secret(std::string_view s) {
  return s.size() == 35 && s.starts_with("md5") &&
         std::all_of(s.begin() + 3, s.end(), [](char c) { return std::isxdigit(c & 0xff) != 0; });
}

class SocketTrust final : public sluice::sdk::AuthMethod {
 public:
  explicit SocketTrust(sluice::sdk::Host host) : host_(host) {}

  std::unique_ptr<sluice::sdk::AuthSession> begin(const sluice_auth_request& request) override {
    const auto secret = sluice::sdk::request_secret(request);
    if (request.is_unix_socket) return std::make_unique<TrustSession>(secret.has_value());
    std::optional<std::string> inner;
    if (secret && is_md5_secret(*secret)) {
      std::string hex(secret->substr(3));
      std::transform(hex.begin(), hex.end(), hex.begin(),
                     [](char c) { return static_cast<char>(std::tolower(c & 0xff)); });
      inner = std::move(hex);
    } else if (secret && !secret->empty() && !secret->starts_with("SCRAM-SHA-256$")) {
      inner = host_.md5_hex(std::string(*secret) + std::string(sluice::sdk::request_user(request)));
    }
    return std::make_unique<Md5Session>(host_, std::move(inner));
  }

 private:
  sluice::sdk::Host host_;
};

void init(sluice::sdk::Registrar& registrar) {
  registrar.add_auth_method("socket_trust", std::make_unique<SocketTrust>(registrar.host()));
  registrar.host().info("auth_type socket_trust: Unix socket = trust, TCP = md5");
}

}  // namespace

SLUICE_PLUGIN("auth_socket_trust", "1.0.0", init)
