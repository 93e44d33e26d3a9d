// Log set-up: PgBouncer's line format "<date time.ms TZ> [pid] LEVEL message" on stderr and/or the
// logfile, with PgBouncer's level names (LOG, WARNING, ERROR, FATAL, DEBUG, NOISE).
#pragma once

#include <string>

namespace sluice {

struct LogOptions {
  int verbose = 0;      // -v count: 1 = DEBUG, 2+ = NOISE
  bool quiet = false;   // -q: nothing on stderr
  std::string logfile;  // "" = none
};

// Replaces the default spdlog logger. Throws std::runtime_error if the logfile cannot be opened.
void setup_logging(const LogOptions& options);

// Reopens the logfile (or switches to another one) without replacing the logger, so threads that
// are logging meanwhile are safe. Called on RELOAD/SIGHUP, which is how logrotate's postrotate asks
// PgBouncer to reopen its log. Throws std::runtime_error if the file cannot be opened.
void reopen_logfile(const LogOptions& options);

}  // namespace sluice
