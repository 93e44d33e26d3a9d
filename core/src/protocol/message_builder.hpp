// Appends one outgoing protocol message at a time to a byte string, patching its length at end().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice::protocol {

// Usage: MessageBuilder(out).begin('Q').cstr(sql).end();
// begin(type) writes the type byte (none for type 0: the untyped startup-phase packets) and a
// length placeholder; end() fills in the length, which counts itself but not the type byte
// (PostgreSQL docs, "Messaging Overview"). Integers are written in network byte order.
class MessageBuilder {
 public:
  explicit MessageBuilder(std::string& out) : out_(out) {}

  MessageBuilder& begin(char type);
  MessageBuilder& int32(uint32_t v);
  MessageBuilder& int16(uint16_t v);
  MessageBuilder& byte(uint8_t v);
  MessageBuilder& cstr(std::string_view s);  // s then a terminating NUL; s must not contain NUL
  MessageBuilder& bytes(std::span<const uint8_t> b);
  MessageBuilder& bytes(std::string_view b);
  void end();

 private:
  std::string& out_;
  size_t length_pos_ = 0;
  bool open_ = false;
};

}  // namespace sluice::protocol
