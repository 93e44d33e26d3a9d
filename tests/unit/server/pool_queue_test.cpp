// Clients queued in a pool (Pool::acquire with no idle server and no free slot): a released server
// wakes the oldest one, on its own shard's thread (or a later one on the shard the server's socket
// is registered with, which may overtake an older one a bounded number of times);
// query_wait_timeout is enforced by the janitor pass; at shutdown a queued client's coroutine is
// handed to its stopped loop and destroyed with it (ASan/LSan would see it leak or touch freed
// memory otherwise).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pool/connection_budget.hpp"
#include "pool/pool.hpp"
#include "pool/server_socket.hpp"
#include "server/shard.hpp"
#include "server/tls_channel.hpp"

namespace sluice {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<ServerConnection> fake_server(int* peer) {
  std::array<int, 2> fds{};
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()), 0);
  auto s = std::make_unique<ServerConnection>();
  s->fd = fds[0];
  s->address.family = AF_UNIX;
  s->connected_at = s->last_used = std::chrono::steady_clock::now();
  *peer = fds[1];
  return s;
}

PoolSettings settings_for_test() {
  PoolSettings settings;
  settings.lifetime = 3600;
  settings.pool_size = 5;
  return settings;
}

// A budget (max_db_connections) of one, already used by the test's one server: a client that finds
// no idle server queues, with no login started for it.
std::shared_ptr<ConnectionBudget> full_budget() {
  auto b = std::make_shared<ConnectionBudget>(1);
  EXPECT_TRUE(b->try_take());
  return b;
}

struct Outcome {
  AcquireResult result;
  std::thread::id thread;
};

// Starts acquire() as a client on `shard` would; the future is set when it returns.
std::future<Outcome> start_acquire(Pool& pool, Shard& shard, double wait_timeout) {
  auto promise = std::make_shared<std::promise<Outcome>>();
  std::future<Outcome> f = promise->get_future();
  asio::co_spawn(
      shard.io(),
      [&pool, &shard, wait_timeout, promise]() -> Awaitable<void> {
        Outcome o;
        o.result = co_await pool.acquire(wait_timeout, &shard.io());
        o.thread = std::this_thread::get_id();
        promise->set_value(std::move(o));
      },
      asio::detached);
  return f;
}

// Runs the shard's loop on this thread until `pred` holds (or 2 s pass).
template <class Pred>
void run_until(Shard& shard, Pred pred) {
  shard.io().restart();
  for (int i = 0; i < 200 && !pred(); ++i) shard.io().run_one_for(10ms);
}

// Acquires, as a client on `shard` (its loop run here), a server the test put in the pool idle;
// null (and a test failure) if acquire did not return it at once.
std::unique_ptr<ServerConnection> acquire_now(Pool& pool, Shard& shard) {
  auto f = start_acquire(pool, shard, 0);
  run_until(shard, [&] { return f.wait_for(0s) == std::future_status::ready; });
  if (f.wait_for(0s) != std::future_status::ready) {
    ADD_FAILURE() << "acquire of an idle server did not complete";
    return nullptr;
  }
  return f.get().result.server;
}

// A pool whose one server (the budget's only slot) a client on `shard` holds: the next client
// queues, with no login started for it. The test's peer end of the server is closed at the end.
class HeldServer : public ::testing::Test {
 protected:
  void SetUp() override {
    pool.release(fake_server(&peer));  // the pool's one server, idle
    held = acquire_now(pool, shard);
    ASSERT_TRUE(held);
  }
  void TearDown() override { ::close(peer); }

  std::shared_ptr<ConnectionBudget> budget = full_budget();
  Pool pool{settings_for_test(), budget, nullptr, 1};
  int peer = -1;
  Shard shard{0};
  std::unique_ptr<ServerConnection> held;
};

