// The daemon's implementation of sluice_host_api: one struct per plugin (its host_ctx names the
// plugin for log lines), log -> spdlog, crypto -> OpenSSL, config_get -> a lookup the daemon
// installs.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/abi.h"

namespace sluice::plugin {

class HostApiProvider;

namespace detail {
// What a plugin's host_ctx points at: the plugin's name (for log lines) and the provider.
struct HostPluginContext {
  HostApiProvider* owner = nullptr;
  std::string name;
  sluice_host_api api{};
};
}  // namespace detail

// LIFETIME: plugins keep the sluice_host_api pointer from init for ever and may call it from any
// thread, so the provider must live for the whole process (create it once, never destroy it before
// exit — e.g. a function-local static or an object owned by main() that outlives all shards).
class HostApiProvider {
 public:
  // Returns the value of a [pgbouncer] key as SHOW CONFIG prints it, or nullopt if unknown/unset.
  using ConfigLookup = std::function<std::optional<std::string>(std::string_view key)>;

  HostApiProvider() = default;
  HostApiProvider(const HostApiProvider&) = delete;
  HostApiProvider& operator=(const HostApiProvider&) = delete;

  // The API handed to plugin `plugin_name`; the same stable pointer for the same name.
  // Thread-safe; normally called by the loader on the control thread.
  const sluice_host_api* api_for(const std::string& plugin_name);

  // Installs (or, on RELOAD, swaps) the config lookup. Thread-safe against concurrent config_get
  // calls from shards: a call in flight finishes with the lookup it started with. Until a lookup is
  // installed, config_get answers -1 (unset) for every key.
  void set_config_lookup(ConfigLookup lookup);

  // What config_get answers, for the daemon's own use and tests.
  std::optional<std::string> config(std::string_view key) const;

  // The pooler's state for list() and state() (ABI 0.2), installed by the daemon once, before
  // any plugin can call them. Until then list() answers SLUICE_ERROR and state() fills only
  // struct_size and version.
  struct StateSource {
    std::function<sluice_status(sluice_list_kind, sluice_visit_fn, void*)> list;
    std::function<void(sluice_state_info*)> state;
  };
  void set_state_source(StateSource source);
  std::shared_ptr<const StateSource> state_source() const;

 private:
  std::mutex contexts_mu_;
  std::map<std::string, std::unique_ptr<detail::HostPluginContext>> contexts_;
  mutable std::mutex lookup_mu_;
  std::shared_ptr<const ConfigLookup> lookup_;
  std::shared_ptr<const StateSource> state_;  // guarded by lookup_mu_
};

}  // namespace sluice::plugin
