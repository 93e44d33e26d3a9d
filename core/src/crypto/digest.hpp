// One-shot message digests for the login path, over OpenSSL EVP without its per-call setup.
#pragma once

#include <cstdint>
#include <span>

namespace sluice::crypto {

enum class DigestKind { kMd5, kSha256 };

// Writes the digest of `data` to `out`, whose size must be the digest's (16 for MD5, 32 for
// SHA-256). False when OpenSSL cannot compute it (a provider without the algorithm, e.g. FIPS):
// the caller decides how to fail, `out` is then unspecified.
bool digest(DigestKind kind, std::span<const uint8_t> data, std::span<uint8_t> out);

// Fetches the digests' implementations now (daemon start-up): OpenSSL's first fetch initialises
// its providers, about 5 million instructions (1-2 ms), which the first md5 or SCRAM login would
// otherwise wait for.
void warm_up_digests();

}  // namespace sluice::crypto
