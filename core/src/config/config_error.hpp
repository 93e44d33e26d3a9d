// The one exception type of the configuration layer: says which file, line and key are wrong.
#pragma once

#include <stdexcept>
#include <string>

namespace sluice::config {

// Thrown for any configuration problem. what() is
//   "FILE:LINE: KEY: MESSAGE"   for a line of a file,
//   "ENVVAR: KEY: MESSAGE"      for an environment override (file() is the variable, line() is 0),
//   "FILE: MESSAGE"             when there is neither line nor key (e.g. file cannot be opened).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, std::string key, std::string message);

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  std::string key_;
  std::string message_;
};

}  // namespace sluice::config
