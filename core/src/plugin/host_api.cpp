// HostApiProvider: the callbacks of sluice_host_api, each a thin C shim over spdlog or OpenSSL.
#include "plugin/host_api.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <span>

#include "crypto/digest.hpp"
#include "crypto/random.hpp"

namespace sluice::plugin {
namespace {

detail::HostPluginContext* ctx(void* host_ctx) {
  return static_cast<detail::HostPluginContext*>(host_ctx);
}

const std::string& plugin_name(void* host_ctx) {
  return ctx(host_ctx)->name;
}

spdlog::level::level_enum to_spdlog(sluice_log_level level) {
  switch (level) {
    case SLUICE_LOG_DEBUG:
      return spdlog::level::debug;
    case SLUICE_LOG_INFO:
      return spdlog::level::info;
    case SLUICE_LOG_WARNING:
      return spdlog::level::warn;
    default:
      return spdlog::level::err;
  }
}

// A failed hash must never yield a predictable value both sides could agree on (an all-zero MD5
// would let a client forge "md5000..."). Fill the output with fresh random bytes so a comparison
// fails; if even that is impossible, stop the process rather than authenticate on garbage.
void poison(const char* what, void* host_ctx, uint8_t* out, size_t len) {
  spdlog::error("[{}] {} failed in OpenSSL (FIPS mode?); authentication using it will fail",
                plugin_name(host_ctx), what);
  if (RAND_bytes(out, static_cast<int>(len)) != 1) {
    spdlog::critical("RAND_bytes failed; cannot continue safely");
    std::abort();
  }
}

void log_cb(void* host_ctx, sluice_log_level level, const char* message) {
  spdlog::log(to_spdlog(level), "[{}] {}", plugin_name(host_ctx), message ? message : "");
}

int64_t config_cb(void* host_ctx, const char* key, char* buf, size_t buf_len) {
  if (!key) return -1;
  const auto value = ctx(host_ctx)->owner->config(key);
  if (!value) return -1;
  if (buf && buf_len) {
    const size_t n = std::min(value->size(), buf_len - 1);
    std::memcpy(buf, value->data(), n);
    buf[n] = '\0';
  }
  return static_cast<int64_t>(value->size());
}

void random_cb(void*, uint8_t* out, size_t len) {
  // Salts and nonces: a predictable value is a security hole, so failure is fatal (inside).
  if (len > 0) crypto::random_bytes(std::span<uint8_t>(out, len));
}

// A provider without the algorithm (FIPS) poisons the output.
void digest(crypto::DigestKind kind, const char* what, void* host_ctx, const uint8_t* data,
            size_t len, uint8_t* out, size_t out_len) {
  static const uint8_t kEmpty = 0;
  if (!crypto::digest(kind, std::span<const uint8_t>(data ? data : &kEmpty, data ? len : 0),
                      std::span<uint8_t>(out, out_len)))
    poison(what, host_ctx, out, out_len);
}

void md5_cb(void* host_ctx, const uint8_t* data, size_t len, uint8_t out[16]) {
  digest(crypto::DigestKind::kMd5, "MD5", host_ctx, data, len, out, 16);
}

void sha256_cb(void* host_ctx, const uint8_t* data, size_t len, uint8_t out[32]) {
  digest(crypto::DigestKind::kSha256, "SHA-256", host_ctx, data, len, out, 32);
}

void hmac_sha256_cb(void* host_ctx, const uint8_t* key, size_t key_len, const uint8_t* data,
                    size_t len, uint8_t out[32]) {
  unsigned int n = 0;
  // OpenSSL rejects a NULL key even with length 0; HMAC with an empty key is valid.
  static const uint8_t kEmpty = 0;
  if (!HMAC(EVP_sha256(), key ? key : &kEmpty, static_cast<int>(key_len), data ? data : &kEmpty,
            len, out, &n) ||
      n != 32)
    poison("HMAC-SHA-256", host_ctx, out, 32);
}

void pbkdf2_sha256_cb(void* host_ctx, const uint8_t* password, size_t password_len,
                      const uint8_t* salt, size_t salt_len, uint32_t iterations, uint8_t out[32]) {
  static const uint8_t kEmpty = 0;
  if (iterations == 0 || iterations > 0x7fffffffu ||
      PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(password ? password : &kEmpty),
                        static_cast<int>(password_len), salt ? salt : &kEmpty,
                        static_cast<int>(salt_len), static_cast<int>(iterations), EVP_sha256(), 32,
                        out) != 1)
    poison("PBKDF2-HMAC-SHA-256", host_ctx, out, 32);
}

sluice_status list_cb(void* host_ctx, sluice_list_kind kind, sluice_visit_fn visit,
                      void* visit_ctx) {
  if (!visit) return SLUICE_ERROR;
  auto source = ctx(host_ctx)->owner->state_source();
  if (!source || !source->list) return SLUICE_ERROR;
  try {
    return source->list(kind, visit, visit_ctx);
  } catch (const std::exception& e) {
    spdlog::error("[{}] list({}) failed: {}", plugin_name(host_ctx), kind, e.what());
    return SLUICE_ERROR;
  }
}

void state_cb(void* host_ctx, sluice_state_info* out) {
  if (!out || out->struct_size < sizeof(uint32_t) + sizeof(const char*)) return;
  auto source = ctx(host_ctx)->owner->state_source();
  if (source && source->state) {
    source->state(out);
  } else {
    static const char kVersion[] = "sluice";
    out->version = kVersion;
  }
}

}  // namespace

const sluice_host_api* HostApiProvider::api_for(const std::string& plugin_name) {
  std::lock_guard lock(contexts_mu_);
  auto& slot = contexts_[plugin_name];
  if (!slot) {
    slot = std::make_unique<detail::HostPluginContext>();
    slot->owner = this;
    slot->name = plugin_name;
    sluice_host_api& api = slot->api;
    api.struct_size = sizeof(api);
    api.abi_major = SLUICE_ABI_MAJOR;
    api.abi_minor = SLUICE_ABI_MINOR;
    api.host_ctx = slot.get();
    api.log = &log_cb;
    api.config_get = &config_cb;
    api.random_bytes = &random_cb;
    api.md5 = &md5_cb;
    api.sha256 = &sha256_cb;
    api.hmac_sha256 = &hmac_sha256_cb;
    api.pbkdf2_sha256 = &pbkdf2_sha256_cb;
    api.list = &list_cb;
    api.state = &state_cb;
  }
  return &slot->api;
}

void HostApiProvider::set_config_lookup(ConfigLookup lookup) {
  auto next = std::make_shared<const ConfigLookup>(std::move(lookup));
  std::lock_guard lock(lookup_mu_);
  lookup_ = std::move(next);
}

void HostApiProvider::set_state_source(StateSource source) {
  auto next = std::make_shared<const StateSource>(std::move(source));
  std::lock_guard lock(lookup_mu_);
  state_ = std::move(next);
}

std::shared_ptr<const HostApiProvider::StateSource> HostApiProvider::state_source() const {
  std::lock_guard lock(lookup_mu_);
  return state_;
}

std::optional<std::string> HostApiProvider::config(std::string_view key) const {
  std::shared_ptr<const ConfigLookup> lookup;
  {
    std::lock_guard lock(lookup_mu_);
    lookup = lookup_;
  }
  if (!lookup || !*lookup) return std::nullopt;
  return (*lookup)(key);  // outside the lock: a slow lookup never blocks a swap
}

}  // namespace sluice::plugin
