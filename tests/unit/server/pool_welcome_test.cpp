// Pool::wait_for_welcome, a login's wait for its pool's first server (the welcome): every such
// waiter is done together when the first server login succeeds, with no server of its own (as
// PgBouncer's wait-for-welcome clients; earlier than PgBouncer in a saturated or paused pool),
// while a client queued for a server gets that server; once the welcome is known the wait returns
// at once; a deadline or a failed login ends the wait with its error. The server is a thread
// speaking PostgreSQL's login on a loopback socket.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pool/pool.hpp"
#include "protocol/backend_messages.hpp"
#include "server/shard.hpp"

namespace sluice {
namespace {

using namespace std::chrono_literals;

bool read_exactly(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t got = ::recv(fd, p, n, 0);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

// A PostgreSQL stand-in on 127.0.0.1: accepts one connection, reads its startup packet and, once
// `answer` is set, logs it in (trust) with `TimeZone=UTC`, or answers a FATAL when `refuse`.
class FakePostgres {
 public:
  explicit FakePostgres(bool refuse = false) : refuse_(refuse) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listener_, 8), 0);
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakePostgres() {
    answer.store(true);
    ::shutdown(listener_, SHUT_RDWR);  // an accept still waiting (no login came) returns
    thread_.join();
    for (int fd : accepted_) ::close(fd);
    ::close(listener_);
  }
  uint16_t port() const { return port_; }
  int logins() const { return logins_.load(); }
  std::atomic<bool> answer{false};

 private:
  void serve() {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    accepted_.push_back(fd);
    char len_bytes[4];
    if (!read_exactly(fd, len_bytes, 4)) return;
    const uint32_t len = (uint32_t{static_cast<uint8_t>(len_bytes[0])} << 24) |
                         (uint32_t{static_cast<uint8_t>(len_bytes[1])} << 16) |
                         (uint32_t{static_cast<uint8_t>(len_bytes[2])} << 8) |
                         uint32_t{static_cast<uint8_t>(len_bytes[3])};
    std::string body(len - 4, '\0');
    if (!read_exactly(fd, body.data(), body.size())) return;
    logins_.fetch_add(1);
    while (!answer.load()) std::this_thread::sleep_for(1ms);
    std::string out;
    if (refuse_) {
      protocol::append_error(out, "FATAL", "28000", "no pg_hba.conf entry (test)");
    } else {
      protocol::append_authentication_ok(out);
      protocol::append_parameter_status(out, "TimeZone", "UTC");
      protocol::append_backend_key_data(out, 4242, 1);
      protocol::append_ready_for_query(out, 'I');
    }
    // A test that never answers lets this fail on the closed connection: no check.
    [[maybe_unused]] const ssize_t sent = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
  }

