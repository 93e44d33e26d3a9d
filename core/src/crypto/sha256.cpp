// SHA-256 family over OpenSSL EVP/HMAC/PKCS5.
#include "crypto/sha256.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

#include "crypto/digest.hpp"

namespace sluice::crypto {

namespace {
std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
}  // namespace

Sha256Digest sha256(std::span<const uint8_t> data) {
  Sha256Digest out{};
  if (!digest(DigestKind::kSha256, data, out)) std::abort();
  return out;
}

Sha256Digest sha256(std::string_view data) {
  return sha256(as_bytes(data));
}

Sha256Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  Sha256Digest out{};
  unsigned int len = 0;
  // OpenSSL treats a null key pointer as "reuse the previous key"; an empty key must be non-null.
  static constexpr uint8_t kEmptyKey = 0;
  const uint8_t* key_ptr = key.empty() ? &kEmptyKey : key.data();
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), data.data(), data.size(),
           out.data(), &len) == nullptr) {
    std::abort();
  }
  return out;
}

Sha256Digest hmac_sha256(std::span<const uint8_t> key, std::string_view data) {
  return hmac_sha256(key, as_bytes(data));
}

Sha256Digest pbkdf2_hmac_sha256(std::string_view password, std::span<const uint8_t> salt,
                                int iterations) {
  Sha256Digest out{};
  if (iterations < 1 ||
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(out.size()), out.data()) != 1) {
    std::abort();
  }
  return out;
}

bool constant_time_equal(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sluice::crypto
