// /metrics: the pooler's state as prometheus-community pgbouncer_exporter 0.12 names it
// (../shared/reference/pgbouncer-exporter-metrics.md, section 1b), plus sluice's own metrics
// (sluice_*) and the standard process_* ones. docs/metrics.md lists every metric.
#pragma once

#include <string>

#include "host_reader.hpp"
#include "process_stats.hpp"

namespace sluice::plugins::prometheus {

std::string render_metrics(const HostSnapshot& snap, const ProcessStats& process);

}  // namespace sluice::plugins::prometheus
