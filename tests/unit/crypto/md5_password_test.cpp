// Tests for PostgreSQL's md5 password scheme.
#include "crypto/md5_password.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

namespace sluice::crypto {
namespace {

// Independent reference: hex MD5 straight from OpenSSL's EVP_MD_CTX API.
std::string reference_md5_hex(const std::string& data) {
  unsigned char d[16];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_md5(), nullptr);
  EVP_DigestUpdate(ctx, data.data(), data.size());
  EVP_DigestFinal_ex(ctx, d, &len);
  EVP_MD_CTX_free(ctx);
  char hex[33];
  for (int i = 0; i < 16; ++i) snprintf(hex + 2 * i, 3, "%02x", d[i]);
  return std::string(hex, 32);
}

TEST(Md5Password, md5_hex_matches_rfc_1321_vectors) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Md5Password, secret_for_admin_1234_matches_known_value) {
  EXPECT_EQ(md5_secret("1234", "admin"), "md545f2603610af569b6155c45067268c6b");
}

TEST(Md5Password, recognises_md5_secrets) {
  EXPECT_TRUE(is_md5_secret("md545f2603610af569b6155c45067268c6b"));
  EXPECT_FALSE(is_md5_secret("md545F2603610AF569B6155C45067268C6B"));  // uppercase hex
  EXPECT_FALSE(is_md5_secret("md545f2603610af569b6155c45067268c6"));   // 31 digits
  EXPECT_FALSE(is_md5_secret("md545f2603610af569b6155c45067268c6bb"));
  EXPECT_FALSE(is_md5_secret("xx545f2603610af569b6155c45067268c6b"));
  EXPECT_FALSE(is_md5_secret("md545f2603610af569b6155c45067268c6g"));
  EXPECT_FALSE(is_md5_secret("1234"));
}

TEST(Md5Password, salted_response_follows_documented_formula) {
  const std::array<uint8_t, 4> salt = {0x01, 0x9a, 0x00, 0xff};  // includes NUL and high bytes
  const std::string inner = reference_md5_hex("1234admin");
  const std::string expected =
      "md5" + reference_md5_hex(inner + std::string(reinterpret_cast<const char*>(salt.data()), 4));
  EXPECT_EQ(md5_salted_response("1234", "admin", salt), expected);
}

TEST(Md5Password, salted_response_from_secret_equals_response_from_password) {
  const std::array<uint8_t, 4> salt = {0xde, 0xad, 0xbe, 0xef};
  EXPECT_EQ(md5_salted_response(md5_secret("1234", "admin"), "admin", salt),
            md5_salted_response("1234", "admin", salt));
}

TEST(Md5Password, salted_response_depends_on_salt) {
  EXPECT_NE(md5_salted_response("1234", "admin", {1, 2, 3, 4}),
            md5_salted_response("1234", "admin", {1, 2, 3, 5}));
}

}  // namespace
}  // namespace sluice::crypto
