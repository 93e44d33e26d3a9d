// Where the tests find the built plugins (the build tree's plugin directory).
#pragma once

#include <string>

inline std::string plugin_path(const std::string& name) {
  return std::string(SLUICE_BUILD_PLUGIN_DIR) + "/" + name + ".so";
}
