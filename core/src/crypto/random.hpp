// Cryptographically secure random bytes (salts, nonces, cancel keys).
#pragma once

#include <cstdint>
#include <span>

namespace sluice::crypto {

// Fills `out` from the kernel's CSPRNG (getrandom(2)); small requests are served from a per-thread
// buffer refilled 256 bytes at a time (each byte used once, wiped after use, dropped in a forked
// child). Aborts the process if getrandom fails: a predictable salt or nonce is worse than no
// service.
void random_bytes(std::span<uint8_t> out);

}  // namespace sluice::crypto
