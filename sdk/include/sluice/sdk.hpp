// The header-only C++20 layer of the sluice SDK: C++ bases for each extension kind, compiled INTO
// each plugin, turned into the pure C vtables of sluice/abi.h by static trampolines.
//
// Nothing C++ crosses the .so boundary: every trampoline catches every exception and fails closed
// (auth: SLUICE_AUTH_FAIL "internal error in auth plugin"; other hooks: SLUICE_ERROR). Objects
// given to the Registrar live for the whole process — plugins are never unloaded.
//
// Usage (one line at the bottom of the plugin's .cpp):
//   static void init(sluice::sdk::Registrar& r) {
//     r.add_pool_mode("session", std::make_unique<SessionMode>());
//   }
//   SLUICE_PLUGIN("pool_session", "1.0", init)
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sluice/abi.h"
#include "sluice/build_flags.h"

namespace sluice::sdk {

// ---- Host
// -----------------------------------------------------------------------------------------

// Thin, copyable wrapper of the host API. Every call is thread-safe (abi.h). A callback the host
// does not offer (older host, smaller struct_size) throws std::logic_error, which the trampolines
// turn into a closed failure.
class Host {
 public:
  Host() = default;
  explicit Host(const sluice_host_api* api) : api_(api) {}

  const sluice_host_api* raw() const { return api_; }
  explicit operator bool() const { return api_ != nullptr; }

  void log(sluice_log_level level, std::string_view message) const {
    if (!api_ || !offers(SLUICE_SIZE_THROUGH(sluice_host_api, log)) || !api_->log) return;
    const std::string copy(message);  // the ABI wants a NUL-terminated string
    api_->log(api_->host_ctx, level, copy.c_str());
  }
  void debug(std::string_view m) const { log(SLUICE_LOG_DEBUG, m); }
  void info(std::string_view m) const { log(SLUICE_LOG_INFO, m); }
  void warning(std::string_view m) const { log(SLUICE_LOG_WARNING, m); }
  void error(std::string_view m) const { log(SLUICE_LOG_ERROR, m); }

  // The current value of a [pgbouncer] key as SHOW CONFIG prints it; nullopt if unknown or unset.
  std::optional<std::string> config(std::string_view key) const {
    require(SLUICE_SIZE_THROUGH(sluice_host_api, config_get), api_ ? api_->config_get : nullptr,
            "config_get");
    const std::string k(key);
    std::string buf(256, '\0');
    for (int attempt = 0; attempt < 4; ++attempt) {
      const int64_t len = api_->config_get(api_->host_ctx, k.c_str(), buf.data(), buf.size());
      if (len < 0) return std::nullopt;
      if (static_cast<uint64_t>(len) < buf.size()) {
        buf.resize(static_cast<size_t>(len));
        return buf;
      }
      buf.assign(static_cast<size_t>(len) + 1, '\0');  // value grew or was truncated: retry
    }
    throw std::runtime_error("config value of " + k + " keeps changing size");
  }

  // Cryptographically secure random bytes.
  void random(std::span<uint8_t> out) const {
    require(SLUICE_SIZE_THROUGH(sluice_host_api, random_bytes), api_ ? api_->random_bytes : nullptr,
            "random_bytes");
    api_->random_bytes(api_->host_ctx, out.data(), out.size());
  }

  std::array<uint8_t, 16> md5(std::span<const uint8_t> data) const {
    require(SLUICE_SIZE_THROUGH(sluice_host_api, md5), api_ ? api_->md5 : nullptr, "md5");
    std::array<uint8_t, 16> out{};
    api_->md5(api_->host_ctx, data.data(), data.size(), out.data());
    return out;
  }
  std::array<uint8_t, 16> md5(std::string_view data) const { return md5(as_bytes(data)); }
  // Lower-case hex of md5(data), as PostgreSQL's pg_md5_hash() produces.
  std::string md5_hex(std::string_view data) const { return to_hex(md5(data)); }

