// load_plugins(): Boost.DLL opens each shared object; plugin_checks validates what it exports.
#include "plugin/loader.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/dll/shared_library.hpp>
#include <cctype>
#include <filesystem>
#include <map>
#include <mutex>

#include "plugin/plugin_checks.hpp"

namespace sluice::plugin {
namespace {

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  throw PluginError("plugin " + path + ": " + why);
}

// Boost.DLL reports "boost::dll::shared_library::load() failed (dlerror system message: X): Y";
// the operator needs X, dlerror's own text.
std::string dlerror_text(const std::string& what) {
  static constexpr std::string_view kMarker = "(dlerror system message: ";
  const auto begin = what.find(kMarker);
  if (begin == std::string::npos) return what;
  const auto start = begin + kMarker.size();
  const auto end = what.rfind("):");
  if (end == std::string::npos || end < start) return what.substr(start);
  return what.substr(start, end - start);
}

// Plugins are never unloaded (abi.h: "static data of a plugin lives for the whole process", and
// other threads may still run their code at exit). Every opened library — even a refused one, whose
// static constructors already ran — is kept here, and this vector is deliberately never freed.
void keep_forever(boost::dll::shared_library library) {
  static std::mutex mu;
  static auto* libraries = new std::vector<boost::dll::shared_library>();  // leaked on purpose
  std::lock_guard lock(mu);
  libraries->push_back(std::move(library));
}

template <typename Fn>
Fn* symbol(const boost::dll::shared_library& library, const char* name) {
  if (!library.has(name)) return nullptr;
  return &library.get<Fn>(name);
}

LoadedPlugin load_one(const std::string& path, HostApiProvider& host, Registry& registry,
                      std::map<std::string, std::string>& names_seen) {
  std::error_code fs_ec;
  if (!std::filesystem::exists(path, fs_ec)) refuse(path, "file not found");

  boost::dll::shared_library library;
  try {
    library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    refuse(path, "dlopen failed: " + dlerror_text(e.what()));
  }
  const boost::dll::shared_library& lib = library;
  keep_forever(library);  // a copy: same handle, refcounted by the dynamic loader

  auto* magic_fn = symbol<const sluice_magic*()>(lib, SLUICE_MAGIC_SYMBOL);
  if (!magic_fn) refuse(path, "no magic: symbol " SLUICE_MAGIC_SYMBOL " not found");
  const sluice_magic* magic = magic_fn();
  check_magic(path, magic, host_build_flags());

  const std::string name = magic->name;
  if (const auto it = names_seen.find(name); it != names_seen.end())
    refuse(path, "duplicate plugin name \"" + name + "\" (already loaded from " + it->second + ")");
  names_seen.emplace(name, path);

  auto* init_fn = symbol<sluice_status(const sluice_host_api*, const sluice_plugin_descriptor**,
                                       char*, size_t)>(lib, SLUICE_INIT_SYMBOL);
  if (!init_fn) refuse(path, "no init: symbol " SLUICE_INIT_SYMBOL " not found");

  std::array<char, 1024> error_buf{};
  const sluice_plugin_descriptor* descriptor = nullptr;
  const sluice_status status =
      init_fn(host.api_for(name), &descriptor, error_buf.data(), error_buf.size());
  if (status != SLUICE_OK) {
    error_buf.back() = '\0';
    refuse(path,
           std::string("init failed: ") + (error_buf[0] ? error_buf.data() : "(no reason given)"));
  }
  check_descriptor(path, descriptor);

  LoadedPlugin plugin;
  plugin.path = path;
  plugin.name = name;
  plugin.version = magic->version ? magic->version : "";
  plugin.abi_major = magic->abi_major;
  plugin.abi_minor = magic->abi_minor;
  plugin.sdk_version = magic->sdk_version ? magic->sdk_version : "";
  for (uint32_t i = 0; i < descriptor->extension_count; ++i) {
    const sluice_extension& ext = descriptor->extensions[i];
    check_extension(path, i, ext);
    registry.add_extension(path, ext.kind, ext.name, ext.vtable);
    plugin.extensions.push_back(std::string(extension_kind_name(ext.kind)) + ":" + ext.name);
  }
  return plugin;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

std::vector<std::string> default_plugin_names() {
  return {"pool_session", "pool_transaction", "pool_statement",    "auth_any",
          "auth_trust",   "auth_plain",       "auth_md5",          "auth_scram",
          "admin_show",   "admin_advice",     "metrics_prometheus"};
}

std::vector<std::string> parse_plugin_list(std::string_view value) {
  std::vector<std::string> out;
  std::string current;
  for (const char c : value) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

std::string resolve_plugin_path(const std::string& dir, const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const std::string file = name.ends_with(".so") ? name : name + ".so";
  // An empty dir means the working directory; spell it so dlopen never searches system paths.
  return (std::filesystem::path(dir.empty() ? "." : dir) / file).string();
}

std::shared_ptr<const Registry> load_plugins(const std::string& dir,
                                             const std::vector<std::string>& names,
                                             HostApiProvider& host) {
  const std::vector<std::string> wanted = names.empty() ? default_plugin_names() : names;
  auto registry = std::make_shared<Registry>();
  std::map<std::string, std::string> names_seen;  // plugin name -> path
  for (const auto& n : wanted) {
    LoadedPlugin plugin = load_one(resolve_plugin_path(dir, n), host, *registry, names_seen);
    spdlog::info("loaded plugin {} {} from {} ({})", plugin.name, plugin.version, plugin.path,
                 join(plugin.extensions));
    registry->add_plugin(std::move(plugin));
  }
  return registry;
}

}  // namespace sluice::plugin
