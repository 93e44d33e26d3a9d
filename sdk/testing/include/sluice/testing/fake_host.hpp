// A fake sluice host for plugin unit tests: a real sluice_host_api backed by an in-memory config
// map, captured log lines, scriptable random bytes and reference hash functions, plus a loader
// that dlopen()s a built plugin .so, checks its magic block and runs its init — so a plugin author
// tests the real shared object without the daemon. Snapshots of the pooler's state (ABI 0.2
// list()/state()) are canned per list kind; AdminDriver runs an admin command with a recording
// result writer.
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
#include <functional>
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
  // OK only (ABI 0.3): the message sent before AuthenticationOk, and SCRAM pass-through keys.
  uint8_t ok_message_type = 0;
  std::vector<uint8_t> ok_payload;
  std::vector<uint8_t> scram_client_key;  // empty: none
  std::vector<uint8_t> scram_server_key;

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
    if (out.struct_size >= SLUICE_SIZE_THROUGH(sluice_auth_output, scram_server_key)) {
      r.ok_message_type = out.ok_message_type;
      if (out.ok_payload && out.ok_payload_len)
        r.ok_payload.assign(out.ok_payload, out.ok_payload + out.ok_payload_len);
      if (out.scram_client_key)
        r.scram_client_key.assign(out.scram_client_key, out.scram_client_key + 32);
      if (out.scram_server_key)
        r.scram_server_key.assign(out.scram_server_key, out.scram_server_key + 32);
    }
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

// ---- Driving an admin command
// ---------------------------------------------------------------------

// Everything an admin command wrote through its sluice_result_writer, in order.
struct AdminResult {
  struct Column {
    std::string name;
    uint32_t type_oid = 0;
    bool operator==(const Column&) const = default;
  };
  struct Notice {
    std::string message;
    std::optional<std::string> detail;
  };
  using Row = std::vector<std::optional<std::string>>;  // nullopt: SQL NULL

  sluice_status status = SLUICE_ERROR;  // what execute() returned
  std::vector<Column> columns;
  std::vector<Row> rows;
  std::vector<Notice> notices;
  std::optional<std::string> command_tag;
  std::optional<std::string> error_sqlstate;  // set_error() was called
  std::string error_message;
  // Calls the writer refused: a row of the wrong width, a column after the first row, anything
  // after set_error(), a second tag. Each entry describes the misuse.
  std::vector<std::string> misuse;

  bool is_error() const { return error_sqlstate.has_value(); }
  std::vector<std::string> column_names() const {
    std::vector<std::string> names;
    for (const auto& c : columns) names.push_back(c.name);
    return names;
  }
  // The column index of `name`, or -1.
  int column(std::string_view name) const {
    for (size_t i = 0; i < columns.size(); ++i)
      if (columns[i].name == name) return static_cast<int>(i);
    return -1;
  }
  // Row `row`'s value in column `name` ("<NULL>" for SQL NULL; throws if there is no such cell).
  std::string cell(size_t row, std::string_view name) const {
    const int c = column(name);
    if (c < 0 || row >= rows.size() || static_cast<size_t>(c) >= rows[row].size())
      throw std::out_of_range("AdminResult: no cell (" + std::to_string(row) + ", " +
                              std::string(name) + ")");
    const auto& v = rows[row][static_cast<size_t>(c)];
    return v ? *v : "<NULL>";
  }
};

// Runs admin command extensions as the daemon would, recording what they write.
class AdminDriver {
 public:
  struct Request {
    // The full query text; FakePluginHandle::admin() uses the command's name when empty.
    std::string command;
    std::optional<std::string> argument;
    std::string user = "admin";
    bool is_admin = true;
  };

  static AdminResult run(const sluice_admin_command_vtable* vt, const Request& request) {
    if (!vt) throw std::invalid_argument("AdminDriver: NULL vtable");
    AdminResult result;
    sluice_admin_request req{};
    req.struct_size = sizeof(req);
    req.command = request.command.c_str();
    req.argument = request.argument ? request.argument->c_str() : nullptr;
    req.user = request.user.c_str();
    req.is_admin = request.is_admin ? 1 : 0;
    sluice_result_writer w{};
    w.struct_size = sizeof(w);
    w.writer_ctx = &result;
    w.add_column = &add_column_cb;
    w.add_row = &add_row_cb;
    w.set_command_tag = &set_command_tag_cb;
    w.set_error = &set_error_cb;
    w.add_notice = &add_notice_cb;
    result.status = vt->execute(vt->ctx, &req, &w);
    return result;
  }
  static AdminResult run(const sluice_admin_command_vtable* vt, std::string command) {
    Request r;
    r.command = std::move(command);
    return run(vt, r);
  }

