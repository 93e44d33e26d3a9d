// SHA-256, HMAC-SHA-256 and PBKDF2-HMAC-SHA-256 (SCRAM's Hi()), plus base64 for SCRAM's encodings.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "crypto/base64.hpp"  // base64_encode/base64_decode travel with the SCRAM primitives

namespace sluice::crypto {

inline constexpr size_t kSha256Size = 32;
using Sha256Digest = std::array<uint8_t, kSha256Size>;

Sha256Digest sha256(std::span<const uint8_t> data);
Sha256Digest sha256(std::string_view data);
Sha256Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data);
Sha256Digest hmac_sha256(std::span<const uint8_t> key, std::string_view data);
// Hi(str, salt, i) of RFC 5802 section 2.2 is PBKDF2 (RFC 8018) with HMAC-SHA-256 and one output
// block. The password is used as given: SASLprep (RFC 4013) is not applied, which matches
// PostgreSQL for ASCII passwords only. `iterations` must be >= 1.
Sha256Digest pbkdf2_hmac_sha256(std::string_view password, std::span<const uint8_t> salt,
                                int iterations);

// Constant-time equality (CRYPTO_memcmp) for comparing proofs and signatures.
bool constant_time_equal(std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace sluice::crypto
