// metrics_prometheus: a Prometheus exporter inside the pooler (issue 6). A metrics exporter
// extension whose HTTP server thread answers
//   /metrics  the pooler's state with pgbouncer_exporter 0.12's metric names (metrics_text.hpp),
//   /healthz  200 "ok" while the process runs and this thread answers,
//   /readyz   200 when every database's PostgreSQL accepts a TCP connection, else 503
//   (readiness.hpp).
// Off by default: it listens only when prometheus_port is non-zero (docs/metrics.md). Everything is
// read through the host API on this thread, never on a shard's.
#include <memory>
#include <string>

#include "http_server.hpp"
#include "metrics_text.hpp"
#include "readiness.hpp"
#include "sluice/sdk.hpp"

namespace sluice::plugins::prometheus {
namespace {

constexpr const char* kDefaultListenAddr = "127.0.0.1";
constexpr int kReadyConnectTimeoutMs = 1000;
// Prometheus' text format media type (exposition_formats.md).
constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

class PrometheusExporter : public sdk::MetricsExporter {
 public:
  explicit PrometheusExporter(sdk::Host host) : host_(host) {}

  void start() override {
    server_ = std::make_unique<HttpServer>([this](const HttpRequest& r) { return handle(r); },
                                           [this] { return address(); },
                                           [this](bool error, const std::string& m) {
                                             if (error) {
                                               host_.error(m);
                                             } else {
                                               host_.info(m);
                                             }
                                           });
    std::string error;
    if (!server_->start(&error)) throw std::runtime_error(error);
  }

  void stop() noexcept override {
    if (server_) server_->stop();
    server_.reset();
  }

 private:
  ListenAddress address() const {
    ListenAddress a;
    a.host = host_.config("prometheus_listen_addr").value_or(kDefaultListenAddr);
    const std::string port = host_.config("prometheus_port").value_or("0");
    const long p = port.empty() ? 0 : std::stol(port);
    a.port = p > 0 && p <= 65535 ? static_cast<uint16_t>(p) : 0;
    return a;
  }

  HttpResponse handle(const HttpRequest& r) const {
    HttpResponse out;
    if (r.path == "/metrics") {
      out.content_type = kMetricsContentType;
      out.body = render_metrics(read_host(host_.raw()), read_process_stats());
    } else if (r.path == "/healthz") {
      out.body = "ok\n";
    } else if (r.path == "/readyz") {
      const Readiness ready = check_ready(host_.raw(), kReadyConnectTimeoutMs);
      out.status = ready.ready ? 200 : 503;
      out.body = ready.report;
    } else if (r.path == "/") {
      out.content_type = "text/html; charset=utf-8";
      out.body =
          "<html><head><title>sluice exporter</title></head><body><h1>sluice exporter</h1>"
          "<p><a href=\"/metrics\">Metrics</a> <a href=\"/healthz\">healthz</a> "
          "<a href=\"/readyz\">readyz</a></p></body></html>\n";
    } else {
      out.status = 404;
      out.body = "not found\n";
    }
    return out;
  }

  sdk::Host host_;
  std::unique_ptr<HttpServer> server_;
};

void init(sdk::Registrar& r) {
  r.add_metrics_exporter("prometheus", std::make_unique<PrometheusExporter>(r.host()));
}

}  // namespace
}  // namespace sluice::plugins::prometheus

SLUICE_PLUGIN("metrics_prometheus", "1.0", sluice::plugins::prometheus::init)