  std::array<uint8_t, 32> sha256(std::span<const uint8_t> data) const {
    require(SLUICE_SIZE_THROUGH(sluice_host_api, sha256), api_ ? api_->sha256 : nullptr, "sha256");
    std::array<uint8_t, 32> out{};
    api_->sha256(api_->host_ctx, data.data(), data.size(), out.data());
    return out;
  }
  std::array<uint8_t, 32> hmac_sha256(std::span<const uint8_t> key,
                                      std::span<const uint8_t> data) const {
    require(SLUICE_SIZE_THROUGH(sluice_host_api, hmac_sha256), api_ ? api_->hmac_sha256 : nullptr,
            "hmac_sha256");
    std::array<uint8_t, 32> out{};
    api_->hmac_sha256(api_->host_ctx, key.data(), key.size(), data.data(), data.size(), out.data());
    return out;
  }
  // PBKDF2-HMAC-SHA-256, one block (SCRAM's Hi()). May take milliseconds.
  std::array<uint8_t, 32> pbkdf2_sha256(std::span<const uint8_t> password,
                                        std::span<const uint8_t> salt, uint32_t iterations) const {
    require(SLUICE_SIZE_THROUGH(sluice_host_api, pbkdf2_sha256),
            api_ ? api_->pbkdf2_sha256 : nullptr, "pbkdf2_sha256");
    std::array<uint8_t, 32> out{};
    api_->pbkdf2_sha256(api_->host_ctx, password.data(), password.size(), salt.data(), salt.size(),
                        iterations, out.data());
    return out;
  }

  // Whether the host offers list() (ABI 0.2).
  bool offers_list() const {
    return api_ && offers(SLUICE_SIZE_THROUGH(sluice_host_api, list)) && api_->list;
  }
  // Calls fn(const T&) for every item of list `kind` (SLUICE_LIST_*; T is the struct abi.h names
  // for it). Each item is first copied into a zeroed T, so fields an older host does not fill read
  // as zero; its strings live only during the call, so fn copies what it keeps. An exception from
  // fn ends the visit and is rethrown after list() returns: it never crosses the host's frames.
  // Returns false when the host refuses the kind (unknown, or not available on this thread);
  // throws std::logic_error when the host has no list().
  template <typename T, typename Fn>
  bool visit(sluice_list_kind kind, Fn&& fn) const {
    if (!offers_list()) throw std::logic_error("host does not offer list()");
    using F = std::remove_reference_t<Fn>;
    struct Ctx {
      F* fn;
      std::exception_ptr error;
    } ctx{&fn, nullptr};
    const sluice_visit_fn each = [](void* c, const void* item) {
      auto* x = static_cast<Ctx*>(c);
      if (x->error || !item) return;
      try {
        T copy{};
        uint32_t size = 0;
        std::memcpy(&size, item, sizeof(size));
        std::memcpy(&copy, item, size < sizeof(T) ? size : sizeof(T));
        (*x->fn)(static_cast<const T&>(copy));
      } catch (...) {
        x->error = std::current_exception();
      }
    };
    const sluice_status status = api_->list(api_->host_ctx, kind, each, &ctx);
    if (ctx.error) std::rethrow_exception(ctx.error);
    return status == SLUICE_OK;
  }

  static std::span<const uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }
  static std::string to_hex(std::span<const uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (const uint8_t b : bytes) {
      hex.push_back(kDigits[b >> 4]);
      hex.push_back(kDigits[b & 0xf]);
    }
    return hex;
  }

 private:
  bool offers(size_t size_through) const { return api_->struct_size >= size_through; }
  template <typename Fn>
  void require(size_t size_through, Fn fn, const char* what) const {
    if (!api_ || !offers(size_through) || !fn)
      throw std::logic_error(std::string("host does not offer ") + what);
  }

  const sluice_host_api* api_ = nullptr;
};

