// Pool mode "session": a client keeps its server connection until it disconnects (PgBouncer's
// pool_mode = session). The daemon releases the server on disconnect; server_reset_query runs then.
#include <memory>

#include "sluice/sdk.hpp"

namespace sluice::plugins {
namespace {

class SessionMode final : public sdk::PoolMode {
 public:
  uint32_t flags() const override { return SLUICE_POOL_FLAG_RESET_ON_RELEASE; }
  // A ReadyForQuery never ends a session, whatever the transaction status.
  sdk::Decision on_ready_for_query(const sluice_ready_event&) override {
    return sdk::Decision::keep();
  }
};

void init(sdk::Registrar& registrar) {
  registrar.add_pool_mode("session", std::make_unique<SessionMode>());
}

}  // namespace
}  // namespace sluice::plugins

SLUICE_PLUGIN("pool_session", "0.1.0", sluice::plugins::init)
