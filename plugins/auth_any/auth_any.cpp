// Auth method "any": no password is asked and the login user name does not matter, as PgBouncer's
// auth_type = any. The host refuses databases without a forced user ("auth_type=any requires
// forced user"), so servers never log in as a name the client chose.
#include <memory>

#include "sluice/sdk.hpp"

namespace sluice::plugins {
namespace {

class AnySession final : public sdk::AuthSession {
 public:
  void first(sdk::Output& out) override { out.ok(); }
};

class AnyMethod final : public sdk::AuthMethod {
 public:
  std::unique_ptr<sdk::AuthSession> begin(const sluice_auth_request& /*request*/) override {
    return std::make_unique<AnySession>();
  }
};

void init(sdk::Registrar& registrar) {
  registrar.add_auth_method("any", std::make_unique<AnyMethod>());
}

}  // namespace
}  // namespace sluice::plugins

SLUICE_PLUGIN("auth_any", "0.1.0", sluice::plugins::init)
