// Bounds-checked big-endian reader over untrusted protocol bytes (all integers are network order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace sluice::protocol {

// Protocol integers are "in network byte order (most significant byte first)"
// (PostgreSQL docs, Frontend/Backend Protocol, "Message Data Types").
inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline uint16_t load_be16(const uint8_t* p) {
  return static_cast<uint16_t>((uint16_t{p[0]} << 8) | uint16_t{p[1]});
}

// A cursor that never reads past its span; every read returns std::nullopt when the bytes run out.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

  std::optional<uint8_t> byte() {
    if (remaining() < 1) return std::nullopt;
    return data_[pos_++];
  }
  std::optional<uint16_t> int16() {
    if (remaining() < 2) return std::nullopt;
    uint16_t v = load_be16(data_.data() + pos_);
    pos_ += 2;
    return v;
  }
  std::optional<uint32_t> int32() {
    if (remaining() < 4) return std::nullopt;
    uint32_t v = load_be32(data_.data() + pos_);
    pos_ += 4;
    return v;
  }
  // "String: a null-terminated string (C-style string)". The view excludes the terminator.
  std::optional<std::string_view> cstr() {
    const uint8_t* begin = data_.data() + pos_;
    const void* nul = std::memchr(begin, 0, remaining());
    if (nul == nullptr) return std::nullopt;
    size_t len = static_cast<size_t>(static_cast<const uint8_t*>(nul) - begin);
    pos_ += len + 1;
    return std::string_view(reinterpret_cast<const char*>(begin), len);
  }
  std::optional<std::span<const uint8_t>> bytes(size_t n) {
    if (remaining() < n) return std::nullopt;
    auto out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace sluice::protocol
