// Whole-message reads and writes for the login and control phases (not the relay hot path).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "server/asio.hpp"

namespace sluice {

class TlsChannel;

struct Message {
  char type = 0;
  std::string body;  // without the 5-byte header
  std::span<const uint8_t> bytes() const {
    return {reinterpret_cast<const uint8_t*>(body.data()), body.size()};
  }
};

inline std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Reads one typed message. Throws boost::system::system_error on I/O errors, and
// std::runtime_error("invalid message length") when the length is < 4 or > max_length.
Awaitable<Message> read_message(Socket& sock, uint32_t max_length);

// Writes all of `data`.
Awaitable<void> write_all(Socket& sock, std::string_view data);

// The same through `tls` when it is not null (a client that sent SSLRequest), else on `sock`.
Awaitable<Message> read_message(Socket& sock, TlsChannel* tls, uint32_t max_length);
Awaitable<void> write_all(Socket& sock, TlsChannel* tls, std::string_view data);
// What write_all sends first, without a coroutine: what a plain non-blocking socket takes of `data`
// now. Returns the rest, for write_all ("" when all of it went; all of it over TLS). Throws on
// errors as write_all does. For the login's answers, which nearly always go at once: calling
// write_all for them costs a coroutine frame and its start and end.
std::string_view write_now(Socket& sock, TlsChannel* tls, std::string_view data);
// Reads what is there (at least one byte), waiting as needed. Throws on EOF and errors.
Awaitable<size_t> read_some(Socket& sock, TlsChannel* tls, std::span<uint8_t> out);

}  // namespace sluice
