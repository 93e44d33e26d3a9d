// The daemon: loads configuration and plugins, starts the shards and listeners, and runs the
// control thread (signals, RELOAD, janitor) until shutdown.
#pragma once

#include <memory>
#include <string>

namespace sluice {

struct DaemonOptions {
  std::string config_path;
  std::string default_plugin_dir;  // compiled-in, used when plugin_dir is unset
  bool daemonize = false;
  bool quiet = false;
  int verbose = 0;
  std::string user;  // -u
};

// Runs until shutdown; returns the process exit status. Errors at start-up are logged and give 1.
int run_daemon(const DaemonOptions& options);

}  // namespace sluice
