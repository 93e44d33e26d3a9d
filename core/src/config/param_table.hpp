// The table of every [pgbouncer] parameter sluice knows: type, default, reloadability, limits.
#pragma once

#include <climits>
#include <span>
#include <string_view>

namespace sluice::config {

enum class ParamType {
  String,  // free text (file names, queries, ...)
  Int,     // C strtol(value, 0) syntax, so 0777 is octal; range-checked
  Bool,    // 0/1 like PgBouncer; sluice also accepts yes/no/true/false/on/off
  Time,    // floating-point seconds, strtod, >= 0 (reference §1 "Time values")
  Enum,    // one of enum_values (case-insensitive), stored in canonical lower case
  List,    // comma/space separated list, stored as written
};

struct ParamDef {
  std::string_view name;
  ParamType type;
  // Default as SHOW CONFIG's `default` column prints it (and the initial value).
  std::string_view default_value;
  // SHOW CONFIG `changeable`: false for the no-reload keys of reference §1.
  bool reloadable;
  // SHOW CONFIG prints NULL as default. String/List keys then start unset (Config::raw() is
  // nullopt); numeric keys (only `verbose`) still start at default_value.
  bool has_null_default;
  // Inclusive bounds for Int keys.
  long long min_value = 0;
  long long max_value = INT_MAX;
  // Space-separated accepted values for Enum keys.
  std::string_view enum_values = {};
  // Enum keys that name a plugin extension (auth_type, pool_mode): any other plain name
  // ([A-Za-z0-9_-]) is accepted as written; start-up and RELOAD refuse it unless a loaded plugin
  // provides it (check_supported).
  bool plugin_names = false;
  // Non-empty: this key is another name for that key (service_name -> job_name).
  std::string_view alias_of = {};
  // A sluice extension, not a PgBouncer key (plugins, plugin_dir, workers).
  bool sluice_extension = false;
};

// Every key, in alphabetical order (SHOW CONFIG order since PgBouncer 1.25).
std::span<const ParamDef> param_table();

// Exact (lower-case) name lookup; nullptr when unknown.
const ParamDef* find_param(std::string_view name);

// Index of `def` in param_table().
std::size_t param_index(const ParamDef& def);

std::string_view param_type_name(ParamType type);

}  // namespace sluice::config
