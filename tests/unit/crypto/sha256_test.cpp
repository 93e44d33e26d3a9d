// Tests for SHA-256, HMAC-SHA-256, PBKDF2 and base64 against published vectors.
#include "crypto/sha256.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::crypto {
namespace {

std::string hex(std::span<const uint8_t> b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t c : b) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

std::vector<uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

TEST(Sha256, matches_fips_180_vector) {
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, hmac_matches_rfc_4231_test_case_2) {
  EXPECT_EQ(hex(hmac_sha256(bytes("Jefe"), "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Sha256, hmac_accepts_empty_key) {
  // RFC 4231 has no empty-key case; HMAC-SHA256("", "") is a widely published value.
  EXPECT_EQ(hex(hmac_sha256(std::span<const uint8_t>(), "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Sha256, pbkdf2_matches_rfc_7914_vector) {
  // RFC 7914 section 11: PBKDF2-HMAC-SHA256 P="passwd" S="salt" c=1, first 32 bytes.
  EXPECT_EQ(hex(pbkdf2_hmac_sha256("passwd", bytes("salt"), 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
}

TEST(Base64, encodes_rfc_4648_vectors) {
  EXPECT_EQ(base64_encode(std::string_view("")), "");
  EXPECT_EQ(base64_encode(std::string_view("f")), "Zg==");
  EXPECT_EQ(base64_encode(std::string_view("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(std::string_view("foob")), "Zm9vYg==");
  EXPECT_EQ(base64_encode(std::string_view("fooba")), "Zm9vYmE=");
  EXPECT_EQ(base64_encode(std::string_view("foobar")), "Zm9vYmFy");
}

TEST(Base64, decodes_rfc_4648_vectors) {
  EXPECT_EQ(base64_decode(""), bytes(""));
  EXPECT_EQ(base64_decode("Zg=="), bytes("f"));
  EXPECT_EQ(base64_decode("Zm8="), bytes("fo"));
  EXPECT_EQ(base64_decode("Zm9vYmFy"), bytes("foobar"));
}

TEST(Base64, round_trips_all_byte_values) {
  std::vector<uint8_t> all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<uint8_t>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::span<const uint8_t> part(all.data(), n);
    EXPECT_EQ(base64_decode(base64_encode(part)), std::vector<uint8_t>(part.begin(), part.end()));
  }
}

TEST(Base64, rejects_malformed_input) {
  EXPECT_FALSE(base64_decode("Zg="));   // length not a multiple of 4
  EXPECT_FALSE(base64_decode("Zg=a"));  // data after padding
  EXPECT_FALSE(base64_decode("Z==="));  // too much padding
  EXPECT_FALSE(base64_decode("===="));
  EXPECT_FALSE(base64_decode("Zm9v\n"));    // whitespace
  EXPECT_FALSE(base64_decode("Zm-v"));      // url-safe alphabet
  EXPECT_FALSE(base64_decode("Zh=="));      // non-zero bits under the padding
  EXPECT_FALSE(base64_decode("Zg==Zg=="));  // padding in the middle
}

TEST(ConstantTimeEqual, compares_contents_and_sizes) {
  EXPECT_TRUE(constant_time_equal(bytes("abc"), bytes("abc")));
  EXPECT_FALSE(constant_time_equal(bytes("abc"), bytes("abd")));
  EXPECT_FALSE(constant_time_equal(bytes("abc"), bytes("ab")));
}

}  // namespace
}  // namespace sluice::crypto
