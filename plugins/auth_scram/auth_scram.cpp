// Auth method "scram-sha-256": SCRAM-SHA-256 without channel binding, as PgBouncer's
// auth_type = scram-sha-256. The stored secret is a verifier (its keys then serve SCRAM
// pass-through to servers) or a plaintext password; md5 secrets cannot be used. Unknown users run
// the full exchange against a mock verifier and get the same "SASL authentication failed".
#include <memory>

#include "sluice/scram.hpp"
#include "sluice/sdk.hpp"

namespace sluice::plugins {
namespace {

class ScramMethod final : public sdk::AuthMethod {
 public:
  explicit ScramMethod(sdk::Host host) : scram_(host) {}

  std::unique_ptr<sdk::AuthSession> begin(const sluice_auth_request& request) override {
    return scram_.begin(sdk::request_user(request), sdk::request_secret(request));
  }

 private:
  sdk::scram::Authenticator scram_;
};

void init(sdk::Registrar& registrar) {
  registrar.add_auth_method("scram-sha-256", std::make_unique<ScramMethod>(registrar.host()));
}

}  // namespace
}  // namespace sluice::plugins

SLUICE_PLUGIN("auth_scram", "0.1.0", sluice::plugins::init)
