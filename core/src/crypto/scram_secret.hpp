// PostgreSQL's stored SCRAM-SHA-256 secret ("verifier"): parse, derive and format.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::crypto {

// "SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>"
// (PostgreSQL docs, "Password Authentication"; src/backend/libpq/auth-scram.c).
struct ScramSecret {
  int iterations = 0;
  std::vector<uint8_t> salt, stored_key, server_key;
};

// nullopt unless the prefix matches, iterations is a positive integer, the salt is non-empty
// base64 and both keys decode to exactly 32 bytes.
std::optional<ScramSecret> parse_scram_secret(std::string_view s);
// StoredKey = H(HMAC(Hi(password, salt, i), "Client Key")),
// ServerKey = HMAC(Hi(password, salt, i), "Server Key") (RFC 5802 section 3). iterations >= 1.
ScramSecret make_scram_secret(std::string_view password, std::span<const uint8_t> salt,
                              int iterations);
// The textual form parse_scram_secret accepts.
std::string format_scram_secret(const ScramSecret& secret);

}  // namespace sluice::crypto
