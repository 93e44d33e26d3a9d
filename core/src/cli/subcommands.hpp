// The `sluice monitor | health | advise` sub-commands on the CLI11 app of main.cpp. Without a
// sub-command, `sluice [options] config.ini` runs the daemon as before.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>

#include "cli/advise.hpp"
#include "cli/health.hpp"
#include "cli/monitor.hpp"
#include "cli/target.hpp"

namespace sluice::cli {

class Subcommands {
 public:
  explicit Subcommands(CLI::App& app);
  // After parsing: the chosen sub-command's exit code, or nullopt when none was given.
  std::optional<int> run();

 private:
  CLI::App* add(CLI::App& app, const char* name, const char* description);

  TargetFlags flags_;
  MonitorOptions monitor_;
  AdviseOptions advise_;
  bool pools_ = false, stats_ = false, clients_ = false, servers_ = false, summary_ = false;
  std::string db_user_;
  CLI::App* monitor_cmd_ = nullptr;
  CLI::App* health_cmd_ = nullptr;
  CLI::App* advise_cmd_ = nullptr;
};

}  // namespace sluice::cli
