// [databases] line parsing: the connection-string keys of reference §2.1.
#include "config/database_entry.hpp"

#include <climits>

#include "config/config_error.hpp"
#include "config/connstr.hpp"
#include "config/value_parser.hpp"

namespace sluice::config {
namespace {

bool is_plain_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

void validate_database_name(const std::string& name, bool quoted, const std::string& file,
                            int line) {
  if (name.empty()) throw ConfigError(file, line, name, "empty database name");
  if (!quoted && name != "*") {
    for (char c : name) {
      if (!is_plain_name_char(c)) {
        throw ConfigError(file, line, name,
                          "invalid character in database name (quote it with double quotes)");
      }
    }
  }
  // The admin console lives at database "pgbouncer" (reference §4).
  if (name == "pgbouncer") {
    throw ConfigError(file, line, name, "database name \"pgbouncer\" is reserved");
  }
}

DatabaseEntry parse_database_entry(const std::string& name, std::string_view value,
                                   const std::string& file, int line) {
  DatabaseEntry db;
  db.name = name;
  db.file = file;
  db.line = line;

  auto bad_value = [&](const std::string& key, const std::string& v, const std::string& why) {
    return ConfigError(file, line, name, "invalid value \"" + v + "\" for " + key + ": " + why);
  };
  auto as_int = [&](const std::string& key, const std::string& v, long long lo,
                    long long hi) -> int {
    auto n = parse_c_integer(v);
    if (!n) throw bad_value(key, v, "expected an integer");
    if (*n < lo || *n > hi) {
      throw bad_value(key, v,
                      "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
    return static_cast<int>(*n);
  };

  for (auto& [key, v] : parse_connstr(value, file, line, name)) {
    if (key == "dbname") {
      db.dbname = v;
    } else if (key == "host") {
      db.host = v;
    } else if (key == "port") {
      db.port = as_int(key, v, 1, 65535);  // reference §2.1: 0/invalid => error
    } else if (key == "user") {
      db.user = v;
    } else if (key == "password") {
      db.password = v;
    } else if (key == "auth_user") {
      db.auth_user = v;
    } else if (key == "auth_query") {
      db.auth_query = v;
    } else if (key == "auth_dbname") {
      if (v == "pgbouncer") throw bad_value(key, v, "the admin database cannot run auth_query");
      db.auth_dbname = v;
    } else if (key == "pool_size") {
      db.pool_size = as_int(key, v, 0, INT_MAX);
    } else if (key == "min_pool_size") {
      db.min_pool_size = as_int(key, v, 0, INT_MAX);
    } else if (key == "reserve_pool_size" || key == "reserve_pool") {  // old name, still accepted
      db.reserve_pool_size = as_int(key, v, 0, INT_MAX);
    } else if (key == "max_db_connections") {
      db.max_db_connections = as_int(key, v, 0, INT_MAX);
    } else if (key == "max_db_client_connections") {
      db.max_db_client_connections = as_int(key, v, 0, INT_MAX);
    } else if (key == "server_lifetime") {
      db.server_lifetime = as_int(key, v, 0, INT_MAX);
    } else if (key == "pool_mode") {
      std::string m = to_lower(v);
      if (m != "session" && m != "transaction" && m != "statement") {
        throw bad_value(key, v, "expected one of session, transaction, statement");
      }
      db.pool_mode = m;
    } else if (key == "load_balance_hosts") {
      std::string m = to_lower(v);
      if (m != "round-robin" && m != "disable") {
        throw bad_value(key, v, "expected one of round-robin, disable");
      }
      db.load_balance_hosts = m;
    } else if (key == "connect_query") {
      db.connect_query = v;
    } else if (key == "client_encoding" || key == "datestyle" || key == "timezone" ||
               key == "application_name") {
      db.startup_params.emplace_back(key, v);
    } else {
      throw ConfigError(file, line, name, "unrecognized connection parameter: " + key);
    }
  }
  return db;
}

}  // namespace sluice::config
