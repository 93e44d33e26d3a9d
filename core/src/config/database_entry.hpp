// One [databases] line: where a client-side database name leads (reference §2.1).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/user_entry.hpp"

namespace sluice::config {

// e.g. `mydb = host=127.0.0.1 port=5432 dbname=app user=u password=p pool_size=10`.
// -1 / "" = not set: inherit the [pgbouncer] value (or the [users] one, which wins).
struct DatabaseEntry {
  std::string name;  // client-side name ("*" for the fallback entry)
  std::string host;  // "" => Unix socket (the daemon picks the directory); may start with
                     // '/' (socket dir) or '@' (abstract); may be a comma list (multi-host)
  int port = 5432;
  std::string dbname;    // "" => same as the client-side name (for "*": the requested name)
  std::string user;      // forced user, "" if none
  std::string password;  // "" if none
  int pool_size = -1, min_pool_size = -1, reserve_pool_size = -1;
  int max_db_connections = -1, max_db_client_connections = -1, server_lifetime = -1;
  std::string pool_mode;  // "" = inherit; else session/transaction/statement
  std::string connect_query, auth_user, auth_query, auth_dbname;
  std::string load_balance_hosts;  // "" = default (round-robin); else round-robin/disable
  // client_encoding, datestyle, timezone, application_name in file order, to be sent as startup
  // parameters to the server.
  std::vector<std::pair<std::string, std::string>> startup_params;
  int line = 0;
  std::string file;
};

// Checks a [databases] key: unquoted names use [_0-9A-Za-z] (sluice, like PgBouncer's INI reader,
// also lets '.' and '-' through), quoted names anything non-empty; "*" is the fallback; the name
// "pgbouncer" is reserved for the admin console. Throws ConfigError(file, line, name, ...).
void validate_database_name(const std::string& name, bool quoted, const std::string& file,
                            int line);

// Parses the value of a [databases] line (name already validated). Throws ConfigError(file, line,
// name, "unrecognized connection parameter: KEY") and similar.
DatabaseEntry parse_database_entry(const std::string& name, std::string_view value,
                                   const std::string& file, int line);

}  // namespace sluice::config
