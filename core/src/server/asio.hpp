// The one place that includes Boost.Asio (with the g++ 12 / Boost 1.74 workaround). Only .cpp files
// and headers of the socket layer include this; keep it out of widely included headers.
#pragma once

#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without including <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace sluice {
namespace asio = boost::asio;
// Every I/O object, coroutine and completion token is typed on the io_context's own executor, not
// on Asio's default, the type-erased any_io_executor: a completion then goes straight to the
// scheduler instead of through any_io_executor's virtual execute, handler_work's dispatch on the
// erased type and an executor_function allocated per handler.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<asio::generic::stream_protocol, Executor>;
using SteadyTimer =
    asio::basic_waitable_timer<std::chrono::steady_clock,
                               asio::wait_traits<std::chrono::steady_clock>, Executor>;
using TcpAcceptor = asio::basic_socket_acceptor<asio::ip::tcp, Executor>;
using TcpResolver = asio::ip::basic_resolver<asio::ip::tcp, Executor>;
using UnixAcceptor = asio::basic_socket_acceptor<asio::local::stream_protocol, Executor>;
using UnixSocket = asio::basic_stream_socket<asio::local::stream_protocol, Executor>;
using SignalSet = asio::basic_signal_set<Executor>;
template <class T = void>
using Awaitable = asio::awaitable<T, Executor>;
// The completion token of sluice's coroutines (asio::use_awaitable is for any_io_executor's).
inline constexpr asio::use_awaitable_t<Executor> kUseAwaitable{};
}  // namespace sluice
