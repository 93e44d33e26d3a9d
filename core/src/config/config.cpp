// Config accessors and the all-defaults snapshot.
#include "config/config.hpp"

#include <cstdlib>
#include <stdexcept>

namespace sluice::config {
namespace {

const ParamDef* lookup(std::string_view key) {
  if (const ParamDef* def = find_param(key)) return def;
  return find_param(to_lower(key));  // keys are case-insensitive
}

// service_name is stored in job_name's slot, like PgBouncer's shared variable.
const ParamDef& storage_def(const ParamDef& def) {
  if (def.alias_of.empty()) return def;
  return *find_param(def.alias_of);
}

}  // namespace

std::optional<std::string> real_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

Config::Config() {
  auto table = param_table();
  values_.resize(table.size());
  origins_.resize(table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    const ParamDef& def = table[i];
    bool null_string =
        def.has_null_default && (def.type == ParamType::String || def.type == ParamType::List);
    if (null_string) continue;
    if (auto err = parse_param_value(def, def.default_value, values_[i])) {
      throw std::logic_error("bad default in param table for " + std::string(def.name) + ": " +
                             *err);
    }
  }
}

const ParamDef& Config::def_of(std::string_view key) const {
  const ParamDef* def = lookup(key);
  if (def == nullptr) throw std::out_of_range("unknown parameter: " + std::string(key));
  return *def;
}

const ParamValue& Config::value_of(std::string_view key) const {
  return values_[param_index(storage_def(def_of(key)))];
}

const std::string& Config::str(std::string_view key) const {
  static const std::string kEmpty;
  const ParamValue& v = value_of(key);
  return v.text ? *v.text : kEmpty;
}

long long Config::integer(std::string_view key) const {
  const ParamDef& def = def_of(key);
  if (def.type != ParamType::Int && def.type != ParamType::Bool) {
    throw std::invalid_argument(std::string(def.name) + " is not an integer parameter");
  }
  return value_of(key).int_value;
}

double Config::seconds(std::string_view key) const {
  const ParamDef& def = def_of(key);
  if (def.type == ParamType::Time) return value_of(key).seconds;
  if (def.type == ParamType::Int) return static_cast<double>(value_of(key).int_value);
  throw std::invalid_argument(std::string(def.name) + " is not a time parameter");
}

bool Config::boolean(std::string_view key) const {
  const ParamDef& def = def_of(key);
  if (def.type != ParamType::Bool && def.type != ParamType::Int) {
    throw std::invalid_argument(std::string(def.name) + " is not a boolean parameter");
  }
  return value_of(key).int_value != 0;
}

std::optional<std::string> Config::raw(std::string_view key) const {
  const ParamDef* def = lookup(key);
  if (def == nullptr) return std::nullopt;
  return values_[param_index(storage_def(*def))].text;
}

std::string Config::origin(std::string_view key) const {
  return origins_[param_index(storage_def(def_of(key)))];
}

const DatabaseEntry* Config::find_database(std::string_view name) const {
  auto it = databases_.find(std::string(name));
  return it == databases_.end() ? nullptr : &it->second;
}

std::vector<std::string> Config::plugin_list() const {
  return split_list(str("plugins"));
}

std::vector<std::string_view> changed_keys(const Config& before, const Config& after) {
  std::vector<std::string_view> out;
  for (const ParamDef& def : param_table()) {
    if (before.raw(def.name) != after.raw(def.name)) out.push_back(def.name);
  }
  return out;
}

}  // namespace sluice::config
