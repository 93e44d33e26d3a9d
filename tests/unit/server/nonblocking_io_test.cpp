// nbio::recv_some / send_some (the relay's direct system calls) give what Asio's read_some /
// write_some give on a non-blocking socket: the bytes, would_block, eof, and the errno otherwise
// (EPIPE without a SIGPIPE).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/error.hpp>
#include <cstring>

#include "server/nonblocking_io.hpp"

namespace sluice {
namespace {

struct Pair {
  std::array<int, 2> fd{-1, -1};
  Pair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fd.data()), 0);
  }
  ~Pair() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
};

TEST(NonblockingIo, moves_bytes_both_ways) {
  Pair p;
  boost::system::error_code ec;
  const char msg[] = "Q\0\0\0\rSELECT 1";
  EXPECT_EQ(nbio::send_some(p.fd[0], msg, sizeof msg, ec), sizeof msg);
  EXPECT_FALSE(ec);
  std::array<char, 64> got{};
  EXPECT_EQ(nbio::recv_some(p.fd[1], got.data(), got.size(), ec), sizeof msg);
  EXPECT_FALSE(ec);
  EXPECT_EQ(std::memcmp(got.data(), msg, sizeof msg), 0);
  const char reply[] = "Z\0\0\0\5I";
  EXPECT_EQ(nbio::send_some(p.fd[1], reply, sizeof reply, ec), sizeof reply);
  EXPECT_FALSE(ec);
  EXPECT_EQ(nbio::recv_some(p.fd[0], got.data(), got.size(), ec), sizeof reply);
  EXPECT_FALSE(ec);
  EXPECT_EQ(std::memcmp(got.data(), reply, sizeof reply), 0);
}

TEST(NonblockingIo, nothing_to_read_is_would_block) {
  Pair p;
  boost::system::error_code ec;
  std::array<char, 16> got{};
  EXPECT_EQ(nbio::recv_some(p.fd[1], got.data(), got.size(), ec), 0U);
  EXPECT_EQ(ec, boost::asio::error::would_block);
}

TEST(NonblockingIo, a_full_send_buffer_is_would_block_after_a_short_send) {
  Pair p;
  boost::system::error_code ec;
  std::array<char, 65536> chunk{};
  size_t total = 0;
  for (int i = 0; i < 1000; ++i) {
    const size_t n = nbio::send_some(p.fd[0], chunk.data(), chunk.size(), ec);
    total += n;
    if (ec) break;
  }
  EXPECT_EQ(ec, boost::asio::error::would_block);
  EXPECT_GT(total, 0U);
}

TEST(NonblockingIo, end_of_stream_is_eof_and_a_closed_peer_is_epipe_without_sigpipe) {
  Pair p;
  ::close(p.fd[0]);
  p.fd[0] = -1;
  boost::system::error_code ec;
  std::array<char, 16> got{};
  EXPECT_EQ(nbio::recv_some(p.fd[1], got.data(), got.size(), ec), 0U);
  EXPECT_EQ(ec, boost::asio::error::eof);
  // SIGPIPE's default would end the test binary: MSG_NOSIGNAL turns it into EPIPE.
  EXPECT_EQ(nbio::send_some(p.fd[1], "x", 1, ec), 0U);
  EXPECT_EQ(ec, boost::asio::error::broken_pipe);
}

TEST(NonblockingIo, a_bad_descriptor_is_its_errno) {
  boost::system::error_code ec;
  std::array<char, 16> got{};
  EXPECT_EQ(nbio::recv_some(-1, got.data(), got.size(), ec), 0U);
  EXPECT_EQ(ec, boost::asio::error::bad_descriptor);
}

}  // namespace
}  // namespace sluice
