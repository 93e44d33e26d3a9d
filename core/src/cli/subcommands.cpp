// CLI11 definitions of the sub-commands; see subcommands.hpp and docs/monitoring.md.
#include "cli/subcommands.hpp"

#include <cstdio>

namespace sluice::cli {

CLI::App* Subcommands::add(CLI::App& app, const char* name, const char* description) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->set_help_flag("--help", "Print this help message and exit");  // -h is the host, as in psql
  sub->add_option("config", flags_.config_path,
                  "The daemon's configuration file (address, port, admin_users, auth_file)");
  sub->add_option("-h,--host", flags_.host,
                  "Host, or Unix socket directory (default: from config)");
  sub->add_option("-p,--port", flags_.port, "Port (default: listen_port from config, else 6432)");
  sub->add_option("-U,--user", flags_.user,
                  "Console user (default: first of admin_users, else stats_users, else pgbouncer);"
                  " password from PGPASSWORD, else the auth_file entry");
  sub->add_option("--timeout", flags_.timeout,
                  "Seconds allowed for each connection and its queries (default 5)");
  return sub;
}

Subcommands::Subcommands(CLI::App& app) {
  monitor_cmd_ = add(app, "monitor", "Pools, stats, clients or servers as tables (SHOW ...)");
  monitor_cmd_->add_flag("--summary", summary_,
                         "One line per pool with its database's rates (default)");
  monitor_cmd_->add_flag("--pools", pools_, "SHOW POOLS");
  monitor_cmd_->add_flag("--stats", stats_, "SHOW STATS");
  monitor_cmd_->add_flag("--clients", clients_, "SHOW CLIENTS");
  monitor_cmd_->add_flag("--servers", servers_, "SHOW SERVERS");
  monitor_cmd_->add_option("--watch", monitor_.watch, "Refresh every SECONDS until interrupted");
  monitor_cmd_->add_option("--count", monitor_.count, "With --watch: stop after N refreshes");
  monitor_cmd_->add_option("--maxwait-warn", monitor_.maxwait_warn,
                           "Mark pools whose maxwait reaches SECONDS (default 5)");
  health_cmd_ = add(app, "health", "Check the process, the console and every database; exit 0/1");
  health_cmd_->add_option("--db-user", db_user_,
                          "User for SELECT 1 (default: the database's force_user, else -U)");
  advise_cmd_ = add(app, "advise", "Pool sizing recommendations (SHOW ADVICE <max_connections>)");
  advise_cmd_->add_option("--db-user", db_user_,
                          "User for SHOW max_connections (default: force_user, else -U)");
  advise_cmd_->add_option("--max-connections", advise_.max_connections,
                          "PostgreSQL's max_connections (default: SHOW max_connections through "
                          "the pooler, given at most 2 s)");
}

std::optional<int> Subcommands::run() {
  CLI::App* chosen = nullptr;
  for (CLI::App* s : {monitor_cmd_, health_cmd_, advise_cmd_})
    if (s->parsed()) chosen = s;
  if (!chosen) return std::nullopt;
  try {
    Target target(flags_);
    if (chosen == health_cmd_) return run_health(target, HealthOptions{db_user_});
    if (chosen == advise_cmd_) {
      advise_.db_user = db_user_;
      return run_advise(target, advise_);
    }
    if (pools_ + stats_ + clients_ + servers_ + summary_ > 1) {
      std::fprintf(
          stderr,
          "sluice monitor: choose one of --summary, --pools, --stats, --clients, --servers\n");
      return 2;
    }
    monitor_.view = pools_     ? MonitorView::Pools
                    : stats_   ? MonitorView::Stats
                    : clients_ ? MonitorView::Clients
                    : servers_ ? MonitorView::Servers
                               : MonitorView::Summary;
    return run_monitor(target, monitor_);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sluice %s: %s\n", chosen->get_name().c_str(), e.what());
    return 1;
  }
}

}  // namespace sluice::cli
