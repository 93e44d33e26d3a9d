// Immutable snapshot of a loaded configuration: [pgbouncer] values, [databases], [users], [peers].
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.hpp"
#include "config/database_entry.hpp"
#include "config/param_table.hpp"
#include "config/user_entry.hpp"
#include "config/value_parser.hpp"

namespace sluice::config {

// Returns the value of an environment variable, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// EnvLookup over the process environment (std::getenv).
std::optional<std::string> real_env(const std::string& name);

// A [peers] line, kept as written (peering is not implemented yet; reference §2.3).
struct PeerEntry {
  int peer_id = 0;      // 1..65535
  std::string connstr;  // e.g. "host=10.0.0.2 port=6432 pool_size=4"
  int line = 0;
  std::string file;
};

class Config {
 public:
  // Every key at its default; no databases, users or peers.
  Config();

  // Typed accessors for [pgbouncer] keys (and sluice's own). Names are matched case-insensitively.
  // Unknown key => std::out_of_range; asking for the wrong kind => std::invalid_argument.
  // str(): the value as raw() prints it, "" when NULL. Works for every key.
  const std::string& str(std::string_view key) const;
  // integer(): Int and Bool keys.
  long long integer(std::string_view key) const;
  // seconds(): Time keys (float seconds) and Int keys (whole seconds, e.g. stats_period).
  double seconds(std::string_view key) const;
  // boolean(): Bool keys, and Int keys as "non-zero" (tcp_defer_accept).
  bool boolean(std::string_view key) const;
  // Textual value as SHOW CONFIG prints it: times "%g", ints and bools in decimal (0/1),
  // enums in canonical lower case, strings as written. nullopt for unknown keys and NULL values.
  std::optional<std::string> raw(std::string_view key) const;
  // Where the value came from: "" (default), "FILE:LINE", or the environment variable's name.
  std::string origin(std::string_view key) const;

  const std::map<std::string, DatabaseEntry>& databases() const { return databases_; }
  // Exact match, else nullptr. The "*" fallback is databases().at("*") if present; the daemon
  // applies it.
  const DatabaseEntry* find_database(std::string_view name) const;
  const std::map<std::string, UserEntry>& users() const { return users_; }
  const std::map<int, PeerEntry>& peers() const { return peers_; }

  // The path given to load_config() ("" for a default or in-memory config).
  const std::string& conffile() const { return conffile_; }
  // The `plugins` key split at commas and whitespace; empty if unset (= the default set).
  std::vector<std::string> plugin_list() const;

 private:
  friend class ConfigBuilder;
  const ParamValue& value_of(std::string_view key) const;
  const ParamDef& def_of(std::string_view key) const;

  std::vector<ParamValue> values_;    // indexed like param_table()
  std::vector<std::string> origins_;  // indexed like param_table()
  std::map<std::string, DatabaseEntry> databases_;
  std::map<std::string, UserEntry> users_;
  std::map<int, PeerEntry> peers_;
  std::string conffile_;
};

// Loads FILE (following %include), then applies environment overrides: for every [pgbouncer] key
// K (except conffile), SLUICE_<UPPER(K)> wins over PGBOUNCER_<UPPER(K)>, which wins over the file.
// Empty variables are ignored. Throws ConfigError.
Config load_config(const std::string& path, const EnvLookup& env = real_env);

// Same for text in memory; `file_name` is used in errors and as conffile().
Config parse_config(std::string_view text, const std::string& file_name,
                    const EnvLookup& env = real_env);

// `base` with one [pgbouncer] key set as the admin console's SET does (origin "SET"). Throws
// ConfigError for an unknown key, a key that cannot change while running, or a bad value.
Config with_setting(const Config& base, std::string_view key, std::string_view value);

// Keys whose raw() differs between two snapshots (for RELOAD: the daemon warns about the ones
// that are not reloadable and keeps their old values).
std::vector<std::string_view> changed_keys(const Config& before, const Config& after);

}  // namespace sluice::config
