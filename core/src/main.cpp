// sluice command line (PgBouncer's): parse the options with CLI11, then hand over to the daemon,
// or run one of the monitor/health/advise sub-commands (cli/subcommands.cpp).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/subcommands.hpp"
#include "server/daemon.hpp"

namespace {
int run(int argc, char** argv) {
  CLI::App app{"sluice: a PostgreSQL connection pooler compatible with PgBouncer", "sluice"};
  sluice::DaemonOptions options;
  options.default_plugin_dir = SLUICE_DEFAULT_PLUGIN_DIR;
  bool version = false;
  bool reboot = false;
  app.add_flag("-d,--daemon", options.daemonize,
               "Run in the background (needs pidfile and logfile)");
  app.add_flag("-R,--reboot", reboot, "Online restart (deprecated in PgBouncer; not supported)");
  app.add_flag("-q,--quiet", options.quiet, "Do not log to stderr");
  app.add_flag("-v,--verbose", options.verbose, "More logging; repeat for more");
  app.add_option("-u,--user", options.user, "Switch to this user after start-up");
  app.add_flag("-V,--version", version, "Print the version and exit");
  app.add_option("config", options.config_path, "Configuration file (pgbouncer.ini format)");
  sluice::cli::Subcommands subcommands(app);
  CLI11_PARSE(app, argc, argv);
  if (auto rc = subcommands.run()) return *rc;
  if (version) {
    std::printf("sluice %s (PgBouncer-compatible)\n", SLUICE_VERSION_STRING);
    return 0;
  }
  if (reboot) {
    std::fprintf(stderr,
                 "FATAL online restart (-R) is not supported; use SHUTDOWN WAIT_FOR_CLIENTS\n");
    return 1;
  }
  if (options.config_path.empty()) {
    std::fprintf(stderr, "FATAL need config file\n%s", app.help().c_str());
    return 1;
  }
  return sluice::run_daemon(options);
}
}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FATAL %s\n", e.what());
    return 1;
  }
}
