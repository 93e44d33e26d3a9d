// Whole-message reads and writes for the login and control phases.
#include "server/message_io.hpp"

#include <stdexcept>

#include "server/nonblocking_io.hpp"
#include "server/tls_channel.hpp"

namespace sluice {

namespace {

// A message with its type and a body sized from the 5-byte header; throws on a bad length.
Message message_for_header(const uint8_t (&header)[5], uint32_t max_length) {
  uint32_t len = (uint32_t{header[1]} << 24) | (uint32_t{header[2]} << 16) |
                 (uint32_t{header[3]} << 8) | uint32_t{header[4]};
  if (len < 4 || len > max_length) throw std::runtime_error("invalid message length");
  Message m;
  m.type = static_cast<char>(header[0]);
  m.body.resize(len - 4);
  return m;
}

// Reads what the socket already holds of `out` without suspending, when it is in non-blocking
// mode (a blocking socket is left to the asynchronous read). Returns the bytes read; throws on EOF
// and errors as the asynchronous read would.
size_t read_available(Socket& sock, std::span<uint8_t> out) {
  if (!sock.non_blocking()) return 0;  // the flag Asio keeps: no syscall
  boost::system::error_code ec;
  const size_t n = sock.read_some(asio::buffer(out.data(), out.size()), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return 0;
  if (ec) throw boost::system::system_error(ec);
  return n;
}

// Sends what the socket takes of `data` now, when it is in non-blocking mode (else 0, for the
// asynchronous write). Returns the bytes sent; throws on errors as the asynchronous write would.
// Why: an asynchronous write that completes at once, as nearly every login answer does (the send
// buffer is empty), still goes through the scheduler to resume its caller: a lock, a queue and a
// dispatch, about as much work as the send itself.
size_t write_available(Socket& sock, std::string_view data) {
  if (!sock.non_blocking()) return 0;
  size_t done = 0;
  while (done < data.size()) {
    boost::system::error_code ec;
    const size_t n =
        nbio::send_some(sock.native_handle(), data.data() + done, data.size() - done, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) throw boost::system::system_error(ec);
    if (n == 0) break;  // never for a stream socket; the asynchronous write would sort it out
    done += n;
  }
  return done;
}

}  // namespace

namespace {

Awaitable<void> tls_read_exactly(Socket& sock, TlsChannel& tls, std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) done += co_await tls_read_some(sock, tls, out.subspan(done));
}

}  // namespace

// One coroutine serves plain and TLS sockets: a nested coroutine per call would be one more frame
// allocated and freed per login message.
Awaitable<Message> read_message(Socket& sock, TlsChannel* tls, uint32_t max_length) {
  uint8_t header[5];
  if (tls) {
    co_await tls_read_exactly(sock, *tls, header);
  } else {
    co_await asio::async_read(sock, asio::buffer(header), kUseAwaitable);
  }
  Message m = message_for_header(header, max_length);
  if (!m.body.empty()) {
    std::span<uint8_t> body(reinterpret_cast<uint8_t*>(m.body.data()), m.body.size());
    if (tls) {
      co_await tls_read_exactly(sock, *tls, body);
    } else {
      // The body normally arrived with its header: read it at once rather than through another
      // asynchronous read, whose completion goes through the scheduler (and an epoll_wait).
      const size_t got = read_available(sock, body);
      if (got < body.size()) {
        co_await asio::async_read(sock, asio::buffer(body.subspan(got).data(), body.size() - got),
                                  kUseAwaitable);
      }
    }
  }
  co_return m;
}

Awaitable<void> write_all(Socket& sock, TlsChannel* tls, std::string_view data) {
  if (!tls) {
    const size_t done = write_available(sock, data);
    if (done < data.size()) {
      co_await asio::async_write(sock, asio::buffer(data.data() + done, data.size() - done),
                                 kUseAwaitable);
    }
    co_return;
  }
  boost::system::error_code ec;
  co_await tls_write_all(sock, *tls, as_bytes(data), ec);
  if (ec) throw boost::system::system_error(ec);
}

std::string_view write_now(Socket& sock, TlsChannel* tls, std::string_view data) {
  if (tls) return data;
  return data.substr(write_available(sock, data));
}

// The plain-socket forms are not coroutines: they hand out the coroutines above (no extra frame).
Awaitable<Message> read_message(Socket& sock, uint32_t max_length) {
  return read_message(sock, nullptr, max_length);
}

Awaitable<void> write_all(Socket& sock, std::string_view data) {
  return write_all(sock, nullptr, data);
}

Awaitable<size_t> read_some(Socket& sock, TlsChannel* tls, std::span<uint8_t> out) {
  if (tls) co_return co_await tls_read_some(sock, *tls, out);
  co_return co_await sock.async_read_some(asio::buffer(out.data(), out.size()), kUseAwaitable);
}

}  // namespace sluice
