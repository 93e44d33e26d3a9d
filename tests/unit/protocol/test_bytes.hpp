// Test helpers: readable construction of wire bytes and conversions to spans.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::protocol::testing {

using Bytes = std::vector<uint8_t>;

// Appends big-endian integers, raw text and C strings, so expected packets read like the docs.
class ByteWriter {
 public:
  ByteWriter& u8(uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  ByteWriter& be32(uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<uint8_t>(v >> shift));
    return *this;
  }
  ByteWriter& text(std::string_view s) {
    out_.insert(out_.end(), s.begin(), s.end());
    return *this;
  }
  ByteWriter& cstr(std::string_view s) { return text(s).u8(0); }
  Bytes bytes() const { return out_; }

 private:
  Bytes out_;
};

inline std::span<const uint8_t> as_span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline Bytes to_bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
inline Bytes hex_bytes(std::initializer_list<uint8_t> b) {
  return Bytes(b);
}

}  // namespace sluice::protocol::testing
