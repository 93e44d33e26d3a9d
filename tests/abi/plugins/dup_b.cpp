// One of two good plugins that both provide pool mode "dup": the second one loaded is refused.
#include <memory>

#include "sluice/sdk.hpp"

namespace {
class Keep final : public sluice::sdk::PoolMode {
 public:
  sluice::sdk::Decision on_ready_for_query(const sluice_ready_event&) override {
    return sluice::sdk::Decision::keep();
  }
};
void init(sluice::sdk::Registrar& r) {
  r.add_pool_mode("dup", std::make_unique<Keep>());
}
}  // namespace

SLUICE_PLUGIN("abi_dup_b", "0.0.1-test", init)
