// Whole-message reads and writes for the login and control phases.
#include "server/message_io.hpp"

#include <stdexcept>

namespace sluice {

Awaitable<Message> read_message(Socket& sock, uint32_t max_length) {
  uint8_t header[5];
  co_await asio::async_read(sock, asio::buffer(header), asio::use_awaitable);
  uint32_t len = (uint32_t{header[1]} << 24) | (uint32_t{header[2]} << 16) |
                 (uint32_t{header[3]} << 8) | uint32_t{header[4]};
  if (len < 4 || len > max_length) throw std::runtime_error("invalid message length");
  Message m;
  m.type = static_cast<char>(header[0]);
  m.body.resize(len - 4);
  if (!m.body.empty()) {
    co_await asio::async_read(sock, asio::buffer(m.body), asio::use_awaitable);
  }
  co_return m;
}

Awaitable<void> write_all(Socket& sock, std::string_view data) {
  co_await asio::async_write(sock, asio::buffer(data.data(), data.size()), asio::use_awaitable);
}

}  // namespace sluice
