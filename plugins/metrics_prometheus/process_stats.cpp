// process_* metrics from /proc/self (see process_stats.hpp).
#include "process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "exposition.hpp"

namespace sluice::plugins::prometheus {
namespace {

// Fields of /proc/self/stat after the command name (which may contain spaces, so it is cut at the
// last ')'). proc(5) numbers fields from 1: state is field 3, i.e. index 0 here.
std::optional<std::vector<std::string>> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

std::optional<double> boot_time_seconds() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return std::nullopt;
}

std::optional<double> count_open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return std::nullopt;
  double n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n - 1;  // the fd of the opendir() itself
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats s;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  try {
    if (auto f = stat_fields(); f && f->size() >= 22 && ticks > 0) {
      // proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24 (1-based, incl. pid and comm).
      const auto field = [&](int n) { return std::stod((*f)[static_cast<size_t>(n - 3)]); };
      s.cpu_seconds = (field(14) + field(15)) / static_cast<double>(ticks);
      s.virtual_bytes = field(23);
      s.resident_bytes = field(24) * static_cast<double>(page);
      if (auto btime = boot_time_seconds())
        s.start_time_seconds = *btime + field(22) / static_cast<double>(ticks);
    }
  } catch (const std::exception&) {
    // A malformed /proc line leaves the values out rather than failing the scrape.
  }
  s.open_fds = count_open_fds();
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
    s.max_fds = static_cast<double>(lim.rlim_cur);
  return s;
}

void write_process_stats(const ProcessStats& s, Exposition& out) {
  if (s.cpu_seconds)
    out.single("process_cpu_seconds_total", "counter",
               "Total user and system CPU time spent in seconds.", *s.cpu_seconds);
  if (s.open_fds)
    out.single("process_open_fds", "gauge", "Number of open file descriptors.", *s.open_fds);
  if (s.max_fds)
    out.single("process_max_fds", "gauge", "Maximum number of open file descriptors.", *s.max_fds);
  if (s.virtual_bytes)
    out.single("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
               *s.virtual_bytes);
  if (s.resident_bytes)
    out.single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
               *s.resident_bytes);
  if (s.start_time_seconds)
    out.single("process_start_time_seconds", "gauge",
               "Start time of the process since unix epoch in seconds.", *s.start_time_seconds);
}

}  // namespace sluice::plugins::prometheus
