// MessageBuilder: big-endian appends and the deferred length patch.
#include "protocol/message_builder.hpp"

#include <cassert>

namespace sluice::protocol {

MessageBuilder& MessageBuilder::begin(char type) {
  assert(!open_ && "MessageBuilder::begin without end");
  if (type != 0) out_.push_back(type);
  length_pos_ = out_.size();
  out_.append(4, '\0');
  open_ = true;
  return *this;
}

MessageBuilder& MessageBuilder::int32(uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out_.append(b, 4);
  return *this;
}

MessageBuilder& MessageBuilder::int16(uint16_t v) {
  const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out_.append(b, 2);
  return *this;
}

MessageBuilder& MessageBuilder::byte(uint8_t v) {
  out_.push_back(static_cast<char>(v));
  return *this;
}

MessageBuilder& MessageBuilder::cstr(std::string_view s) {
  assert(s.find('\0') == std::string_view::npos && "protocol strings cannot contain NUL");
  out_.append(s);
  out_.push_back('\0');
  return *this;
}

MessageBuilder& MessageBuilder::bytes(std::span<const uint8_t> b) {
  out_.append(reinterpret_cast<const char*>(b.data()), b.size());
  return *this;
}

MessageBuilder& MessageBuilder::bytes(std::string_view b) {
  out_.append(b);
  return *this;
}

void MessageBuilder::end() {
  assert(open_ && "MessageBuilder::end without begin");
  const size_t len = out_.size() - length_pos_;
  out_[length_pos_ + 0] = static_cast<char>(len >> 24);
  out_[length_pos_ + 1] = static_cast<char>(len >> 16);
  out_[length_pos_ + 2] = static_cast<char>(len >> 8);
  out_[length_pos_ + 3] = static_cast<char>(len);
  open_ = false;
}

}  // namespace sluice::protocol
