// The set of loaded plugins and their extensions, by kind and name. Filled once by the loader,
// then immutable and shared by every thread for the whole process.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/abi.h"

namespace sluice::plugin {

// A plugin was refused; what() names the file, the field and both values.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LoadedPlugin {
  std::string path;
  std::string name;
  std::string version;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  std::string sdk_version;
  std::vector<std::string> extensions;  // "pool_mode:session", "auth_method:md5", ...
};

// "pool_mode", "auth_method", "admin_command", "metrics_exporter"; "" for an unknown kind.
std::string_view extension_kind_name(sluice_extension_kind kind);

class Registry {
 public:
  // nullptr if absent. Admin command names match case-insensitively ("show pools" == "SHOW POOLS").
  const sluice_pool_mode_vtable* pool_mode(std::string_view name) const;
  const sluice_auth_method_vtable* auth_method(std::string_view name) const;
  const sluice_admin_command_vtable* admin_command(std::string_view name) const;
  std::vector<const sluice_metrics_exporter_vtable*> exporters() const { return exporters_; }
  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }

  // Sorted names, e.g. for "unknown pool_mode X (available: session, transaction)".
  std::vector<std::string> names(sluice_extension_kind kind) const;

  // ---- Loader only (the daemon sees a shared_ptr<const Registry>) ----
  // Throws PluginError "plugin <path>: duplicate <kind> extension "<name>" (already provided by
  // <other path>)". The vtable must already have been checked.
  void add_extension(const std::string& plugin_path, sluice_extension_kind kind,
                     const std::string& name, const void* vtable);
  void add_plugin(LoadedPlugin plugin) { plugins_.push_back(std::move(plugin)); }

 private:
  struct Entry {
    const void* vtable;
    std::string provider;  // path of the plugin that registered it
  };
  using Table = std::map<std::string, Entry, std::less<>>;
  const Table* table(sluice_extension_kind kind) const;
  Table* table(sluice_extension_kind kind) {
    return const_cast<Table*>(static_cast<const Registry*>(this)->table(kind));
  }
  static std::string admin_key(std::string_view name);

  Table pool_modes_, auth_methods_, admin_commands_, exporter_names_;
  std::vector<const sluice_metrics_exporter_vtable*> exporters_;
  std::vector<LoadedPlugin> plugins_;
};

}  // namespace sluice::plugin
