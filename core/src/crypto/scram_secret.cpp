// SCRAM-SHA-256 secret parsing and derivation.
#include "crypto/scram_secret.hpp"

#include <charconv>

#include "crypto/sha256.hpp"

namespace sluice::crypto {

namespace {
constexpr std::string_view kPrefix = "SCRAM-SHA-256$";
}  // namespace

std::optional<ScramSecret> parse_scram_secret(std::string_view s) {
  if (!s.starts_with(kPrefix)) return std::nullopt;
  s.remove_prefix(kPrefix.size());
  // <iterations>:<salt>$<StoredKey>:<ServerKey>
  const size_t dollar = s.find('$');
  if (dollar == std::string_view::npos) return std::nullopt;
  const std::string_view params = s.substr(0, dollar);
  const std::string_view keys = s.substr(dollar + 1);
  const size_t colon1 = params.find(':');
  const size_t colon2 = keys.find(':');
  if (colon1 == std::string_view::npos || colon2 == std::string_view::npos) return std::nullopt;

  ScramSecret out;
  const std::string_view iter_text = params.substr(0, colon1);
  auto [end, ec] =
      std::from_chars(iter_text.data(), iter_text.data() + iter_text.size(), out.iterations);
  if (ec != std::errc() || end != iter_text.data() + iter_text.size() || out.iterations < 1) {
    return std::nullopt;
  }
  auto salt = base64_decode(params.substr(colon1 + 1));
  auto stored_key = base64_decode(keys.substr(0, colon2));
  auto server_key = base64_decode(keys.substr(colon2 + 1));
  if (!salt || salt->empty() || !stored_key || stored_key->size() != kSha256Size || !server_key ||
      server_key->size() != kSha256Size) {
    return std::nullopt;
  }
  out.salt = std::move(*salt);
  out.stored_key = std::move(*stored_key);
  out.server_key = std::move(*server_key);
  return out;
}

ScramSecret make_scram_secret(std::string_view password, std::span<const uint8_t> salt,
                              int iterations) {
  const Sha256Digest salted = pbkdf2_hmac_sha256(password, salt, iterations);
  const Sha256Digest stored = sha256(hmac_sha256(salted, "Client Key"));
  const Sha256Digest server = hmac_sha256(salted, "Server Key");
  ScramSecret out;
  out.iterations = iterations;
  out.salt.assign(salt.begin(), salt.end());
  out.stored_key.assign(stored.begin(), stored.end());
  out.server_key.assign(server.begin(), server.end());
  return out;
}

std::string format_scram_secret(const ScramSecret& secret) {
  return std::string(kPrefix) + std::to_string(secret.iterations) + ":" +
         base64_encode(secret.salt) + "$" + base64_encode(secret.stored_key) + ":" +
         base64_encode(secret.server_key);
}

}  // namespace sluice::crypto
