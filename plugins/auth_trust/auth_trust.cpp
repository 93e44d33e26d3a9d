// Auth method "trust": no password is asked, but the user must be known (listed in auth_file),
// as PgBouncer does for auth_type = trust: an unknown user is refused.
#include <memory>

#include "sluice/sdk.hpp"

namespace sluice::plugins {
namespace {

class TrustSession final : public sdk::AuthSession {
 public:
  explicit TrustSession(bool known) : known_(known) {}
  void first(sdk::Output& out) override {
    if (known_)
      out.ok();
    else
      out.fail("\"trust\" authentication failed", "28000");
  }

 private:
  bool known_;
};

class TrustMethod final : public sdk::AuthMethod {
 public:
  std::unique_ptr<sdk::AuthSession> begin(const sluice_auth_request& request) override {
    // secret != NULL means the user is in auth_file, even with an empty password.
    return std::make_unique<TrustSession>(request.secret != nullptr);
  }
};

void init(sdk::Registrar& registrar) {
  registrar.add_auth_method("trust", std::make_unique<TrustMethod>());
}

}  // namespace
}  // namespace sluice::plugins

SLUICE_PLUGIN("auth_trust", "0.1.0", sluice::plugins::init)
