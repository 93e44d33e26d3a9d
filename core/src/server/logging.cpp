// Log set-up with PgBouncer-compatible level names and time zone abbreviation.
#include "server/logging.hpp"

#include <ctime>
#include <memory>
#include <vector>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace sluice {

namespace {

// %q: PgBouncer's level name.
class PgLevelFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view name;
    switch (msg.level) {
      case spdlog::level::trace:
        name = "NOISE";
        break;
      case spdlog::level::debug:
        name = "DEBUG";
        break;
      case spdlog::level::info:
        name = "LOG";
        break;
      case spdlog::level::warn:
        name = "WARNING";
        break;
      case spdlog::level::err:
        name = "ERROR";
        break;
      default:
        name = "FATAL";
        break;
    }
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PgLevelFlag>();
  }
};

// %Q: time zone abbreviation, e.g. "UTC" (strftime %Z).
class TzFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm& tm,
              spdlog::memory_buf_t& dest) override {
    char buf[16];
    size_t n = std::strftime(buf, sizeof buf, "%Z", &tm);
    dest.append(buf, buf + n);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<TzFlag>();
  }
};

}  // namespace

namespace {

// The logger's only sink: it fans out to stderr and the logfile, and its children can be swapped
// under its own mutex while other threads log.
std::shared_ptr<spdlog::sinks::dist_sink_mt> g_outputs;

std::unique_ptr<spdlog::formatter> make_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<PgLevelFlag>('q').add_flag<TzFlag>('Q').set_pattern(
      "%Y-%m-%d %H:%M:%S.%e %Q [%P] %q %v");
  return formatter;
}

std::vector<spdlog::sink_ptr> make_sinks(const LogOptions& options) {
  std::vector<spdlog::sink_ptr> sinks;
  if (!options.quiet) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!options.logfile.empty())
    sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.logfile));
  return sinks;
}

}  // namespace

void setup_logging(const LogOptions& options) {
  g_outputs = std::make_shared<spdlog::sinks::dist_sink_mt>(make_sinks(options));
  auto logger = std::make_shared<spdlog::logger>("sluice", g_outputs);
  logger->set_formatter(make_formatter());
  logger->set_level(options.verbose >= 2   ? spdlog::level::trace
                    : options.verbose == 1 ? spdlog::level::debug
                                           : spdlog::level::info);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void reopen_logfile(const LogOptions& options) {
  if (!g_outputs) return;
  auto sinks = make_sinks(options);
  for (auto& sink : sinks) sink->set_formatter(make_formatter());  // before they see a line
  g_outputs->set_sinks(std::move(sinks));
}

}  // namespace sluice