TEST_F(HeldServer, a_server_released_on_another_thread_wakes_the_queued_client_on_its_shard) {
  ServerConnection* const raw = held.get();

  shard.start();  // the shard's own thread from here on
  auto queued = start_acquire(pool, shard, 0);
  for (int i = 0; i < 200 && pool.counters().waiting == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(pool.counters().waiting, 1);  // the one server allowed is held
  EXPECT_EQ(queued.wait_for(50ms), std::future_status::timeout);

  pool.release(std::move(held));  // from the test's thread
  ASSERT_EQ(queued.wait_for(2s), std::future_status::ready);
  Outcome o = queued.get();
  EXPECT_EQ(o.result.server.get(), raw);
  EXPECT_TRUE(o.result.waited);
  EXPECT_FALSE(o.result.timed_out);
  EXPECT_NE(o.thread, std::this_thread::get_id());  // resumed on the shard's thread
  EXPECT_EQ(pool.counters().waiting, 0);
  shard.stop(true);
  shard.join();
}

TEST_F(HeldServer, query_wait_timeout_is_enforced_by_the_janitor_pass) {
  auto forever = start_acquire(pool, shard, 0);  // 0 = no timeout
  auto bounded = start_acquire(pool, shard, 0.05);
  run_until(shard, [&] { return pool.counters().waiting == 2; });
  EXPECT_EQ(pool.counters().waiting, 2);
  pool.expire_waiters(std::chrono::steady_clock::now());  // before the deadline: nothing
  shard.io().restart();
  shard.io().poll();
  EXPECT_EQ(pool.counters().waiting, 2);
  EXPECT_EQ(bounded.wait_for(0s), std::future_status::timeout);

  pool.expire_waiters(std::chrono::steady_clock::now() + 100ms);
  run_until(shard, [&] { return bounded.wait_for(0s) == std::future_status::ready; });
  ASSERT_EQ(bounded.wait_for(0s), std::future_status::ready);
  Outcome o = bounded.get();
  EXPECT_FALSE(o.result.server);
  EXPECT_TRUE(o.result.timed_out);
  ASSERT_TRUE(o.result.error);
  EXPECT_EQ(o.result.error->message, "query_wait_timeout");
  EXPECT_EQ(pool.counters().waiting, 1);  // the one without a timeout stays queued

  pool.release(std::move(held));
  run_until(shard, [&] { return forever.wait_for(0s) == std::future_status::ready; });
  ASSERT_EQ(forever.wait_for(0s), std::future_status::ready);
  EXPECT_TRUE(forever.get().result.server);
}

TEST(PoolQueue, queued_clients_at_shutdown_are_destroyed_with_their_stopped_loop) {
  Pool pool(settings_for_test(), full_budget(), nullptr, 1);
  int peer = -1;
  pool.release(fake_server(&peer));
  std::unique_ptr<ServerConnection> held;
  std::future<Outcome> queued;
  {
    Shard shard(0);
    held = acquire_now(pool, shard);
    ASSERT_TRUE(held);
    queued = start_acquire(pool, shard, 0);
    run_until(shard, [&] { return pool.counters().waiting == 1; });
    EXPECT_EQ(pool.counters().waiting, 1);
    shard.io().stop();
    pool.fail_waiters("server shutting down");  // as Daemon::run does after joining the shards
    EXPECT_EQ(pool.counters().waiting, 0);
  }  // the loop is destroyed with the posted coroutine, which never ran
  // The coroutine was destroyed, not resumed: its promise is broken.
  ASSERT_EQ(queued.wait_for(0s), std::future_status::ready);
  EXPECT_THROW(queued.get(), std::future_error);
  pool.release(std::move(held));  // nobody queued any more: the server goes idle
  EXPECT_EQ(pool.counters().idle, 1);
  ::close(peer);
}

// Pool::enqueue/wait with the Waiter in the caller's frame (the relay's link): the steps acquire
// runs, and what a Waiter that is never woken or never taken does on destruction.
TEST(PoolQueue, enqueue_hands_out_an_idle_server_at_once_and_queues_otherwise) {
  Pool pool(settings_for_test(), full_budget(), nullptr, 1);
  int peer = -1;
  std::unique_ptr<ServerConnection> server = fake_server(&peer);
  ServerConnection* const raw = server.get();
  pool.release(std::move(server));
  Shard shard(0);
  EXPECT_TRUE(pool.maybe_idle());
  Pool::Waiter first(shard.io().get_executor());
  ASSERT_EQ(pool.enqueue(first, 0, &shard.io()), Pool::Step::kDone);
  EXPECT_FALSE(pool.maybe_idle());  // its one idle server was taken
  AcquireResult got = first.take();
  EXPECT_EQ(got.server.get(), raw);
  EXPECT_FALSE(got.waited);
  EXPECT_FALSE(got.error);
  Pool::Waiter second(shard.io().get_executor());
  ASSERT_EQ(pool.enqueue(second, 0, &shard.io()), Pool::Step::kQueued);
  EXPECT_EQ(pool.counters().waiting, 1);
  pool.release(std::move(got.server));  // handed to the queued waiter, whose wait() returns
  EXPECT_EQ(pool.counters().waiting, 0);
  bool resumed = false;
  asio::co_spawn(
      shard.io(),
      [&]() -> Awaitable<void> {
        co_await pool.wait(second);
        resumed = true;
      },
      asio::detached);
  run_until(shard, [&] { return resumed; });
  ASSERT_TRUE(resumed);
  AcquireResult r = second.take();
  EXPECT_EQ(r.server.get(), raw);
  EXPECT_TRUE(r.waited);
  pool.release(std::move(r.server));
  EXPECT_EQ(pool.counters().idle, 1);
  EXPECT_TRUE(pool.maybe_idle());
  ::close(peer);
}

TEST_F(HeldServer, a_waiter_destroyed_while_queued_leaves_the_queue) {
  {
    Pool::Waiter w(shard.io().get_executor());
    ASSERT_EQ(pool.enqueue(w, 0, &shard.io()), Pool::Step::kQueued);
    EXPECT_EQ(pool.counters().waiting, 1);
  }
  EXPECT_EQ(pool.counters().waiting, 0);
  pool.release(std::move(held));  // nobody queued: the server goes idle
  EXPECT_EQ(pool.counters().idle, 1);
}

TEST_F(HeldServer, a_server_handed_to_a_waiter_that_never_takes_it_is_closed_and_its_slot_freed) {
  // (The test's release of a server the pool never handed out counted one active less.)
  const int active_held = pool.counters().active;
  {
    Pool::Waiter w(shard.io().get_executor());
    ASSERT_EQ(pool.enqueue(w, 0, &shard.io()), Pool::Step::kQueued);
    pool.release(std::move(held));  // handed to w, still counted active
    EXPECT_EQ(pool.counters().waiting, 0);
    EXPECT_EQ(pool.counters().active, active_held);
    EXPECT_EQ(pool.counters().idle, 0);
    EXPECT_FALSE(budget->try_take());  // the server holds the budget's one slot
  }  // destroyed without take(): as a frame destroyed with its stopped loop at shutdown
  EXPECT_EQ(pool.counters().active, active_held - 1);
  EXPECT_EQ(pool.counters().idle, 0);
  EXPECT_TRUE(budget->try_take());  // the slot was given back
  // Terminate, then the socket was closed (no wait: both happened in the destructor).
  std::array<char, 16> got{};
  EXPECT_EQ(::recv(peer, got.data(), got.size(), MSG_DONTWAIT), 5);
  EXPECT_EQ(got[0], 'X');
  EXPECT_EQ(::recv(peer, got.data(), got.size(), MSG_DONTWAIT), 0);
}

TEST(PoolQueue, resume_skips_an_idle_server_with_a_cancel_in_flight) {
  // RESUME used to spin under the pool mutex: such a server went straight back to the idle list.
  Pool pool(settings_for_test(), full_budget(), nullptr, 1);
  int peer = -1;
  std::unique_ptr<ServerConnection> server = fake_server(&peer);
  ServerConnection* const raw = server.get();
  auto cancels = std::make_shared<std::atomic<int>>(1);
  server->cancels = cancels;
  pool.release(std::move(server));
  Shard shard(0);
  auto queued = start_acquire(pool, shard, 0);
  run_until(shard, [&] { return pool.counters().waiting == 1; });
  ASSERT_EQ(pool.counters().waiting, 1);              // the only server has a cancel in flight
  pool.set_paused(false, shard.io().get_executor());  // returns: nothing usable to hand out
  EXPECT_EQ(pool.counters().waiting, 1);
  EXPECT_EQ(pool.counters().idle, 1);
  cancels->store(0);  // the cancel finished: the janitor pass hands the server out
  pool.maintain(std::chrono::steady_clock::now(), shard.io().get_executor());
  run_until(shard, [&] { return queued.wait_for(0s) == std::future_status::ready; });
  ASSERT_EQ(queued.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(queued.get().result.server.get(), raw);
  ::close(peer);
}

TEST(PoolQueue, a_server_goes_to_a_waiter_on_its_own_shard_overtaking_another_at_most_eight_times) {
  Pool pool(settings_for_test(), full_budget(), nullptr, 2);
  int peer = -1;
  pool.release(fake_server(&peer));
  Shard a(0), b(1);
  std::unique_ptr<ServerConnection> held = acquire_now(pool, b);
  ASSERT_TRUE(held);
  server_socket_on(*held, b);  // used on shard b: its socket is registered there
  ServerConnection* const raw = held.get();

  auto on_a = start_acquire(pool, a, 0);  // queued first
  run_until(a, [&] { return pool.counters().waiting == 1; });
  for (int round = 0; round < 8; ++round) {
    auto on_b = start_acquire(pool, b, 0);
    run_until(b, [&] { return pool.counters().waiting == 2; });
    ASSERT_EQ(pool.counters().waiting, 2);
    pool.release(std::move(held));
    run_until(b, [&] { return on_b.wait_for(0s) == std::future_status::ready; });
    ASSERT_EQ(on_b.wait_for(0s), std::future_status::ready) << "round " << round;
    held = on_b.get().result.server;
    EXPECT_EQ(held.get(), raw);
    EXPECT_EQ(held->socket->io, &b.io());
    a.io().restart();
    a.io().poll();
    EXPECT_EQ(on_a.wait_for(0s), std::future_status::timeout) << "round " << round;
  }
  // Overtaken eight times: the client on shard a is served next, FIFO again.
  auto last_b = start_acquire(pool, b, 0);
  run_until(b, [&] { return pool.counters().waiting == 2; });
  pool.release(std::move(held));
  run_until(a, [&] { return on_a.wait_for(0s) == std::future_status::ready; });
  ASSERT_EQ(on_a.wait_for(0s), std::future_status::ready);
  held = on_a.get().result.server;
  EXPECT_EQ(held.get(), raw);
  EXPECT_EQ(pool.counters().waiting, 1);
  EXPECT_EQ(last_b.wait_for(0s), std::future_status::timeout);
  pool.release(std::move(held));  // to the one on shard b
  run_until(b, [&] { return last_b.wait_for(0s) == std::future_status::ready; });
  ASSERT_EQ(last_b.wait_for(0s), std::future_status::ready);
  held = last_b.get().result.server;
  EXPECT_EQ(held.get(), raw);
  pool.release(std::move(held));
  ::close(peer);
}

TEST(PoolQueue, the_shard_preference_looks_at_the_next_fifteen_waiters_only_fifo_within_a_shard) {
  Pool pool(settings_for_test(), full_budget(), nullptr, 2);
  int peer = -1;
  pool.release(fake_server(&peer));
  Shard a(0), b(1);
  std::unique_ptr<ServerConnection> held = acquire_now(pool, b);
  ASSERT_TRUE(held);
  server_socket_on(*held, b);
  ServerConnection* const raw = held.get();
  // (The test's server entered the pool by release(), not a login: the count is relative.)
  const int active_while_held = pool.counters().active;

  // 15 on shard a, then two on shard b: the first of b's is at index 15, inside the window.
  std::vector<std::future<Outcome>> on_a;
  for (int i = 0; i < 15; ++i) {
    on_a.push_back(start_acquire(pool, a, 0));
    run_until(a, [&] { return pool.counters().waiting == i + 1; });
  }
  auto b1 = start_acquire(pool, b, 0);
  run_until(b, [&] { return pool.counters().waiting == 16; });
  auto b2 = start_acquire(pool, b, 0);
  run_until(b, [&] { return pool.counters().waiting == 17; });
  ASSERT_EQ(pool.counters().waiting, 17);

  pool.release(std::move(held));
  run_until(b, [&] { return b1.wait_for(0s) == std::future_status::ready; });
  ASSERT_EQ(b1.wait_for(0s), std::future_status::ready);  // b1 before b2: FIFO within a shard
  EXPECT_EQ(b2.wait_for(0s), std::future_status::timeout);
  Outcome o = b1.get();
  EXPECT_TRUE(o.result.waited);
  held = std::move(o.result.server);
  EXPECT_EQ(held.get(), raw);
  EXPECT_EQ(pool.counters().active, active_while_held);
  EXPECT_EQ(pool.counters().waiting, 16);

  // Another waiter on a: b2 is at index 15 still, a's new one at 16.
  on_a.push_back(start_acquire(pool, a, 0));
  run_until(a, [&] { return pool.counters().waiting == 17; });
  pool.release(std::move(held));
  run_until(b, [&] { return b2.wait_for(0s) == std::future_status::ready; });
  ASSERT_EQ(b2.wait_for(0s), std::future_status::ready);
  held = b2.get().result.server;
  EXPECT_EQ(pool.counters().waiting, 16);

  // Now 16 waiters on a, then one on b at index 16: outside the window, the oldest is served.
  auto b3 = start_acquire(pool, b, 0);
  run_until(b, [&] { return pool.counters().waiting == 17; });
  pool.release(std::move(held));
  run_until(a, [&] { return on_a.front().wait_for(0s) == std::future_status::ready; });
  ASSERT_EQ(on_a.front().wait_for(0s), std::future_status::ready);
  held = on_a.front().get().result.server;
  EXPECT_EQ(held.get(), raw);
  server_socket_on(*held, a);  // as the client on shard a does when it links the server
  b.io().restart();
  b.io().poll();
  EXPECT_EQ(b3.wait_for(0s), std::future_status::timeout);
  EXPECT_EQ(pool.counters().active, active_while_held);

  // Drain: the rest of shard a's clients in order (the server is on a now), then b's.
  size_t next_a = 1;
  while (pool.counters().waiting > 0) {
    pool.release(std::move(held));
    for (int spin = 0; spin < 200 && !held; ++spin) {
      a.io().restart();
      a.io().poll();
      b.io().restart();
      b.io().poll();
      for (size_t i = next_a + 1; i < on_a.size(); ++i)
        EXPECT_EQ(on_a[i].wait_for(0s), std::future_status::timeout) << "out of order: " << i;
      if (next_a < on_a.size() && on_a[next_a].wait_for(0s) == std::future_status::ready) {
        held = on_a[next_a++].get().result.server;
        server_socket_on(*held, a);
      } else if (b3.valid() && b3.wait_for(0s) == std::future_status::ready) {
        EXPECT_EQ(next_a, on_a.size());  // last: after every client of shard a
        held = b3.get().result.server;
        server_socket_on(*held, b);
      } else {
        std::this_thread::sleep_for(1ms);
      }
    }
    ASSERT_TRUE(held);
  }
  EXPECT_EQ(next_a, on_a.size());
  EXPECT_FALSE(b3.valid());  // served too
  pool.release(std::move(held));
  EXPECT_EQ(pool.counters().idle, 1);
  ::close(peer);
}

}  // namespace
}  // namespace sluice
