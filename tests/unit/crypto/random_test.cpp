// Tests for random_bytes.
#include "crypto/random.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <set>
#include <vector>

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

// Small draws come from a per-thread buffer: across several refills no value repeats.
TEST(Random, small_draws_across_refills_are_distinct) {
  std::set<std::array<uint8_t, 8>> seen;
  for (int i = 0; i < 500; ++i) {
    std::array<uint8_t, 8> v{};
    random_bytes(v);
    EXPECT_TRUE(seen.insert(v).second) << "draw " << i << " repeated";
  }
}

// Larger requests go to the kernel directly; every part of the output is filled.
TEST(Random, large_draw_is_filled) {
  std::vector<uint8_t> big(100000, 0);
  random_bytes(big);
  for (size_t at = 0; at < big.size(); at += 1000) {
    std::array<uint8_t, 32> zero{};
    EXPECT_NE(0, std::memcmp(big.data() + at, zero.data(), zero.size())) << "at " << at;
  }
}

// A forked child must not hand out the bytes its parent hands out next.
TEST(Random, forked_child_does_not_repeat_the_parent) {
  std::array<uint8_t, 4> warm{};
  random_bytes(warm);  // the buffer now holds unused bytes
  int fds[2];
  ASSERT_EQ(0, ::pipe(fds));
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::array<uint8_t, 16> child{};
    random_bytes(child);
    const bool ok = ::write(fds[1], child.data(), child.size()) == ssize_t(child.size());
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  std::array<uint8_t, 16> parent{}, child{};
  random_bytes(parent);
  ASSERT_EQ(ssize_t(child.size()), ::read(fds[0], child.data(), child.size()));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(0, status);
  EXPECT_NE(parent, child);
}

}  // namespace
}  // namespace sluice::crypto
