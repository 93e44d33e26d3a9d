// Loads the configured plugin set into a Registry: resolve each name to a .so, open it with
// RTLD_NOW|RTLD_LOCAL, check the magic block before any other plugin code runs, run init, check and
// register every extension. Refusals throw PluginError naming the file, the field and both values.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/host_api.hpp"
#include "plugin/registry.hpp"

namespace sluice::plugin {

// What loads when the config key `plugins` is empty, so a plain pgbouncer.ini works unchanged.
std::vector<std::string> default_plugin_names();

// Splits the value of `plugins` (names separated by commas and/or whitespace).
std::vector<std::string> parse_plugin_list(std::string_view value);

// A name containing '/' is a path used as given (relative to the working directory); otherwise the
// file is `<dir>/<name>`, with ".so" appended unless the name already ends in ".so".
std::string resolve_plugin_path(const std::string& dir, const std::string& name);

// Loads `names` (or default_plugin_names() when empty) from `dir`. Call once, on the control
// thread, before any shard runs. The returned registry, the shared objects and `host` must live for
// the whole process: plugins are never unloaded (the shared objects are deliberately leaked).
// Throws PluginError on the first refused plugin; nothing is partially usable then.
std::shared_ptr<const Registry> load_plugins(const std::string& dir,
                                             const std::vector<std::string>& names,
                                             HostApiProvider& host);

}  // namespace sluice::plugin
