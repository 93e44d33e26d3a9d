// Registry: name -> vtable tables per extension kind, with duplicate detection across plugins.
#include "plugin/registry.hpp"

#include <cctype>

namespace sluice::plugin {

std::string_view extension_kind_name(sluice_extension_kind kind) {
  switch (kind) {
    case SLUICE_EXT_POOL_MODE:
      return "pool_mode";
    case SLUICE_EXT_AUTH_METHOD:
      return "auth_method";
    case SLUICE_EXT_ADMIN_COMMAND:
      return "admin_command";
    case SLUICE_EXT_METRICS_EXPORTER:
      return "metrics_exporter";
    default:
      return "";
  }
}

std::string Registry::admin_key(std::string_view name) {
  std::string key(name);
  for (char& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return key;
}

const Registry::Table* Registry::table(sluice_extension_kind kind) const {
  switch (kind) {
    case SLUICE_EXT_POOL_MODE:
      return &pool_modes_;
    case SLUICE_EXT_AUTH_METHOD:
      return &auth_methods_;
    case SLUICE_EXT_ADMIN_COMMAND:
      return &admin_commands_;
    case SLUICE_EXT_METRICS_EXPORTER:
      return &exporter_names_;
    default:
      return nullptr;
  }
}

const sluice_pool_mode_vtable* Registry::pool_mode(std::string_view name) const {
  const auto it = pool_modes_.find(name);
  return it == pool_modes_.end() ? nullptr
                                 : static_cast<const sluice_pool_mode_vtable*>(it->second.vtable);
}

const sluice_auth_method_vtable* Registry::auth_method(std::string_view name) const {
  const auto it = auth_methods_.find(name);
  return it == auth_methods_.end()
             ? nullptr
             : static_cast<const sluice_auth_method_vtable*>(it->second.vtable);
}

const sluice_admin_command_vtable* Registry::admin_command(std::string_view name) const {
  const auto it = admin_commands_.find(admin_key(name));
  return it == admin_commands_.end()
             ? nullptr
             : static_cast<const sluice_admin_command_vtable*>(it->second.vtable);
}

std::vector<std::string> Registry::names(sluice_extension_kind kind) const {
  std::vector<std::string> out;
  if (const Table* t = table(kind))
    for (const auto& [name, entry] : *t) out.push_back(name);
  return out;
}

void Registry::add_extension(const std::string& plugin_path, sluice_extension_kind kind,
                             const std::string& name, const void* vtable) {
  Table* t = table(kind);
  if (!t) throw PluginError("plugin " + plugin_path + ": unknown extension kind");
  const std::string key = kind == SLUICE_EXT_ADMIN_COMMAND ? admin_key(name) : name;
  const auto [it, inserted] = t->try_emplace(key, Entry{vtable, plugin_path});
  if (!inserted)
    throw PluginError("plugin " + plugin_path + ": duplicate " +
                      std::string(extension_kind_name(kind)) + " extension \"" + name +
                      "\" (already provided by " + it->second.provider + ")");
  if (kind == SLUICE_EXT_METRICS_EXPORTER)
    exporters_.push_back(static_cast<const sluice_metrics_exporter_vtable*>(vtable));
}

}  // namespace sluice::plugin
