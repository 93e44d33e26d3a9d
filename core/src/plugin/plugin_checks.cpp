// Magic block, descriptor and vtable checks. Minimum struct sizes are "size through the last field
// of ABI 0.1" (SLUICE_SIZE_THROUGH), so appending fields later never refuses an older plugin.
#include "plugin/plugin_checks.hpp"

#include <string_view>

#include "plugin/registry.hpp"
#include "sluice/build_flags.h"

namespace sluice::plugin {
namespace {

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  throw PluginError("plugin " + path + ": " + why);
}

void require_size(const std::string& path, std::string_view prefix, const char* type, uint32_t has,
                  size_t needs) {
  if (has < needs)
    refuse(path, std::string(prefix) + "struct_size of " + type + ": plugin has " +
                     std::to_string(has) + ", host needs at least " + std::to_string(needs));
}

void require_fn(const std::string& path, const std::string& what, bool present, const char* field) {
  if (!present) refuse(path, what + ": " + field + " is NULL");
}

}  // namespace

uint32_t host_build_flags() {
  return SLUICE_COMPILED_BUILD_FLAGS;
}

std::string build_flag_names(uint32_t flags) {
  std::string s;
  if (flags & SLUICE_BUILD_FLAG_DEBUG) s += "debug+";
  if (flags & SLUICE_BUILD_FLAG_ASAN) s += "asan+";
  if (flags & SLUICE_BUILD_FLAG_TSAN) s += "tsan+";
  if (s.empty()) return "none";
  s.pop_back();
  return s;
}

void check_magic(const std::string& path, const sluice_magic* magic, uint32_t host_flags) {
  if (!magic) refuse(path, "no magic: " SLUICE_MAGIC_SYMBOL " returned NULL");
  // struct_size, abi_major and abi_minor are the first three fields in every ABI version, so the
  // major can be compared before the rest of the layout is trusted.
  if (magic->struct_size >= SLUICE_SIZE_THROUGH(sluice_magic, abi_major) &&
      magic->abi_major != SLUICE_ABI_MAJOR)
    refuse(path, "abi_major: plugin has " + std::to_string(magic->abi_major) + ", host has " +
                     std::to_string(SLUICE_ABI_MAJOR));
  require_size(path, "", "sluice_magic", magic->struct_size,
               SLUICE_SIZE_THROUGH(sluice_magic, sdk_version));
  if (magic->abi_minor > SLUICE_ABI_MINOR)
    refuse(path, "abi_minor: plugin needs host >= " + std::to_string(magic->abi_major) + "." +
                     std::to_string(magic->abi_minor) + ", host has " +
                     std::to_string(SLUICE_ABI_MAJOR) + "." + std::to_string(SLUICE_ABI_MINOR));
  const uint32_t plugin_bits = magic->build_flags & SLUICE_BUILD_FLAGS_MUST_MATCH;
  const uint32_t host_bits = host_flags & SLUICE_BUILD_FLAGS_MUST_MATCH;
  if (plugin_bits != host_bits)
    refuse(path, "build_flags: plugin has " + build_flag_names(plugin_bits) + ", host has " +
                     build_flag_names(host_bits));
  if (!magic->name || !*magic->name) refuse(path, "magic: name is NULL or empty");
}

void check_descriptor(const std::string& path, const sluice_plugin_descriptor* descriptor) {
  if (!descriptor) refuse(path, "init returned a NULL descriptor");
  // sizeof of a pointer member is what is meant here.
  // NOLINTBEGIN(bugprone-sizeof-expression)
  require_size(path, "", "sluice_plugin_descriptor", descriptor->struct_size,
               SLUICE_SIZE_THROUGH(sluice_plugin_descriptor, extensions));
  // NOLINTEND(bugprone-sizeof-expression)
  if (descriptor->extension_count > 0 && !descriptor->extensions)
    refuse(path, "descriptor: extension_count is " + std::to_string(descriptor->extension_count) +
                     " but extensions is NULL");
}

void check_extension(const std::string& path, uint32_t index, const sluice_extension& ext) {
  const std::string where = "extension #" + std::to_string(index);
  require_size(path, where + ": ", "sluice_extension", ext.struct_size,
               SLUICE_SIZE_THROUGH(sluice_extension, vtable));
  if (!ext.name || !*ext.name) refuse(path, where + ": name is NULL or empty");
  const std::string_view kind = extension_kind_name(ext.kind);
  if (kind.empty())
    refuse(path,
           where + " \"" + ext.name + "\": unknown extension kind " + std::to_string(ext.kind));
  const std::string what = std::string(kind) + " extension \"" + ext.name + "\"";
  if (!ext.vtable) refuse(path, what + ": vtable is NULL");
  const uint32_t size = *static_cast<const uint32_t*>(ext.vtable);  // every vtable starts so
  const std::string prefix = what + ": ";
  switch (ext.kind) {
    case SLUICE_EXT_POOL_MODE: {
      require_size(path, prefix, "sluice_pool_mode_vtable", size,
                   SLUICE_SIZE_THROUGH(sluice_pool_mode_vtable, on_ready_for_query));
      const auto* vt = static_cast<const sluice_pool_mode_vtable*>(ext.vtable);
      require_fn(path, what, vt->on_ready_for_query != nullptr, "on_ready_for_query");
      break;
    }
    case SLUICE_EXT_AUTH_METHOD: {
      require_size(path, prefix, "sluice_auth_method_vtable", size,
                   SLUICE_SIZE_THROUGH(sluice_auth_method_vtable, end));
      const auto* vt = static_cast<const sluice_auth_method_vtable*>(ext.vtable);
      require_fn(path, what, vt->begin != nullptr, "begin");
      require_fn(path, what, vt->step != nullptr, "step");
      require_fn(path, what, vt->end != nullptr, "end");
      break;
    }
    case SLUICE_EXT_ADMIN_COMMAND: {
      require_size(path, prefix, "sluice_admin_command_vtable", size,
                   SLUICE_SIZE_THROUGH(sluice_admin_command_vtable, execute));
      const auto* vt = static_cast<const sluice_admin_command_vtable*>(ext.vtable);
      require_fn(path, what, vt->execute != nullptr, "execute");
      break;
    }
    case SLUICE_EXT_METRICS_EXPORTER: {
      require_size(path, prefix, "sluice_metrics_exporter_vtable", size,
                   SLUICE_SIZE_THROUGH(sluice_metrics_exporter_vtable, stop));
      const auto* vt = static_cast<const sluice_metrics_exporter_vtable*>(ext.vtable);
      require_fn(path, what, vt->start != nullptr, "start");
      require_fn(path, what, vt->stop != nullptr, "stop");
      break;
    }
    default:
      break;
  }
}

}  // namespace sluice::plugin