// Compares two byte strings in time that depends only on their lengths (no early exit on the first
// difference), for secrets and proofs.
inline bool constant_time_equal(std::string_view a, std::string_view b) {
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

// ---- Pool mode
// ------------------------------------------------------------------------------------

struct Decision {
  sluice_pool_action action = SLUICE_POOL_KEEP;
  const char* error_message = nullptr;  // static string, for close_client()

  static Decision keep() { return {SLUICE_POOL_KEEP, nullptr}; }
  static Decision release() { return {SLUICE_POOL_RELEASE, nullptr}; }
  // `static_message` must be a string literal or otherwise live forever (abi.h OWNERSHIP).
  static Decision close_client(const char* static_message) {
    return {SLUICE_POOL_CLOSE_CLIENT, static_message};
  }
};

// THREAD: on_ready_for_query is called on any shard thread, concurrently; keep it stateless or
// synchronise yourself, and never block.
class PoolMode {
 public:
  virtual ~PoolMode() = default;
  virtual uint32_t flags() const { return 0; }  // SLUICE_POOL_FLAG_*
  virtual Decision on_ready_for_query(const sluice_ready_event& event) = 0;
};

// ---- Auth method
// ----------------------------------------------------------------------------------

// What an auth hook answers. Owns the payload and the error strings, so the pointers handed to the
// host stay valid until the next hook call for the same session or end() (abi.h LIFETIME).
class Output {
 public:
  // CONTINUE: send backend message `type` with `payload` (body without type and length).
  void send(uint8_t type, std::span<const uint8_t> payload) {
    result_ = SLUICE_AUTH_CONTINUE;
    type_ = type;
    payload_.assign(payload.begin(), payload.end());
  }
  // CONTINUE with an AuthenticationXXX request: 'R', Int32 code, then `extra` (protocol docs,
  // "Message Formats": AuthenticationMD5Password is code 5 followed by a 4-byte salt).
  void send_auth_request(int32_t code, std::span<const uint8_t> extra = {}) {
    result_ = SLUICE_AUTH_CONTINUE;
    type_ = 'R';
    payload_.clear();
    payload_.reserve(4 + extra.size());  // one allocation, not one per growth step
    const auto u = static_cast<uint32_t>(code);
    payload_.push_back(static_cast<uint8_t>(u >> 24));
    payload_.push_back(static_cast<uint8_t>(u >> 16));
    payload_.push_back(static_cast<uint8_t>(u >> 8));
    payload_.push_back(static_cast<uint8_t>(u));
    payload_.insert(payload_.end(), extra.begin(), extra.end());
  }
  // Authenticated; the host sends AuthenticationOk itself.
  void ok() {
    result_ = SLUICE_AUTH_OK;
    type_ = 0;
    payload_.clear();
  }
  // Authenticated; the host first sends backend message `type` with `payload` (no reply awaited),
  // e.g. AuthenticationSASLFinal, then AuthenticationOk. Needs a host >= 0.3.
  void ok_after(uint8_t type, std::span<const uint8_t> payload) {
    result_ = SLUICE_AUTH_OK;
    type_ = type;
    payload_.assign(payload.begin(), payload.end());
  }
  // With ok()/ok_after(): SCRAM keys for pass-through to servers (abi.h, sluice_auth_output).
  void set_scram_keys(std::span<const uint8_t, 32> client_key,
                      std::span<const uint8_t, 32> server_key) {
    std::copy(client_key.begin(), client_key.end(), client_key_.begin());
    std::copy(server_key.begin(), server_key.end(), server_key_.begin());
    has_keys_ = true;
  }
  // Refused; the host sends FATAL `sqlstate` `message`.
  void fail(std::string message, std::string sqlstate = "28P01") {
    result_ = SLUICE_AUTH_FAIL;
    payload_.clear();
    error_message_ = std::move(message);
    error_sqlstate_ = std::move(sqlstate);
  }

  sluice_auth_result result() const { return result_; }
  bool has_scram_keys() const { return has_keys_; }
  const std::array<uint8_t, 32>& scram_client_key() const { return client_key_; }
  const std::array<uint8_t, 32>& scram_server_key() const { return server_key_; }
  uint8_t message_type() const { return type_; }
  std::span<const uint8_t> payload() const { return payload_; }
  const std::string& error_message() const { return error_message_; }
  const std::string& error_sqlstate() const { return error_sqlstate_; }

  // Copies pointers into the C struct; they point into this object.
  void fill(sluice_auth_output* out) const {
    std::memset(out, 0, sizeof(*out));
    out->struct_size = sizeof(sluice_auth_output);
    out->result = result_;
    if (result_ == SLUICE_AUTH_CONTINUE) {
      out->message_type = type_;
      out->payload = payload_.data();
      out->payload_len = static_cast<uint32_t>(payload_.size());
    } else if (result_ == SLUICE_AUTH_FAIL) {
      out->error_message = error_message_.c_str();
      out->error_sqlstate = error_sqlstate_.c_str();
    } else if (result_ == SLUICE_AUTH_OK) {
      if (type_ != 0) {
        out->ok_message_type = type_;
        out->ok_payload = payload_.data();
        out->ok_payload_len = static_cast<uint32_t>(payload_.size());
      }
      if (has_keys_) {
        out->scram_client_key = client_key_.data();
        out->scram_server_key = server_key_.data();
      }
    }
  }

 private:
  // A hook that forgets to answer fails closed.
  sluice_auth_result result_ = SLUICE_AUTH_FAIL;
  uint8_t type_ = 0;
  std::vector<uint8_t> payload_;
  std::string error_message_ = "internal error in auth plugin";
  std::string error_sqlstate_ = "XX000";
  std::array<uint8_t, 32> client_key_{};
  std::array<uint8_t, 32> server_key_{};
  bool has_keys_ = false;
};

// One login attempt. THREAD: one shard thread at a time; must not block.
class AuthSession {
 public:
  virtual ~AuthSession() = default;
  // The first answer, right after begin(): usually out.send_auth_request(...), or ok()/fail().
  virtual void first(Output& out) = 0;
  // A client reply (`type` is 'p' for every password-ish message), until ok() or fail().
  virtual void step(uint8_t type, std::span<const uint8_t> payload, Output& out) {
    (void)type;
    (void)payload;
    out.fail("unexpected authentication message", "08P01");
  }
};

// An auth_type. begin() is called concurrently from shard threads; request strings live until the
// session ends, so a session may keep string_views into them.
class AuthMethod {
 public:
  virtual ~AuthMethod() = default;
  virtual std::unique_ptr<AuthSession> begin(const sluice_auth_request& request) = 0;
};

// Null-safe views of request fields.
inline std::string_view request_user(const sluice_auth_request& r) {
  return r.user ? std::string_view(r.user) : std::string_view();
}
// The stored secret, or nullopt for an unknown user (run a mock exchange, then fail).
inline std::optional<std::string_view> request_secret(const sluice_auth_request& r) {
  if (!r.secret) return std::nullopt;
  return std::string_view(r.secret);
}

// The password of a client's PasswordMessage ('p', one NUL-terminated String filling the body).
// Anything else fails `out` with PostgreSQL's protocol-violation texts and returns nullopt.
inline std::optional<std::string_view> password_message(uint8_t type,
                                                        std::span<const uint8_t> payload,
                                                        Output& out) {
  if (type != 'p') {
    out.fail(std::string("expected password response, got message type ") + static_cast<char>(type),
             "08P01");
    return std::nullopt;
  }
  const std::string_view body(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (body.empty() || body.back() != '\0' || body.find('\0') != body.size() - 1) {
    out.fail("invalid password packet size", "08P01");
    return std::nullopt;
  }
  return body.substr(0, body.size() - 1);
}

// ---- Admin command
// --------------------------------------------------------------------------------

// The host's result writer for one admin command. THREAD: the execute() thread only.
class ResultWriter {
 public:
  explicit ResultWriter(const sluice_result_writer* w) : w_(w) {}
  void add_column(const char* name, uint32_t type_oid = SLUICE_TYPE_TEXT) {
    check(w_->add_column(w_->writer_ctx, name, type_oid));
  }
  // nullopt is SQL NULL.
  void add_row(std::span<const std::optional<std::string>> values) {
    std::vector<const char*> ptrs;
    ptrs.reserve(values.size());
    for (const auto& v : values) ptrs.push_back(v ? v->c_str() : nullptr);
    check(w_->add_row(w_->writer_ctx, ptrs.data(), static_cast<uint32_t>(ptrs.size())));
  }
  void add_row(std::initializer_list<const char*> values) {
    const std::vector<const char*> ptrs(values);
    check(w_->add_row(w_->writer_ctx, ptrs.data(), static_cast<uint32_t>(ptrs.size())));
  }
  void set_command_tag(const char* tag) { check(w_->set_command_tag(w_->writer_ctx, tag)); }
  void set_error(const char* sqlstate, const char* message) {
    check(w_->set_error(w_->writer_ctx, sqlstate, message));
  }
  void add_notice(const char* message, const char* detail = nullptr) {
    check(w_->add_notice(w_->writer_ctx, message, detail));
  }
  const sluice_result_writer* raw() const { return w_; }

 private:
  static void check(sluice_status s) {
    if (s != SLUICE_OK) throw std::runtime_error("result writer refused the call");
  }
  const sluice_result_writer* w_;
};

// THREAD: execute() runs on the console client's shard thread and must not block.
class AdminCommand {
 public:
  virtual ~AdminCommand() = default;
  virtual void execute(const sluice_admin_request& request, ResultWriter& out) = 0;
};

// ---- Metrics exporter
// -----------------------------------------------------------------------------

// THREAD: start() and stop() run on the control thread; the exporter runs its own threads.
class MetricsExporter {
 public:
  virtual ~MetricsExporter() = default;
  virtual void start() = 0;  // throw to refuse (the message reaches the operator)
  virtual void stop() noexcept = 0;
};

// ---- Trampolines
// ----------------------------------------------------------------------------------

namespace detail {

inline void copy_error(char* buf, size_t len, const char* message) {
  if (!buf || len == 0) return;
  std::snprintf(buf, len, "%s", message ? message : "(no reason)");
}

struct PoolModeTrampoline {
  static sluice_status on_ready_for_query(void* ctx, const sluice_ready_event* event,
                                          sluice_pool_decision* decision) noexcept {
    try {
      const Decision d = static_cast<PoolMode*>(ctx)->on_ready_for_query(*event);
      decision->struct_size = sizeof(sluice_pool_decision);
      decision->action = d.action;
      decision->error_message = d.error_message;
      return SLUICE_OK;
    } catch (...) {
      decision->struct_size = sizeof(sluice_pool_decision);
      decision->action = SLUICE_POOL_CLOSE_CLIENT;
      decision->error_message = "internal error in pool mode plugin";
      return SLUICE_ERROR;
    }
  }
};

// The plugin-owned session_state: the C++ session plus the output its pointers refer to.
struct AuthSessionBox {
  std::unique_ptr<AuthSession> session;
  Output output;
};

struct AuthTrampoline {
  static void fail_closed(sluice_auth_output* out) noexcept {
    std::memset(out, 0, sizeof(*out));
    out->struct_size = sizeof(sluice_auth_output);
    out->result = SLUICE_AUTH_FAIL;
    out->error_message = "internal error in auth plugin";
    out->error_sqlstate = "XX000";
  }
  // Always returns SLUICE_OK with a result, so the host calls end() exactly once; a failure inside
  // the plugin becomes SLUICE_AUTH_FAIL (fail closed), never an unauthenticated success.
  static sluice_status begin(void* ctx, const sluice_auth_request* request, void** session_state,
                             sluice_auth_output* out) noexcept {
    *session_state = nullptr;
    AuthSessionBox* box = nullptr;
    try {
      box = new AuthSessionBox();
      *session_state = box;
      box->session = static_cast<AuthMethod*>(ctx)->begin(*request);
      if (!box->session) throw std::logic_error("begin returned no session");
      box->session->first(box->output);
      box->output.fill(out);
    } catch (...) {
      fail_closed(out);
    }
    return SLUICE_OK;
  }
  static sluice_status step(void*, void* session_state, uint8_t message_type,
                            const uint8_t* payload, uint32_t payload_len,
                            sluice_auth_output* out) noexcept {
    auto* box = static_cast<AuthSessionBox*>(session_state);
    try {
      if (!box || !box->session) throw std::logic_error("no session");
      box->output = Output();
      box->session->step(message_type, std::span<const uint8_t>(payload, payload_len), box->output);
      box->output.fill(out);
    } catch (...) {
      fail_closed(out);
    }
    return SLUICE_OK;
  }
  static void end(void*, void* session_state) noexcept {
    try {
      delete static_cast<AuthSessionBox*>(session_state);
    } catch (...) {  // a throwing destructor must not cross the boundary either
    }
  }
};

struct AdminTrampoline {
  static sluice_status execute(void* ctx, const sluice_admin_request* request,
                               const sluice_result_writer* writer) noexcept {
    try {
      ResultWriter w(writer);
      static_cast<AdminCommand*>(ctx)->execute(*request, w);
      return SLUICE_OK;
    } catch (const std::exception& e) {
      const std::string msg = std::string("internal error in admin command plugin: ") + e.what();
      writer->set_error(writer->writer_ctx, "XX000", msg.c_str());
    } catch (...) {
      writer->set_error(writer->writer_ctx, "XX000", "internal error in admin command plugin");
    }
    return SLUICE_ERROR;
  }
};

struct ExporterTrampoline {
  static sluice_status start(void* ctx, char* error_buf, size_t error_buf_len) noexcept {
    try {
      static_cast<MetricsExporter*>(ctx)->start();
      return SLUICE_OK;
    } catch (const std::exception& e) {
      copy_error(error_buf, error_buf_len, e.what());
    } catch (...) {
      copy_error(error_buf, error_buf_len, "unknown exception in metrics exporter");
    }
    return SLUICE_ERROR;
  }
  static void stop(void* ctx) noexcept {
    try {
      static_cast<MetricsExporter*>(ctx)->stop();
    } catch (...) {
    }
  }
};

}  // namespace detail

// ---- Registrar
// ------------------------------------------------------------------------------------

// Collects a plugin's extensions during init. Everything it holds is deliberately leaked: the host
// keeps pointers into it for the whole process (plugins are never unloaded). Each init call gets a
// fresh Registrar, so a test host may run init more than once.
class Registrar {
 public:
  explicit Registrar(const sluice_host_api* host) : host_(host) {}
  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  // The host API, valid for the whole process: keep a copy in your extension objects.
  Host host() const { return host_; }

  void add_pool_mode(std::string name, std::unique_ptr<PoolMode> mode) {
    auto& vt = pool_modes_.emplace_back();
    vt.struct_size = sizeof(vt);
    vt.flags = mode->flags();
    vt.ctx = mode.release();
    vt.on_ready_for_query = &detail::PoolModeTrampoline::on_ready_for_query;
    add(SLUICE_EXT_POOL_MODE, std::move(name), &vt);
  }
  void add_auth_method(std::string name, std::unique_ptr<AuthMethod> method) {
    auto& vt = auth_methods_.emplace_back();
    vt.struct_size = sizeof(vt);
    vt.ctx = method.release();
    vt.begin = &detail::AuthTrampoline::begin;
    vt.step = &detail::AuthTrampoline::step;
    vt.end = &detail::AuthTrampoline::end;
    add(SLUICE_EXT_AUTH_METHOD, std::move(name), &vt);
  }
  // `name` is the command words, e.g. "SHOW POOLS".
  void add_admin_command(std::string name, std::unique_ptr<AdminCommand> command) {
    auto& vt = admin_commands_.emplace_back();
    vt.struct_size = sizeof(vt);
    vt.ctx = command.release();
    vt.execute = &detail::AdminTrampoline::execute;
    add(SLUICE_EXT_ADMIN_COMMAND, std::move(name), &vt);
  }
  void add_metrics_exporter(std::string name, std::unique_ptr<MetricsExporter> exporter) {
    auto& vt = exporters_.emplace_back();
    vt.struct_size = sizeof(vt);
    vt.ctx = exporter.release();
    vt.start = &detail::ExporterTrampoline::start;
    vt.stop = &detail::ExporterTrampoline::stop;
    add(SLUICE_EXT_METRICS_EXPORTER, std::move(name), &vt);
  }

  // Called by SLUICE_PLUGIN after init: the C descriptor, pointing into this Registrar.
  const sluice_plugin_descriptor* descriptor() {
    extensions_.clear();
    for (const auto& p : pending_) {
      sluice_extension e{};
      e.struct_size = sizeof(e);
      e.kind = p.kind;
      e.name = p.name.c_str();
      e.vtable = p.vtable;
      extensions_.push_back(e);
    }
    descriptor_.struct_size = sizeof(descriptor_);
    descriptor_.extension_count = static_cast<uint32_t>(extensions_.size());
    descriptor_.extensions = extensions_.data();
    return &descriptor_;
  }

 private:
  struct Pending {
    sluice_extension_kind kind;
    std::string name;
    const void* vtable;
  };
  void add(sluice_extension_kind kind, std::string name, const void* vtable) {
    pending_.push_back({kind, std::move(name), vtable});
  }

  Host host_;
  // deques: element addresses stay stable while more are added.
  std::deque<sluice_pool_mode_vtable> pool_modes_;
  std::deque<sluice_auth_method_vtable> auth_methods_;
  std::deque<sluice_admin_command_vtable> admin_commands_;
  std::deque<sluice_metrics_exporter_vtable> exporters_;
  std::deque<Pending> pending_;
  std::vector<sluice_extension> extensions_;
  sluice_plugin_descriptor descriptor_{};
};

namespace detail {

// The body of sluice_plugin_init: the exception barrier around the author's init function.
template <typename InitFn>
sluice_status run_init(InitFn&& init, const sluice_host_api* host,
                       const sluice_plugin_descriptor** out_descriptor, char* error_buf,
                       size_t error_buf_len) noexcept {
  if (out_descriptor) *out_descriptor = nullptr;
  try {
    if (!host || !out_descriptor) throw std::invalid_argument("host called init with NULL");
    if (host->abi_major != SLUICE_ABI_MAJOR)
      throw std::runtime_error("host ABI major " + std::to_string(host->abi_major) +
                               " differs from the plugin's " + std::to_string(SLUICE_ABI_MAJOR));
    auto registrar = std::make_unique<Registrar>(host);
    init(*registrar);
    *out_descriptor = registrar->descriptor();
    // Kept for ever: the host holds pointers into it for the whole process. A static root (not a
    // bare leak) so LeakSanitizer sees it as reachable.
    static auto* keep = new std::vector<std::unique_ptr<Registrar>>();
    keep->push_back(std::move(registrar));
    return SLUICE_OK;
  } catch (const std::exception& e) {
    copy_error(error_buf, error_buf_len, e.what());
  } catch (...) {
    copy_error(error_buf, error_buf_len, "unknown exception in plugin init");
  }
  return SLUICE_ERROR;
}

}  // namespace detail
}  // namespace sluice::sdk

// Defines the plugin's two exported symbols. `name_literal` should match the file name without
// ".so"; `init_function` is `void init(sluice::sdk::Registrar&)` and throws to refuse loading (the
// exception's what() reaches the operator as "plugin <file>: init failed: <what>").
#define SLUICE_PLUGIN(name_literal, version_literal, init_function)                             \
  extern "C" SLUICE_EXPORT const sluice_magic* sluice_plugin_magic(void) {                      \
    static const sluice_magic magic = {                                                         \
        sizeof(sluice_magic), SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR,  SLUICE_COMPILED_BUILD_FLAGS, \
        name_literal,         version_literal,  SLUICE_SDK_VERSION};                            \
    return &magic;                                                                              \
  }                                                                                             \
  extern "C" SLUICE_EXPORT sluice_status sluice_plugin_init(                                    \
      const sluice_host_api* host, const sluice_plugin_descriptor** out_descriptor,             \
      char* error_buf, size_t error_buf_len) {                                                  \
    return ::sluice::sdk::detail::run_init(init_function, host, out_descriptor, error_buf,      \
                                           error_buf_len);                                      \
  }
