// Cryptographically secure random bytes (salts, nonces, cancel keys).
#pragma once

#include <cstdint>
#include <span>

namespace sluice::crypto {

// Fills `out` from OpenSSL's CSPRNG (RAND_bytes). Aborts the process if the CSPRNG fails: a
// predictable salt or nonce is worse than no service.
void random_bytes(std::span<uint8_t> out);

}  // namespace sluice::crypto
