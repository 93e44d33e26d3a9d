// Pool mode "transaction": the server goes back to the pool at the end of each transaction —
// ReadyForQuery with status 'I', no request of the client still unanswered, and the client not in
// COPY (PgBouncer's pool_mode = transaction, reference §5.1). No reset query unless
// server_reset_query_always is set (the daemon reads that key itself).
#include <memory>

#include "sluice/sdk.hpp"

namespace sluice::plugins {
namespace {

class TransactionMode final : public sdk::PoolMode {
 public:
  uint32_t flags() const override { return 0; }
  sdk::Decision on_ready_for_query(const sluice_ready_event& event) override {
    if (event.tx_status == 'I' && event.outstanding == 0 && !event.client_in_copy)
      return sdk::Decision::release();
    return sdk::Decision::keep();
  }
};

void init(sdk::Registrar& registrar) {
  registrar.add_pool_mode("transaction", std::make_unique<TransactionMode>());
}

}  // namespace
}  // namespace sluice::plugins

SLUICE_PLUGIN("pool_transaction", "0.1.0", sluice::plugins::init)
