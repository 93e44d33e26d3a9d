// MD5 password hashing over OpenSSL EVP.
#include "crypto/md5_password.hpp"

#include <openssl/evp.h>

#include <cstdlib>

namespace sluice::crypto {

namespace {
constexpr size_t kMd5HexLen = 32;
constexpr std::string_view kMd5Prefix = "md5";

// Fetched once: EVP_md5() makes EVP_Digest look the implementation up again on every call.
const EVP_MD* md5_md() {
  static EVP_MD* const kMd = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return kMd;
}
}  // namespace

std::string md5_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const EVP_MD* md = md5_md();
  if (!md || EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) != 1 || len != 16) {
    std::abort();  // MD5 unavailable (e.g. a FIPS-only provider): nothing sensible to return
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kMd5HexLen, '0');
  for (std::size_t i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

std::string md5_secret(std::string_view password, std::string_view user) {
  std::string input;
  input.reserve(password.size() + user.size());
  input.append(password).append(user);
  return std::string(kMd5Prefix) + md5_hex(input);
}

bool is_md5_secret(std::string_view s) {
  if (s.size() != kMd5Prefix.size() + kMd5HexLen || !s.starts_with(kMd5Prefix)) return false;
  for (char c : s.substr(kMd5Prefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string md5_salted_response(std::string_view secret_or_password, std::string_view user,
                                std::array<uint8_t, 4> salt) {
  std::string inner = is_md5_secret(secret_or_password)
                          ? std::string(secret_or_password.substr(kMd5Prefix.size()))
                          : md5_secret(secret_or_password, user).substr(kMd5Prefix.size());
  inner.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  return std::string(kMd5Prefix) + md5_hex(inner);
}

}  // namespace sluice::crypto
