// The checks a plugin must pass before and after its init runs: magic block (PostgreSQL's
// "magic block" idea), descriptor, and each extension with its vtable.
#pragma once

#include <cstdint>
#include <string>

#include "sluice/abi.h"

namespace sluice::plugin {

// The daemon's own SLUICE_COMPILED_BUILD_FLAGS (computed as the SDK macro computes a plugin's).
uint32_t host_build_flags();
// "asan", "asan+tsan", "none".
std::string build_flag_names(uint32_t flags);

// Each throws PluginError("plugin <path>: <field>: plugin has X, host has Y") on refusal.
void check_magic(const std::string& path, const sluice_magic* magic, uint32_t host_flags);
void check_descriptor(const std::string& path, const sluice_plugin_descriptor* descriptor);
void check_extension(const std::string& path, uint32_t index, const sluice_extension& extension);

}  // namespace sluice::plugin