 private:
  static AdminResult& res(void* ctx) { return *static_cast<AdminResult*>(ctx); }
  static sluice_status refuse(AdminResult& r, std::string why) {
    r.misuse.push_back(std::move(why));
    return SLUICE_ERROR;
  }
  static sluice_status add_column_cb(void* ctx, const char* name, uint32_t type_oid) {
    AdminResult& r = res(ctx);
    if (r.is_error()) return refuse(r, "add_column after set_error");
    if (!r.rows.empty()) return refuse(r, "add_column after add_row");
    if (!name) return refuse(r, "add_column with a NULL name");
    r.columns.push_back({name, type_oid});
    return SLUICE_OK;
  }
  static sluice_status add_row_cb(void* ctx, const char* const* values, uint32_t count) {
    AdminResult& r = res(ctx);
    if (r.is_error()) return refuse(r, "add_row after set_error");
    if (count != r.columns.size())
      return refuse(r, "add_row with " + std::to_string(count) + " values for " +
                           std::to_string(r.columns.size()) + " columns");
    AdminResult::Row row;
    for (uint32_t i = 0; i < count; ++i)
      row.push_back(values && values[i] ? std::optional<std::string>(values[i]) : std::nullopt);
    r.rows.push_back(std::move(row));
    return SLUICE_OK;
  }
  static sluice_status set_command_tag_cb(void* ctx, const char* tag) {
    AdminResult& r = res(ctx);
    if (r.is_error()) return refuse(r, "set_command_tag after set_error");
    if (r.command_tag) return refuse(r, "set_command_tag twice");
    r.command_tag = tag ? tag : "";
    return SLUICE_OK;
  }
  static sluice_status set_error_cb(void* ctx, const char* sqlstate, const char* message) {
    AdminResult& r = res(ctx);
    if (r.is_error()) return refuse(r, "set_error twice");
    r.error_sqlstate = sqlstate ? sqlstate : "08P01";
    r.error_message = message ? message : "";
    return SLUICE_OK;
  }
  static sluice_status add_notice_cb(void* ctx, const char* message, const char* detail) {
    AdminResult& r = res(ctx);
    r.notices.push_back(
        {message ? message : "", detail ? std::optional<std::string>(detail) : std::nullopt});
    return SLUICE_OK;
  }
};

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
  // Runs admin command `name` (e.g. "SHOW POOLS") once and records its result (throws if absent).
  AdminResult admin(std::string_view name, AdminDriver::Request request = {}) const {
    const auto* vt = admin_command(name);
    if (!vt) throw std::runtime_error(path_ + ": no admin command \"" + std::string(name) + "\"");
    if (request.command.empty()) request.command = std::string(name);
    return AdminDriver::run(vt, request);
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
    api_.list = &FakeHost::list_cb;
    api_.state = &FakeHost::state_cb;
    state_.struct_size = sizeof(state_);
    state_.version = "sluice (fake host)";
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

  // ---- Snapshots of the pooler's state (ABI 0.2 list()/state())
  // A list kind without canned items makes list() answer SLUICE_ERROR, as the daemon does for an
  // unknown kind. Strings inside the structs are NOT copied: point them at literals or at storage
  // that outlives the test. struct_size is filled in when left 0.
  using ListSource = std::function<sluice_status(sluice_visit_fn visit, void* visit_ctx)>;

  template <typename Info>
  void set_list(sluice_list_kind kind, std::vector<Info> items) {
    for (Info& i : items)
      if (i.struct_size == 0) i.struct_size = sizeof(Info);
    set_list_source(kind, [items = std::move(items)](sluice_visit_fn visit, void* visit_ctx) {
      for (const Info& i : items) visit(visit_ctx, &i);
      return SLUICE_OK;
    });
  }
  // Full control: the source is called for every list(kind) call, outside the host's lock.
  void set_list_source(sluice_list_kind kind, ListSource source) {
    std::lock_guard lock(mu_);
    lists_[kind] = std::move(source);
  }
  void clear_list(sluice_list_kind kind) {
    std::lock_guard lock(mu_);
    lists_.erase(kind);
  }
  // What state() copies out (up to the caller's struct_size). Defaults: zeros, version
  // "sluice (fake host)".
  void set_state(const sluice_state_info& state) {
    std::lock_guard lock(mu_);
    state_ = state;
    state_.struct_size = sizeof(state_);
  }
  // Pretends to be an older host: the struct_size the plugin sees (e.g.
  // SLUICE_SIZE_THROUGH(sluice_host_api, pbkdf2_sha256) for ABI 0.1, without list()/state()).
  // The plugin keeps the pointer from init, so this also affects plugins already loaded.
  void set_api_struct_size(uint32_t size) { api_.struct_size = size; }
  // How many times list() was called for `kind`.
  int list_calls(sluice_list_kind kind) const {
    std::lock_guard lock(mu_);
    const auto it = list_calls_.find(kind);
    return it == list_calls_.end() ? 0 : it->second;
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

  static sluice_status list_cb(void* ctx, sluice_list_kind kind, sluice_visit_fn visit,
                               void* visit_ctx) {
    FakeHost* h = self(ctx);
    ListSource source;
    {
      std::lock_guard lock(h->mu_);
      ++h->list_calls_[kind];
      const auto it = h->lists_.find(kind);
      if (it == h->lists_.end() || !visit) return SLUICE_ERROR;
      source = it->second;
    }
    return source(visit, visit_ctx);
  }
  static void state_cb(void* ctx, sluice_state_info* out) {
    FakeHost* h = self(ctx);
    if (!out || out->struct_size < sizeof(uint32_t)) return;
    std::lock_guard lock(h->mu_);
    const uint32_t size = out->struct_size;
    std::memcpy(out, &h->state_, std::min<size_t>(size, sizeof(h->state_)));
    out->struct_size = size;
  }

  sluice_host_api api_{};
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> config_;
  std::vector<LogLine> logs_;
  std::deque<uint8_t> queued_random_;
  std::mt19937_64 prng_{0x5eed};
  std::random_device device_;
  bool real_random_ = false;
  std::map<sluice_list_kind, ListSource> lists_;
  std::map<sluice_list_kind, int> list_calls_;
  sluice_state_info state_{};
};

}  // namespace sluice::testing
