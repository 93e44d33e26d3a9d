// A fake sluice host for plugin unit tests: a real sluice_host_api backed by an in-memory config
// map, captured log lines, scriptable random bytes and reference hash functions, plus a loader
// that dlopen()s a built plugin .so, checks its magic block and runs its init — so a plugin author
// tests the real shared object without the daemon.
//
// Crypto: the hashes come from sluice/testing/reference_crypto.hpp (portable, no OpenSSL), so
// sluice::sdk_testing needs nothing but libdl.
//
// Lifetime: a plugin keeps the host API pointer from init for ever, so the FakeHost must outlive
// every use of the plugins loaded through it. Plugins are never dlclose()d (as in the daemon).
#pragma once

#include <dlfcn.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/abi.h"
#include "sluice/build_flags.h"
#include "sluice/testing/reference_crypto.hpp"

namespace sluice::testing {

struct LogLine {
  sluice_log_level level;
  std::string message;
};

// ---- Driving an auth method
// ------------------------------------------------------------------------

struct AuthRequest {
  std::string user = "alice";
  std::string database = "app";
  std::optional<std::string> secret;  // nullopt: unknown user
  std::string client_addr = "127.0.0.1";
  bool is_unix_socket = false;
  bool is_tls = false;
};

// One answer of the plugin, copied out of the plugin-owned buffers.
struct AuthStep {
  sluice_status status = SLUICE_ERROR;
  sluice_auth_result result = SLUICE_AUTH_FAIL;
  uint8_t message_type = 0;
  std::vector<uint8_t> payload;
  std::string error_message;
  std::string error_sqlstate;  // "08P01" when the plugin left it NULL (abi.h)

  bool is_continue() const { return status == SLUICE_OK && result == SLUICE_AUTH_CONTINUE; }
  bool is_ok() const { return status == SLUICE_OK && result == SLUICE_AUTH_OK; }
  bool is_fail() const { return status != SLUICE_OK || result == SLUICE_AUTH_FAIL; }
  // For an 'R' message: the Authentication request code (first Int32, network order).
  int32_t auth_code() const {
    if (payload.size() < 4) return -1;
    return static_cast<int32_t>(uint32_t(payload[0]) << 24 | uint32_t(payload[1]) << 16 |
                                uint32_t(payload[2]) << 8 | uint32_t(payload[3]));
  }
};

// Runs one login through an auth method vtable as the daemon would: begin(), step()..., end().
class AuthDriver {
 public:
  AuthDriver(const sluice_auth_method_vtable* vt, AuthRequest request)
      : vt_(vt), request_(std::move(request)) {
    if (!vt_) throw std::invalid_argument("AuthDriver: NULL vtable");
    c_request_.struct_size = sizeof(c_request_);
    c_request_.user = request_.user.c_str();
    c_request_.database = request_.database.c_str();
    c_request_.secret = request_.secret ? request_.secret->c_str() : nullptr;
    c_request_.client_addr = request_.client_addr.c_str();
    c_request_.is_unix_socket = request_.is_unix_socket ? 1 : 0;
    c_request_.is_tls = request_.is_tls ? 1 : 0;
  }
  AuthDriver(const AuthDriver&) = delete;
  AuthDriver& operator=(const AuthDriver&) = delete;
  ~AuthDriver() { end(); }

  AuthStep begin() {
    if (begun_) throw std::logic_error("AuthDriver: begin() twice");
    sluice_auth_output out{};
    const sluice_status s = vt_->begin(vt_->ctx, &c_request_, &state_, &out);
    begun_ = s == SLUICE_OK;  // end() is owed only after a successful begin()
    return copy(s, out);
  }
  // A client message: `type` is 'p' for every password-ish message.
  AuthStep step(uint8_t type, std::span<const uint8_t> payload) {
    if (!begun_) throw std::logic_error("AuthDriver: step() before begin()");
    sluice_auth_output out{};
    const sluice_status s = vt_->step(vt_->ctx, state_, type, payload.data(),
                                      static_cast<uint32_t>(payload.size()), &out);
    return copy(s, out);
  }
  // A PasswordMessage ('p') carrying `password` as a NUL-terminated string.
  AuthStep send_password(std::string_view password) {
    std::vector<uint8_t> body(password.begin(), password.end());
    body.push_back(0);
    return step('p', body);
  }
  void end() {
    if (begun_) vt_->end(vt_->ctx, state_);
    begun_ = false;
    state_ = nullptr;
  }

