// MD5 password hashing over OpenSSL EVP (crypto/digest.hpp).
#include "crypto/md5_password.hpp"

#include <cstdlib>
#include <span>

#include "crypto/digest.hpp"

namespace sluice::crypto {

namespace {
constexpr size_t kMd5HexLen = 32;
constexpr std::string_view kMd5Prefix = "md5";
}  // namespace

std::string md5_hex(std::string_view data) {
  std::array<uint8_t, 16> hash{};
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  if (!digest(DigestKind::kMd5, bytes, hash)) {
    std::abort();  // MD5 unavailable (e.g. a FIPS-only provider): nothing sensible to return
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kMd5HexLen, '0');
  for (std::size_t i = 0; i < hash.size(); ++i) {
    out[2 * i] = kHex[hash[i] >> 4];
    out[2 * i + 1] = kHex[hash[i] & 0xf];
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
