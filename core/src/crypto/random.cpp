// random_bytes over OpenSSL RAND_bytes.
#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace sluice::crypto {

void random_bytes(std::span<uint8_t> out) {
  // RAND_bytes takes an int length, so feed it bounded pieces.
  constexpr size_t kMaxPiece = 1 << 20;
  while (!out.empty()) {
    const size_t n = std::min(out.size(), kMaxPiece);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      std::fputs("sluice: RAND_bytes failed, aborting\n", stderr);
      std::abort();
    }
    out = out.subspan(n);
  }
}

}  // namespace sluice::crypto
