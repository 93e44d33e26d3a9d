// A good plugin with one extension of every kind; its hooks also exercise the SDK's barriers.
#include <memory>
#include <stdexcept>
#include <string>

#include "sluice/sdk.hpp"

namespace {

using namespace sluice::sdk;

class GoodMode final : public PoolMode {
 public:
  uint32_t flags() const override { return SLUICE_POOL_FLAG_RESET_ON_RELEASE; }
  Decision on_ready_for_query(const sluice_ready_event& ev) override {
    if (ev.tx_status == 'X') throw std::runtime_error("boom");  // exercises the barrier
    return ev.tx_status == 'I' ? Decision::release() : Decision::keep();
  }
};

class GoodSession final : public AuthSession {
 public:
  explicit GoodSession(bool boom) : boom_(boom) {}
  void first(Output& out) override {
    if (boom_) throw std::runtime_error("boom");
    out.ok();
  }

 private:
  bool boom_;
};

class GoodAuth final : public AuthMethod {
 public:
  std::unique_ptr<AuthSession> begin(const sluice_auth_request& r) override {
    return std::make_unique<GoodSession>(request_user(r) == "boom");
  }
};

class GoodCommand final : public AdminCommand {
 public:
  void execute(const sluice_admin_request&, ResultWriter& out) override {
    out.add_column("answer", SLUICE_TYPE_INT4);
    out.add_row({"42"});
    out.set_command_tag("SHOW");
  }
};

class GoodExporter final : public MetricsExporter {
 public:
  void start() override { throw std::runtime_error("port 9127 busy"); }
  void stop() noexcept override {}
};

void init(Registrar& r) {
  const Host host = r.host();
  host.info("hello from init, good_key=" + host.config("good_key").value_or("(unset)"));
  r.add_pool_mode("good_mode", std::make_unique<GoodMode>());
  r.add_auth_method("good_auth", std::make_unique<GoodAuth>());
  r.add_admin_command("SHOW GOOD", std::make_unique<GoodCommand>());
  r.add_metrics_exporter("good_exporter", std::make_unique<GoodExporter>());
}

}  // namespace

SLUICE_PLUGIN("abi_good", "1.2.3", init)
