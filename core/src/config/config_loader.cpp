// load_config(): INI items -> Config, then SLUICE_*/PGBOUNCER_* environment overrides.
#include "config/config.hpp"

#include "config/ini_reader.hpp"

namespace sluice::config {

// Fills a Config from INI items; the only writer of Config's private state.
class ConfigBuilder {
 public:
  ConfigBuilder(Config base, const EnvLookup& env) : cfg_(std::move(base)), env_(env) {}

  // The admin console's SET: one [pgbouncer] key, checked like a file line.
  void set_runtime(std::string_view key, std::string_view value) {
    const ParamDef* def = find_param(to_lower(key));
    if (def == nullptr)
      throw ConfigError("SET", 0, std::string(key),
                        "unknown config parameter: " + std::string(key));
    if (!def->reloadable)
      throw ConfigError("SET", 0, std::string(def->name),
                        std::string(def->name) + " cannot be changed while running");
    set_param(*def, value, "SET", 0, "SET");
  }

  ConfigBuilder(const std::string& conffile, const EnvLookup& env) : env_(env) {
    cfg_.conffile_ = conffile;
    // conffile's value is the file given (reference §1.1); the file may still set it.
    set_param(*find_param("conffile"), conffile, "", 0, "");
    cfg_.origins_[param_index(*find_param("conffile"))].clear();
  }

  void apply(const std::vector<IniItem>& items) {
    std::string section;
    for (const IniItem& item : items) {
      if (item.kind == IniItem::Kind::Section) {
        section = to_lower(item.name);
        if (section != "pgbouncer" && section != "databases" && section != "users" &&
            section != "peers") {
          throw ConfigError(item.file, item.line, "", "unknown section: " + item.name);
        }
        continue;
      }
      if (section.empty()) {
        throw ConfigError(item.file, item.line, item.name, "value without section");
      }
      if (section == "pgbouncer") {
        apply_pgbouncer(item);
      } else if (section == "databases") {
        validate_database_name(item.name, item.quoted, item.file, item.line);
        // A later line for the same name replaces the earlier one.
        cfg_.databases_[item.name] =
            parse_database_entry(item.name, item.value, item.file, item.line);
      } else if (section == "users") {
        cfg_.users_[item.name] = parse_user_entry(item.name, item.value, item.file, item.line);
      } else {
        apply_peer(item);
      }
    }
  }

  void apply_env() {
    for (const ParamDef& def : param_table()) {
      if (def.name == "conffile") continue;
      std::string upper(def.name);
      for (char& c : upper) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      for (const std::string& var : {"SLUICE_" + upper, "PGBOUNCER_" + upper}) {
        std::optional<std::string> v = env_(var);
        if (!v || v->empty()) continue;
        set_param(def, *v, var, 0, var);
        break;
      }
    }
  }

  Config take() { return std::move(cfg_); }

 private:
  void apply_pgbouncer(const IniItem& item) {
    std::string key = to_lower(item.name);
    const ParamDef* def = find_param(key);
    if (def == nullptr) {
      throw ConfigError(item.file, item.line, key, "unknown parameter: pgbouncer/" + key);
    }
    set_param(*def, item.value, item.file, item.line, item.file + ":" + std::to_string(item.line));
  }

  void apply_peer(const IniItem& item) {
    auto id = parse_c_integer(item.name);
    if (!id || *id < 1 || *id > 65535) {
      throw ConfigError(item.file, item.line, item.name, "peer id must be an integer 1..65535");
    }
    PeerEntry p;
    p.peer_id = static_cast<int>(*id);
    p.connstr = item.value;
    p.file = item.file;
    p.line = item.line;
    cfg_.peers_[p.peer_id] = std::move(p);
  }

  void set_param(const ParamDef& def, std::string_view value, const std::string& file, int line,
                 std::string origin) {
    const ParamDef& target = def.alias_of.empty() ? def : *find_param(def.alias_of);
    ParamValue v;
    if (auto err = parse_param_value(def, value, v)) {
      throw ConfigError(file, line, std::string(def.name), *err);
    }
    std::size_t idx = param_index(target);
    cfg_.values_[idx] = std::move(v);
    cfg_.origins_[idx] = std::move(origin);
  }

  Config cfg_;
  const EnvLookup& env_;
};

Config load_config(const std::string& path, const EnvLookup& env) {
  ConfigBuilder b(path, env);
  b.apply(read_ini_file(path));
  b.apply_env();
  return b.take();
}

Config with_setting(const Config& base, std::string_view key, std::string_view value) {
  ConfigBuilder b(base, real_env);
  b.set_runtime(key, value);
  return b.take();
}

Config parse_config(std::string_view text, const std::string& file_name, const EnvLookup& env) {
  ConfigBuilder b(file_name, env);
  b.apply(read_ini_text(text, file_name));
  b.apply_env();
  return b.take();
}

}  // namespace sluice::config
