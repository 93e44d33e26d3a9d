// The standard process_* metrics (names as Prometheus client libraries export them), read from
// /proc/self (proc(5)): CPU seconds, resident and virtual memory, open and maximum fds, start time.
#pragma once

#include <optional>

namespace sluice::plugins::prometheus {

class Exposition;

struct ProcessStats {
  std::optional<double> cpu_seconds;         // utime + stime of /proc/self/stat
  std::optional<double> resident_bytes;      // rss pages of /proc/self/stat
  std::optional<double> virtual_bytes;       // vsize of /proc/self/stat
  std::optional<double> start_time_seconds;  // btime of /proc/stat + starttime, Unix epoch
  std::optional<double> open_fds;            // entries of /proc/self/fd
  std::optional<double> max_fds;             // RLIMIT_NOFILE soft limit
};

ProcessStats read_process_stats();

// Writes the families whose value could be read (a missing /proc leaves them out).
void write_process_stats(const ProcessStats& s, Exposition& out);

}  // namespace sluice::plugins::prometheus
