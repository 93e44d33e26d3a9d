// Tests for random_bytes.
#include "crypto/random.hpp"

#include <gtest/gtest.h>

#include <array>

namespace sluice::crypto {
namespace {

TEST(Random, fills_buffers_with_distinct_values) {
  std::array<uint8_t, 32> a{}, b{};
  random_bytes(a);
  random_bytes(b);
  EXPECT_NE(a, b);  // 2^-256 chance of a false failure
  EXPECT_NE(a, (std::array<uint8_t, 32>{}));
}

TEST(Random, accepts_empty_buffer) {
  random_bytes(std::span<uint8_t>());
}

}  // namespace
}  // namespace sluice::crypto
