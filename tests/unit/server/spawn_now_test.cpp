// spawn_now: a coroutine started from a handler runs at once, up to its first suspension, on the
// calling thread (co_spawn would only have queued its start); it then resumes through the loop as
// any coroutine; and an exception that escapes it ends only that coroutine, as asio::detached.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <vector>

#include "server/asio.hpp"
#include "server/spawn_now.hpp"

namespace sluice {
namespace {

Awaitable<void> record_then_wait(std::vector<int>& steps, SteadyTimer& timer) {
  steps.push_back(1);
  timer.expires_after(std::chrono::milliseconds(1));
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(kUseAwaitable, ec));
  steps.push_back(3);
}

Awaitable<void> throw_at_once() {
  throw std::runtime_error("escapes the coroutine");
  co_return;  // NOLINT(readability-redundant-control-flow): makes this function a coroutine
}

TEST(SpawnNow, runs_the_coroutine_up_to_its_first_suspension_before_returning) {
  asio::io_context io{1};
  SteadyTimer timer(io);
  std::vector<int> steps;
  asio::post(io, [&] {
    spawn_now(io.get_executor(), record_then_wait(steps, timer));
    steps.push_back(2);  // after the coroutine's first step, before its resumption
  });
  io.run();
  EXPECT_EQ(steps, (std::vector<int>{1, 2, 3}));
}

TEST(SpawnNow, co_spawn_by_contrast_only_queues_the_start) {
  asio::io_context io{1};
  SteadyTimer timer(io);
  std::vector<int> steps;
  asio::post(io, [&] {
    asio::co_spawn(io, record_then_wait(steps, timer), asio::detached);
    steps.push_back(2);
  });
  io.run();
  EXPECT_EQ(steps, (std::vector<int>{2, 1, 3}));
}

Awaitable<void> throw_after_a_wait(SteadyTimer& timer, bool& resumed) {
  timer.expires_after(std::chrono::milliseconds(1));
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(kUseAwaitable, ec));
  resumed = true;
  throw std::runtime_error("escapes the coroutine after its first suspension");
}

TEST(SpawnNow, an_exception_after_a_suspension_ends_only_that_coroutine) {
  asio::io_context io{1};
  SteadyTimer timer(io);
  bool resumed = false;
  asio::post(io, [&] { spawn_now(io.get_executor(), throw_after_a_wait(timer, resumed)); });
  EXPECT_NO_THROW(io.run());
  EXPECT_TRUE(resumed);
}

TEST(SpawnNow, an_escaping_exception_ends_only_that_coroutine) {
  asio::io_context io{1};
  bool after = false;
  asio::post(io, [&] {
    spawn_now(io.get_executor(), throw_at_once());
    after = true;
  });
  EXPECT_NO_THROW(io.run());
  EXPECT_TRUE(after);
}

}  // namespace
}  // namespace sluice