 private:
  static AuthStep copy(sluice_status s, const sluice_auth_output& out) {
    AuthStep r;
    r.status = s;
    r.result = out.result;
    r.message_type = out.message_type;
    if (out.payload && out.payload_len)
      r.payload.assign(out.payload, out.payload + out.payload_len);
    if (out.error_message) r.error_message = out.error_message;
    r.error_sqlstate = out.error_sqlstate ? out.error_sqlstate : "08P01";
    return r;
  }

  const sluice_auth_method_vtable* vt_;
  AuthRequest request_;
  sluice_auth_request c_request_{};
  void* state_ = nullptr;
  bool begun_ = false;
};

// ---- Driving a pool mode
// ----------------------------------------------------------------------------

struct PoolDecision {
  sluice_status status = SLUICE_ERROR;
  sluice_pool_action action = SLUICE_POOL_KEEP;
  std::string error_message;
};

inline PoolDecision ready_for_query(const sluice_pool_mode_vtable* vt, char tx_status,
                                    uint32_t outstanding = 0, bool client_in_copy = false) {
  sluice_ready_event ev{};
  ev.struct_size = sizeof(ev);
  ev.tx_status = tx_status;
  ev.outstanding = outstanding;
  ev.client_in_copy = client_in_copy ? 1 : 0;
  sluice_pool_decision d{};
  PoolDecision r;
  r.status = vt->on_ready_for_query(vt->ctx, &ev, &d);
  r.action = d.action;
  if (d.error_message) r.error_message = d.error_message;
  return r;
}

// ---- A loaded plugin
// ----------------------------------------------------------------------------------

class FakePluginHandle {
 public:
  struct Extension {
    sluice_extension_kind kind;
    std::string name;
    const void* vtable;
  };

  const std::string& path() const { return path_; }
  const sluice_magic& magic() const { return *magic_; }
  std::string name() const { return magic_->name ? magic_->name : ""; }
  std::string version() const { return magic_->version ? magic_->version : ""; }
  const std::vector<Extension>& extensions() const { return extensions_; }

  // nullptr if the plugin does not provide that extension.
  const sluice_pool_mode_vtable* pool_mode(std::string_view name) const {
    return static_cast<const sluice_pool_mode_vtable*>(find(SLUICE_EXT_POOL_MODE, name));
  }
  const sluice_auth_method_vtable* auth_method(std::string_view name) const {
    return static_cast<const sluice_auth_method_vtable*>(find(SLUICE_EXT_AUTH_METHOD, name));
  }
  const sluice_admin_command_vtable* admin_command(std::string_view name) const {
    return static_cast<const sluice_admin_command_vtable*>(find(SLUICE_EXT_ADMIN_COMMAND, name));
  }
  const sluice_metrics_exporter_vtable* metrics_exporter(std::string_view name) const {
    return static_cast<const sluice_metrics_exporter_vtable*>(
        find(SLUICE_EXT_METRICS_EXPORTER, name));
  }
  // A driver for one login through auth method `name` (throws if absent).
  std::unique_ptr<AuthDriver> auth(std::string_view name, AuthRequest request) const {
    const auto* vt = auth_method(name);
    if (!vt) throw std::runtime_error(path_ + ": no auth method \"" + std::string(name) + "\"");
    return std::make_unique<AuthDriver>(vt, std::move(request));
  }

 private:
  friend class FakeHost;
  const void* find(sluice_extension_kind kind, std::string_view name) const {
    for (const auto& e : extensions_)
      if (e.kind == kind && e.name == name) return e.vtable;
    return nullptr;
  }

