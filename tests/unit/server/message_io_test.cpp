// read_message over a socketpair: the body read at once after its header, or waited for when it
// is not there yet, and nothing read past the message (a pipelined next message stays queued).
// write_now: what a non-blocking socket takes goes at once, the rest is left for write_all.
#include "server/message_io.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace sluice {
namespace {

std::string message(char type, const std::string& body) {
  std::string out(1, type);
  const uint32_t len = static_cast<uint32_t>(body.size() + 4);
  out += static_cast<char>(len >> 24);
  out += static_cast<char>(len >> 16);
  out += static_cast<char>(len >> 8);
  out += static_cast<char>(len);
  return out + body;
}

Awaitable<void> read_into(Socket& sock, std::optional<Message>& out, std::string& error) {
  try {
    out = co_await read_message(sock, 1000);
  } catch (const std::exception& e) {
    error = e.what();
  }
}

class MessageIo : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    peer_ = fds[1];
    sock_.emplace(io_);
    sock_->assign(asio::generic::stream_protocol(AF_UNIX, 0), fds[0]);
  }
  void TearDown() override {
    if (peer_ >= 0) ::close(peer_);
  }
  void send(const std::string& bytes) {
    ASSERT_EQ(::write(peer_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // Starts a read_message and runs the loop until nothing more can happen.
  void start_read() {
    asio::co_spawn(io_, read_into(*sock_, result_, error_), asio::detached);
    io_.restart();
    io_.poll();
  }

  asio::io_context io_;
  std::optional<Socket> sock_;
  int peer_ = -1;
  std::optional<Message> result_;
  std::string error_;
};

TEST_F(MessageIo, reads_one_message_and_leaves_the_next_in_the_socket) {
  sock_->non_blocking(true);
  send(message('p', "secret") + message('Q', "select 1"));
  start_read();
  ASSERT_TRUE(result_) << error_;
  EXPECT_EQ(result_->type, 'p');
  EXPECT_EQ(result_->body, "secret");
  char rest[64];
  const ssize_t n = ::recv(sock_->native_handle(), rest, sizeof rest, MSG_DONTWAIT);
  EXPECT_EQ(std::string(rest, n > 0 ? static_cast<size_t>(n) : 0), message('Q', "select 1"));
}

TEST_F(MessageIo, waits_for_a_body_that_arrives_later) {
  sock_->non_blocking(true);
  const std::string m = message('p', "a longer password body");
  send(m.substr(0, 8));  // the header and part of the body
  start_read();
  EXPECT_FALSE(result_);
  send(m.substr(8));
  io_.restart();
  io_.poll();
  ASSERT_TRUE(result_) << error_;
  EXPECT_EQ(result_->body, "a longer password body");
}

TEST_F(MessageIo, blocking_socket_reads_asynchronously) {
  send(message('p', "x"));
  start_read();
  ASSERT_TRUE(result_) << error_;
  EXPECT_EQ(result_->body, "x");
}

TEST_F(MessageIo, eof_inside_the_body_is_an_error) {
  sock_->non_blocking(true);
  send(message('p', "abcdef").substr(0, 7));
  ::close(peer_);
  peer_ = -1;
  start_read();
  EXPECT_FALSE(result_);
  EXPECT_FALSE(error_.empty());
}

TEST_F(MessageIo, write_now_sends_at_once_on_a_non_blocking_socket) {
  sock_->non_blocking(true);
  const std::string m = message('R', std::string(8, '\0'));
  EXPECT_EQ(write_now(*sock_, nullptr, m), "");
  char got[64];
  const ssize_t n = ::recv(peer_, got, sizeof got, MSG_DONTWAIT);
  EXPECT_EQ(std::string(got, n > 0 ? static_cast<size_t>(n) : 0), m);
}

TEST_F(MessageIo, write_now_leaves_what_the_socket_does_not_take) {
  sock_->non_blocking(true);
  int size = 4096;
  ASSERT_EQ(::setsockopt(sock_->native_handle(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size), 0);
  const std::string big(1 << 20, 'x');  // more than the socket pair buffers
  const std::string_view rest = write_now(*sock_, nullptr, big);
  EXPECT_FALSE(rest.empty());
  EXPECT_LT(rest.size(), big.size());                             // a part went
  EXPECT_EQ(rest.data() + rest.size(), big.data() + big.size());  // the rest is the tail
}

TEST_F(MessageIo, write_now_leaves_a_blocking_socket_to_write_all) {
  const std::string m = message('Z', "I");
  EXPECT_EQ(write_now(*sock_, nullptr, m), m);  // nothing sent: write_all's asynchronous write
}

}  // namespace
}  // namespace sluice
