// [users] line parsing: the per-user keys of reference §2.2.
#include "config/user_entry.hpp"

#include <climits>

#include "config/config_error.hpp"
#include "config/connstr.hpp"
#include "config/value_parser.hpp"

namespace sluice::config {

UserEntry parse_user_entry(const std::string& name, std::string_view value, const std::string& file,
                           int line) {
  if (name.empty()) throw ConfigError(file, line, name, "empty user name");
  UserEntry u;
  u.name = name;
  u.file = file;
  u.line = line;

  auto bad_value = [&](const std::string& key, const std::string& v, const std::string& why) {
    return ConfigError(file, line, name, "invalid value \"" + v + "\" for " + key + ": " + why);
  };
  auto as_int = [&](const std::string& key, const std::string& v) -> int {
    auto n = parse_c_integer(v);
    if (!n) throw bad_value(key, v, "expected an integer");
    if (*n < 0 || *n > INT_MAX) throw bad_value(key, v, "must be between 0 and 2147483647");
    return static_cast<int>(*n);
  };
  auto as_seconds = [&](const std::string& key, const std::string& v) -> double {
    auto s = parse_seconds(v);
    if (!s) throw bad_value(key, v, "expected a non-negative number of seconds");
    return *s;
  };

  for (auto& [key, v] : parse_connstr(value, file, line, name)) {
    if (key == "pool_mode") {
      std::string m = to_lower(v);
      if (m != "session" && m != "transaction" && m != "statement") {
        throw bad_value(key, v, "expected one of session, transaction, statement");
      }
      u.pool_mode = m;
    } else if (key == "pool_size") {
      u.pool_size = as_int(key, v);
    } else if (key == "reserve_pool_size") {
      u.reserve_pool_size = as_int(key, v);
    } else if (key == "max_user_connections") {
      u.max_user_connections = as_int(key, v);
    } else if (key == "max_user_client_connections") {
      u.max_user_client_connections = as_int(key, v);
    } else if (key == "query_timeout") {
      u.query_timeout = as_seconds(key, v);
    } else if (key == "idle_transaction_timeout") {
      u.idle_transaction_timeout = as_seconds(key, v);
    } else if (key == "transaction_timeout") {
      u.transaction_timeout = as_seconds(key, v);
    } else if (key == "client_idle_timeout") {
      u.client_idle_timeout = as_seconds(key, v);
    } else {
      throw ConfigError(file, line, name, "unrecognized user parameter: " + key);
    }
  }
  return u;
}

}  // namespace sluice::config
