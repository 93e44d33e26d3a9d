// Splits a client's message stream into the pieces the prepared-statement rewriter works on:
// messages of the listed types whole (header and body in one span), every other message as raw
// bytes forwarded as they come (a long body streams across chunks and is never buffered).
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::protocol {

struct FramedPiece {
  char type = 0;  // the message type; 0 for the continuation of a streamed body
  // bytes hold the complete message (type, length, body) - or, for a Bind larger than
  // kMaxWholeBind, its head: type, length, portal and statement names; the parameters follow as
  // raw continuation pieces.
  bool whole = false;
  std::span<const uint8_t> bytes;
  std::span<const uint8_t> body() const { return whole ? bytes.subspan(5) : bytes; }
};

class FrontendFramer {
 public:
  // A Bind up to this size is delivered whole; a larger one as its head, the rest streamed (its
  // parameter values are never kept).
  static constexpr size_t kMaxWholeBind = size_t{64} * 1024;
  FrontendFramer(std::string_view whole_types, uint32_t max_message_length);

  // Feeds the next chunk; `pieces` receives what can be forwarded now, in stream order. The spans
  // stay valid until the next feed(). A message of a whole type that has not fully arrived is kept
  // (at most max_message_length bytes) and delivered by a later feed. Returns false, with
  // error(), on a length field < 4 or > the maximum; the stream cannot be resynchronised then.
  bool feed(std::span<const uint8_t> chunk, std::vector<FramedPiece>& pieces);
  // No partial message kept or streaming.
  bool at_boundary() const { return pending_.size() == used_ && stream_remaining_ == 0; }
  const std::string& error() const { return error_; }

 private:
  std::bitset<256> whole_;
  uint32_t max_message_length_;
  // The start of an incomplete message (or header), then the chunks appended to it; the first
  // `used_` bytes were handed out by the last feed() and are dropped at the next one. Appending
  // without recopying keeps a large message's assembly linear.
  std::vector<uint8_t> pending_;
  size_t used_ = 0;
  uint64_t stream_remaining_ = 0;  // body bytes of a raw message still to come
  std::string error_;
};

}  // namespace sluice::protocol
