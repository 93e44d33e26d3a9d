// `sluice monitor`: SHOW POOLS / STATS / CLIENTS / SERVERS as readable tables, once or every
// --watch seconds; waiting clients and a high maxwait are marked (WAITING, MAXWAIT) and, on a
// terminal, coloured.
#pragma once

#include "cli/console_client.hpp"
#include "cli/table.hpp"
#include "cli/target.hpp"

namespace sluice::cli {

enum class MonitorView { Summary, Pools, Stats, Clients, Servers };

struct MonitorOptions {
  MonitorView view = MonitorView::Summary;
  double watch = 0;         // seconds between refreshes; 0 = once
  double maxwait_warn = 5;  // maxwait at or above this many seconds is marked MAXWAIT
  int count = 0;            // with --watch: stop after this many refreshes (0 = until killed)
};

// The views, from console results (pure: unit-tested).
TextTable pools_view(const QueryResult& pools, double maxwait_warn);
TextTable summary_view(const QueryResult& pools, const QueryResult& stats, double maxwait_warn);
TextTable stats_view(const QueryResult& stats);
TextTable sockets_view(const QueryResult& sockets, bool clients);

// Runs the command; returns the exit code (0, or 1 when the console cannot be read).
int run_monitor(Target& target, const MonitorOptions& options);

}  // namespace sluice::cli
