// Starting a detached coroutine on the calling thread, at once.
//
// asio::co_spawn posts a new coroutine's start: a trip through the scheduler (a lock, a queued
// operation, a dispatch) plus two work-tracking executors, about a thousand instructions, and the
// coroutine runs only after whatever else the loop has queued. Where the caller already runs on the
// coroutine's executor and the coroutine's first step is what should happen next (a client's bytes
// have just arrived; a server's request has just been written), spawn_now runs it right away, up
// to its first suspension, as Asio itself launches the coroutine that co_spawn's post resumes.
// Like asio::detached, an exception that escapes the coroutine ends it and nothing else.
// Unlike co_spawn, the coroutine does not count as outstanding work of the io_context while it is
// suspended: only its pending operation does. A coroutine parked on a stored handler (the relay's
// server side, a pool waiter) does not keep the loop's run() from returning; the shards do not rely
// on that, their work guard is held until they stop (server/shard.hpp).
#pragma once

#include <boost/version.hpp>

#include "server/asio.hpp"

namespace sluice {

namespace spawn_detail {
inline Awaitable<void> detached_body(Awaitable<void> body) {
  try {
    co_await std::move(body);
  } catch (...) {  // NOLINT(bugprone-empty-catch): as asio::detached, which drops it too
  }
}
}  // namespace spawn_detail

// Call only on `ex`'s thread, from a handler or coroutine of that io_context.
inline void spawn_now(const Executor& ex, Awaitable<void> body) {
#if BOOST_VERSION == 107400
  // Asio 1.74's own launch (impl/co_spawn.hpp, initiate_co_spawn), without the entry point's post.
  asio::detail::awaitable_thread<Executor>(spawn_detail::detached_body(std::move(body)), ex)
      .launch();
#else
  asio::co_spawn(ex, std::move(body), asio::detached);  // other Asio versions: the public way
#endif
}

}  // namespace sluice