  std::string path_;
  const sluice_magic* magic_ = nullptr;
  std::vector<Extension> extensions_;
};

// ---- The fake host
// ------------------------------------------------------------------------------------

class FakeHost {
 public:
  FakeHost() {
    api_.struct_size = sizeof(api_);
    api_.abi_major = SLUICE_ABI_MAJOR;
    api_.abi_minor = SLUICE_ABI_MINOR;
    api_.host_ctx = this;
    api_.log = &FakeHost::log_cb;
    api_.config_get = &FakeHost::config_cb;
    api_.random_bytes = &FakeHost::random_cb;
    api_.md5 = [](void*, const uint8_t* d, size_t n, uint8_t out[16]) {
      const auto h = crypto::md5({d, n});
      std::memcpy(out, h.data(), h.size());
    };
    api_.sha256 = [](void*, const uint8_t* d, size_t n, uint8_t out[32]) {
      const auto h = crypto::sha256({d, n});
      std::memcpy(out, h.data(), h.size());
    };
    api_.hmac_sha256 = [](void*, const uint8_t* k, size_t kn, const uint8_t* d, size_t n,
                          uint8_t out[32]) {
      const auto h = crypto::hmac_sha256({k, kn}, {d, n});
      std::memcpy(out, h.data(), h.size());
    };
    api_.pbkdf2_sha256 = [](void*, const uint8_t* p, size_t pn, const uint8_t* s, size_t sn,
                            uint32_t iterations, uint8_t out[32]) {
      const auto h = crypto::pbkdf2_sha256({p, pn}, {s, sn}, iterations);
      std::memcpy(out, h.data(), h.size());
    };
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const sluice_host_api* api() const { return &api_; }

  // Configuration seen through config_get.
  void set_config(std::string key, std::string value) {
    std::lock_guard lock(mu_);
    config_[std::move(key)] = std::move(value);
  }
  void unset_config(const std::string& key) {
    std::lock_guard lock(mu_);
    config_.erase(key);
  }

  // Log lines written by plugins, in order.
  std::vector<LogLine> logs() const {
    std::lock_guard lock(mu_);
    return logs_;
  }
  bool has_log(std::string_view needle) const {
    std::lock_guard lock(mu_);
    return std::any_of(logs_.begin(), logs_.end(), [&](const LogLine& l) {
      return l.message.find(needle) != std::string::npos;
    });
  }
  void clear_logs() {
    std::lock_guard lock(mu_);
    logs_.clear();
  }

  // Random bytes: queued bytes first, then a deterministic stream from the seed (default), or the
  // system's real randomness after use_real_random().
  void queue_random(std::span<const uint8_t> bytes) {
    std::lock_guard lock(mu_);
    queued_random_.insert(queued_random_.end(), bytes.begin(), bytes.end());
  }
  void set_random_seed(uint64_t seed) {
    std::lock_guard lock(mu_);
    prng_.seed(seed);
  }
  void use_real_random(bool on = true) {
    std::lock_guard lock(mu_);
    real_random_ = on;
  }

  // dlopen()s a plugin, checks its magic block like the daemon, runs init with this host.
  // Throws std::runtime_error("plugin <path>: <reason>") on any refusal.
  FakePluginHandle load(const std::string& so_path) {
    auto fail = [&](const std::string& why) -> std::runtime_error {
      return std::runtime_error("plugin " + so_path + ": " + why);
    };
    // Never dlclose()d: the plugin's code and statics must outlive every pointer we hand out.
    void* handle = dlopen(so_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* err = dlerror();
      throw fail(std::string("dlopen failed: ") + (err ? err : "unknown error"));
    }
    void* magic_sym = dlsym(handle, SLUICE_MAGIC_SYMBOL);
    if (!magic_sym) throw fail("no magic: symbol " SLUICE_MAGIC_SYMBOL " not found");
    sluice_magic_fn magic_fn;
    std::memcpy(&magic_fn, &magic_sym, sizeof(magic_fn));
    const sluice_magic* magic = magic_fn();
    if (!magic) throw fail("no magic: " SLUICE_MAGIC_SYMBOL " returned NULL");
    const size_t min_magic = SLUICE_SIZE_THROUGH(sluice_magic, sdk_version);
    if (magic->struct_size >= SLUICE_SIZE_THROUGH(sluice_magic, abi_major) &&
        magic->abi_major != SLUICE_ABI_MAJOR)
      throw fail("abi_major: plugin has " + std::to_string(magic->abi_major) + ", host has " +
                 std::to_string(SLUICE_ABI_MAJOR));
    if (magic->struct_size < min_magic)
      throw fail("struct_size of sluice_magic: plugin has " + std::to_string(magic->struct_size) +
                 ", host needs at least " + std::to_string(min_magic));
    if (magic->abi_minor > SLUICE_ABI_MINOR)
      throw fail("abi_minor: plugin needs host >= " + std::to_string(magic->abi_major) + "." +
                 std::to_string(magic->abi_minor) + ", host has " +
                 std::to_string(SLUICE_ABI_MAJOR) + "." + std::to_string(SLUICE_ABI_MINOR));
    const uint32_t host_flags = SLUICE_COMPILED_BUILD_FLAGS & SLUICE_BUILD_FLAGS_MUST_MATCH;
    const uint32_t plugin_flags = magic->build_flags & SLUICE_BUILD_FLAGS_MUST_MATCH;
    if (host_flags != plugin_flags)
      throw fail("build_flags: plugin has " + flag_names(plugin_flags) + ", host has " +
                 flag_names(host_flags));
    if (!magic->name) throw fail("magic name is NULL");

    void* init_sym = dlsym(handle, SLUICE_INIT_SYMBOL);
    if (!init_sym) throw fail("no init: symbol " SLUICE_INIT_SYMBOL " not found");
    sluice_init_fn init_fn;
    std::memcpy(&init_fn, &init_sym, sizeof(init_fn));
    char error_buf[512] = {};
    const sluice_plugin_descriptor* desc = nullptr;
    if (init_fn(&api_, &desc, error_buf, sizeof(error_buf)) != SLUICE_OK) {
      error_buf[sizeof(error_buf) - 1] = '\0';
      throw fail(std::string("init failed: ") + (error_buf[0] ? error_buf : "(no reason given)"));
    }
    if (!desc) throw fail("init returned a NULL descriptor");
    if (desc->struct_size < SLUICE_SIZE_THROUGH(sluice_plugin_descriptor, extensions))
      throw fail("struct_size of sluice_plugin_descriptor too small");
    if (desc->extension_count && !desc->extensions) throw fail("descriptor lists no extensions");

    FakePluginHandle h;
    h.path_ = so_path;
    h.magic_ = magic;
    for (uint32_t i = 0; i < desc->extension_count; ++i) {
      const sluice_extension& e = desc->extensions[i];
      if (e.struct_size < SLUICE_SIZE_THROUGH(sluice_extension, vtable))
        throw fail("extension #" + std::to_string(i) + ": struct_size too small");
      if (!e.name) throw fail("extension #" + std::to_string(i) + " has a NULL name");
      if (!e.vtable) throw fail("extension \"" + std::string(e.name) + "\" has a NULL vtable");
      h.extensions_.push_back({e.kind, e.name, e.vtable});
    }
    return h;
  }

  static std::string flag_names(uint32_t flags) {
    std::string s;
    if (flags & SLUICE_BUILD_FLAG_DEBUG) s += "debug+";
    if (flags & SLUICE_BUILD_FLAG_ASAN) s += "asan+";
    if (flags & SLUICE_BUILD_FLAG_TSAN) s += "tsan+";
    if (s.empty()) return "none";
    s.pop_back();
    return s;
  }

 private:
  static FakeHost* self(void* ctx) { return static_cast<FakeHost*>(ctx); }

  static void log_cb(void* ctx, sluice_log_level level, const char* message) {
    FakeHost* h = self(ctx);
    std::lock_guard lock(h->mu_);
    h->logs_.push_back({level, message ? message : ""});
  }
  static int64_t config_cb(void* ctx, const char* key, char* buf, size_t buf_len) {
    FakeHost* h = self(ctx);
    std::lock_guard lock(h->mu_);
    const auto it = key ? h->config_.find(key) : h->config_.end();
    if (it == h->config_.end()) return -1;
    const std::string& v = it->second;
    if (buf && buf_len) {
      const size_t n = std::min(v.size(), buf_len - 1);
      std::memcpy(buf, v.data(), n);
      buf[n] = '\0';
    }
    return static_cast<int64_t>(v.size());
  }
  static void random_cb(void* ctx, uint8_t* out, size_t len) {
    FakeHost* h = self(ctx);
    std::lock_guard lock(h->mu_);
    for (size_t i = 0; i < len; ++i) {
      if (!h->queued_random_.empty()) {
        out[i] = h->queued_random_.front();
        h->queued_random_.pop_front();
      } else if (h->real_random_) {
        out[i] = static_cast<uint8_t>(h->device_());
      } else {
        out[i] = static_cast<uint8_t>(h->prng_() >> 24);
      }
    }
  }

  sluice_host_api api_{};
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> config_;
  std::vector<LogLine> logs_;
  std::deque<uint8_t> queued_random_;
  std::mt19937_64 prng_{0x5eed};
  std::random_device device_;
  bool real_random_ = false;
};

}  // namespace sluice::testing
