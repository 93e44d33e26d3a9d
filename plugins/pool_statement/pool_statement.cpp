// Pool mode "statement": like transaction mode, but a transaction left open ('T' or 'E' at
// ReadyForQuery) closes the client with PgBouncer's error (reference §5.1): the check is purely on
// the ReadyForQuery status, so "BEGIN; ...; COMMIT" in one Query packet is allowed.
#include <memory>

#include "sluice/sdk.hpp"

namespace sluice::plugins {
namespace {

class StatementMode final : public sdk::PoolMode {
 public:
  uint32_t flags() const override { return 0; }
  sdk::Decision on_ready_for_query(const sluice_ready_event& event) override {
    if (event.tx_status != 'I')
      return sdk::Decision::close_client(
          "transaction blocks not allowed in statement pooling mode");
    if (event.outstanding == 0 && !event.client_in_copy) return sdk::Decision::release();
    return sdk::Decision::keep();
  }
};

void init(sdk::Registrar& registrar) {
  registrar.add_pool_mode("statement", std::make_unique<StatementMode>());
}

}  // namespace
}  // namespace sluice::plugins

SLUICE_PLUGIN("pool_statement", "0.1.0", sluice::plugins::init)