  bool refuse_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> logins_{0};
  std::vector<int> accepted_;
  std::thread thread_;
};

PoolSettings settings_for(uint16_t port) {
  PoolSettings s;
  s.database = s.dbname = "app";
  s.user = "app";
  s.host = "127.0.0.1";
  s.port = port;
  s.pool_size = 1;
  s.connect_timeout = 5;
  return s;
}

// A client on `shard` in wait_for_welcome (welcome) or acquire; the future is set when it returns.
std::future<AcquireResult> start_wait(Pool& pool, Shard& shard, bool welcome) {
  auto promise = std::make_shared<std::promise<AcquireResult>>();
  std::future<AcquireResult> f = promise->get_future();
  asio::co_spawn(
      shard.io(),
      [&pool, &shard, welcome, promise]() -> Awaitable<void> {
        AcquireResult r;
        if (welcome) {
          r = co_await pool.wait_for_welcome(0, &shard.io(), "timeout");
        } else {
          r = co_await pool.acquire(0, &shard.io());
        }
        promise->set_value(std::move(r));
      },
      asio::detached);
  return f;
}

template <class Pred>
void run_until(Shard& shard, Pred pred) {
  shard.io().restart();
  for (int i = 0; i < 500 && !pred(); ++i) shard.io().run_one_for(10ms);
}

bool ready(const std::future<AcquireResult>& f) {
  return f.wait_for(0s) == std::future_status::ready;
}

TEST(PoolWelcome, every_login_waiting_for_the_welcome_gets_it_with_the_first_server_login) {
  FakePostgres pg;
  auto owner = std::make_shared<Pool>(settings_for(pg.port()), nullptr, nullptr, 1);
  Pool& pool = *owner;  // shared: its logins hold it (shared_from_this)
  Shard shard(0);
  const std::vector<std::string> names{"TimeZone"};
  EXPECT_EQ(pool.welcome_view(names), nullptr);

  auto first = start_wait(pool, shard, true);
  auto for_server = start_wait(pool, shard, false);  // a client queued for a server meanwhile
  auto second = start_wait(pool, shard, true);
  auto third = start_wait(pool, shard, true);
  run_until(shard, [&] { return pool.counters().waiting == 4 && pg.logins() == 1; });
  EXPECT_EQ(pool.counters().waiting, 4);  // all of them count as waiting (cl_waiting)
  EXPECT_EQ(pool.counters().login, 1);    // pool_size=1: one login for all of them
  EXPECT_FALSE(ready(first));

  pg.answer.store(true);
  run_until(shard,
            [&] { return ready(first) && ready(second) && ready(third) && ready(for_server); });
  ASSERT_TRUE(ready(for_server));
  AcquireResult served = for_server.get();
  ASSERT_TRUE(served.server);  // the one server went to the client that asked for a server...
  for (auto* f : {&first, &second, &third}) {
    ASSERT_TRUE(ready(*f));
    AcquireResult r = f->get();
    EXPECT_FALSE(r.server);  // ...and the welcome to all the others, while that server is held
    EXPECT_FALSE(r.error);
    EXPECT_FALSE(r.timed_out);
    EXPECT_TRUE(r.waited);
  }
  EXPECT_EQ(pool.counters().waiting, 0);
  EXPECT_EQ(pool.counters().active, 1);
  const WelcomeView* welcome = pool.welcome_view(names);
  ASSERT_NE(welcome, nullptr);
  ASSERT_EQ(welcome->tracked.size(), 1U);
  ASSERT_TRUE(welcome->tracked[0]);
  EXPECT_EQ(*welcome->tracked[0], "UTC");

  // Known now: the wait returns without queueing, although the pool's one server is still held.
  auto later = start_wait(pool, shard, true);
  run_until(shard, [&] { return ready(later); });
  ASSERT_TRUE(ready(later));
  AcquireResult r = later.get();
  EXPECT_FALSE(r.server);
  EXPECT_FALSE(r.error);
  EXPECT_FALSE(r.waited);
  EXPECT_EQ(pool.counters().waiting, 0);
  EXPECT_EQ(pg.logins(), 1);
  pool.discard(std::move(served.server));
}

TEST(PoolWelcome, a_paused_pool_lets_the_welcome_waiters_in_and_keeps_the_server_queue) {
  FakePostgres pg;
  auto owner = std::make_shared<Pool>(settings_for(pg.port()), nullptr, nullptr, 1);
  Pool& pool = *owner;
  Shard shard(0);
  auto welcome = start_wait(pool, shard, true);
  auto for_server = start_wait(pool, shard, false);
  run_until(shard, [&] { return pool.counters().waiting == 2 && pg.logins() == 1; });
  ASSERT_EQ(pool.counters().login, 1);
  pool.pause();  // PAUSE while the first login is under way
  pg.answer.store(true);
  run_until(shard, [&] { return ready(welcome); });
  ASSERT_TRUE(ready(welcome));
  AcquireResult r = welcome.get();
  EXPECT_FALSE(r.server);
  EXPECT_FALSE(r.error);
  EXPECT_NE(pool.welcome_view({"TimeZone"}), nullptr);
  // The client that asked for a server waits for RESUME; the new server is not handed out.
  EXPECT_FALSE(ready(for_server));
  EXPECT_EQ(pool.counters().waiting, 1);
  pool.set_paused(false, shard.io().get_executor());
  run_until(shard, [&] { return ready(for_server); });
  ASSERT_TRUE(ready(for_server));
  AcquireResult served = for_server.get();
  ASSERT_TRUE(served.server);
  pool.discard(std::move(served.server));
}

TEST(PoolWelcome, a_wait_for_the_welcome_past_its_deadline_ends_with_its_message) {
  FakePostgres pg;  // never answers in this test
  auto owner = std::make_shared<Pool>(settings_for(pg.port()), nullptr, nullptr, 1);
  Pool& pool = *owner;
  Shard shard(0);
  auto promise = std::make_shared<std::promise<AcquireResult>>();
  std::future<AcquireResult> f = promise->get_future();
  asio::co_spawn(
      shard.io(),
      [&pool, &shard, promise]() -> Awaitable<void> {
        AcquireResult r =
            co_await pool.wait_for_welcome(0.05, &shard.io(), "client_login_timeout (server down)");
        promise->set_value(std::move(r));
      },
      asio::detached);
  run_until(shard, [&] { return pool.counters().waiting == 1 && pg.logins() == 1; });
  pool.expire_waiters(std::chrono::steady_clock::now() + 100ms);  // the janitor's pass
  run_until(shard, [&] { return ready(f); });
  ASSERT_TRUE(ready(f));
  AcquireResult r = f.get();
  EXPECT_FALSE(r.server);
  EXPECT_TRUE(r.timed_out);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message, "client_login_timeout (server down)");
  EXPECT_EQ(pool.counters().waiting, 0);
  EXPECT_EQ(pool.counters().login, 1);  // the login goes on, for the clients to come
  shard.io().stop();
}

TEST(PoolWelcome, a_failed_first_login_ends_every_wait_for_the_welcome_with_its_error) {
  FakePostgres pg(/*refuse=*/true);
  auto owner = std::make_shared<Pool>(settings_for(pg.port()), nullptr, nullptr, 1);
  Pool& pool = *owner;  // shared: its logins hold it (shared_from_this)
  Shard shard(0);
  auto first = start_wait(pool, shard, true);
  auto second = start_wait(pool, shard, true);
  run_until(shard, [&] { return pool.counters().waiting == 2 && pg.logins() == 1; });
  pg.answer.store(true);
  run_until(shard, [&] { return ready(first) && ready(second); });
  for (auto* f : {&first, &second}) {
    ASSERT_TRUE(ready(*f));
    AcquireResult r = f->get();
    EXPECT_FALSE(r.server);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->sqlstate, "28000");
    EXPECT_NE(r.error->message.find("no pg_hba.conf entry (test)"), std::string::npos)
        << r.error->message;
  }
  EXPECT_EQ(pool.counters().waiting, 0);
}

}  // namespace
}  // namespace sluice
