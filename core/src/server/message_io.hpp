// Whole-message reads and writes for the login and control phases (not the relay hot path).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "server/asio.hpp"

namespace sluice {

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

}  // namespace sluice
