// Formats ConfigError::what() from its parts.
#include "config/config_error.hpp"

#include <utility>

namespace sluice::config {
namespace {

std::string format_error(const std::string& file, int line, const std::string& key,
                         const std::string& message) {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

}  // namespace

ConfigError::ConfigError(std::string file, int line, std::string key, std::string message)
    : std::runtime_error(format_error(file, line, key, message)),
      file_(std::move(file)),
      line_(line),
      key_(std::move(key)),
      message_(std::move(message)) {}

}  // namespace sluice::config
