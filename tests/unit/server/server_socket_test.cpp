// Idle servers keep their socket registered with the shard that used them last
// (pool/server_socket.hpp): the pool hands a shard its own servers first, a server moves between
// shards intact, and one that outlives its shard's loop is closed without touching that loop.
#include "pool/server_socket.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "pool/pool.hpp"
#include "server/shard.hpp"
#include "server/tls_channel.hpp"

namespace sluice {
namespace {

// A server connection over one end of a socketpair; the test keeps the other end.
struct Pair {
  std::unique_ptr<ServerConnection> server = std::make_unique<ServerConnection>();
  int peer = -1;
  Pair() {
    std::array<int, 2> fds{};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()), 0);
    server->fd = fds[0];
    server->address.family = AF_UNIX;
    server->connected_at = server->last_used = std::chrono::steady_clock::now();
    peer = fds[1];
  }
  ~Pair() {
    if (peer >= 0) ::close(peer);
  }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
};

std::string read_peer(int fd) {
  std::array<char, 64> buf{};
  ssize_t n = ::read(fd, buf.data(), buf.size());
  return n > 0 ? std::string(buf.data(), static_cast<size_t>(n)) : std::string();
}

TEST(ServerSocket, same_shard_keeps_the_socket_another_shard_takes_the_descriptor_over) {
  Shard a(0), b(1);
  Pair p;
  const int fd = p.server->fd;
  Socket& on_a = server_socket_on(*p.server, a);
  EXPECT_EQ(p.server->fd, -1);  // held by the socket now
  EXPECT_EQ(p.server->native_fd(), fd);
  EXPECT_EQ(&server_socket_on(*p.server, a), &on_a);  // no new registration on the same shard
  Socket& on_b = server_socket_on(*p.server, b);
  EXPECT_EQ(p.server->socket->io, &b.io());
  EXPECT_EQ(on_b.native_handle(), fd);  // the same connection, now on shard b
  boost::system::error_code ec;
  EXPECT_EQ(on_b.write_some(asio::buffer("ping", 4), ec), 4U);
  EXPECT_EQ(read_peer(p.peer), "ping");
}

TEST(ServerSocket, a_server_outliving_its_shard_is_terminated_and_closed) {
  Pair p;
  {
    Shard gone(0);
    server_socket_on(*p.server, gone);
  }                  // the shard's loop is destroyed first, as at shutdown
  p.server.reset();  // must not reach the dead loop (ASan would see it)
  EXPECT_EQ(read_peer(p.peer), std::string("X\0\0\0\4", 5));  // Terminate, then EOF
  EXPECT_EQ(read_peer(p.peer), "");
}

// acquire() as a client on `shard` would call it; runs the shard's loop until it is done.
std::unique_ptr<ServerConnection> acquire_on(Pool& pool, Shard& shard) {
  std::unique_ptr<ServerConnection> got;
  bool done = false;
  asio::co_spawn(
      shard.io(),
      [&]() -> Awaitable<void> {
        AcquireResult r = co_await pool.acquire(0, &shard.io());
        got = std::move(r.server);
        done = true;
      },
      asio::detached);
  shard.io().restart();
  for (int i = 0; i < 20 && !done; ++i) shard.io().run_one_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(done);
  return got;
}

TEST(ServerSocket, the_pool_hands_a_shard_its_own_idle_server_first) {
  Shard a(0), b(1);
  PoolSettings settings;
  settings.lifetime = 3600;
  settings.pool_size = 3;
  Pool pool(settings, nullptr, nullptr, 2);
  Pair on_a, on_b, bare;
  ServerConnection* const raw_a = on_a.server.get();
  ServerConnection* const raw_b = on_b.server.get();
  ServerConnection* const raw_bare = bare.server.get();
  server_socket_on(*on_a.server, a);
  server_socket_on(*on_b.server, b);
  // Released in this order, so the bare one is the most recent (LIFO would give it first).
  pool.release(std::move(on_a.server));
  pool.release(std::move(on_b.server));
  pool.release(std::move(bare.server));
  auto first_b = acquire_on(pool, b);
  EXPECT_EQ(first_b.get(), raw_b);
  auto first_a = acquire_on(pool, a);
  EXPECT_EQ(first_a.get(), raw_a);
  // None registered with a left: the most recent other one.
  auto next_a = acquire_on(pool, a);
  EXPECT_EQ(next_a.get(), raw_bare);
  // Given back, all three are usable again; each is linked where it was parked.
  pool.release(std::move(first_a));
  pool.release(std::move(first_b));
  pool.release(std::move(next_a));
  EXPECT_EQ(pool.counters().idle, 3);
}

}  // namespace
}  // namespace sluice
