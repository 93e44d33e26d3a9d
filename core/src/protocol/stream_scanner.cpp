// StreamScanner's state machine: header bytes, then a body that is skipped or collected.
#include "protocol/stream_scanner.hpp"

#include <algorithm>
#include <limits>

#include "protocol/byte_reader.hpp"

namespace sluice::protocol {

StreamScanner::StreamScanner(std::string_view interesting_types, uint32_t max_message_length)
    // The length is an Int32: values above INT32_MAX are negative on the wire and never valid.
    : max_message_length_(
          std::min<uint32_t>(max_message_length, std::numeric_limits<int32_t>::max())) {
  for (char c : interesting_types) interesting_.set(static_cast<uint8_t>(c));
}

void StreamScanner::reset() {
  header_have_ = 0;
  in_body_ = false;
  collecting_ = false;
  type_ = 0;
  remaining_ = 0;
  body_.clear();
  error_.clear();
  consumed_ = 0;
}

StreamScanner::Event StreamScanner::next_slow(std::span<const uint8_t> chunk, size_t& pos) {
  Event ev;
  if (failed()) {
    ev.kind = Event::Kind::Error;
    return ev;
  }
  for (;;) {
    const size_t avail = chunk.size() - pos;
    if (!in_body_) {
      // Header state. Read it straight from the chunk when whole, else gather it in header_.
      const uint8_t* header;
      if (header_have_ == 0 && avail >= kHeaderSize) {
        header = chunk.data() + pos;
        pos += kHeaderSize;
      } else {
        const size_t n = std::min(kHeaderSize - header_have_, avail);
        std::copy_n(chunk.data() + pos, n, header_.data() + header_have_);
        header_have_ += n;
        pos += n;
        if (header_have_ < kHeaderSize) return ev;  // NeedMore
        header = header_.data();
      }
      header_have_ = 0;
      const char type = static_cast<char>(header[0]);
      const uint32_t length = load_be32(header + 1);
      if (length < kMinMessageLength || length > max_message_length_) {
        error_ = length < kMinMessageLength
                     ? "invalid message length " + std::to_string(length)
                     : "message length " + std::to_string(length) + " exceeds limit " +
                           std::to_string(max_message_length_);
        ev.kind = Event::Kind::Error;
        return ev;
      }
      type_ = type;
      remaining_ = length - kMinMessageLength;
      in_body_ = true;
      collecting_ = interesting_.test(static_cast<uint8_t>(type));
      if (collecting_) body_.clear();
      ev.kind = Event::Kind::Header;
      ev.type = type;
      ev.length = length;
      return ev;
    }

    if (!collecting_) {
      const size_t n = std::min<size_t>(remaining_, avail);
      pos += n;
      remaining_ -= static_cast<uint32_t>(n);
      if (remaining_ > 0) return ev;  // NeedMore: the chunk ended inside a skipped body
      in_body_ = false;
      continue;
    }

    // Collecting: hand out a span into the chunk when the body is wholly in it (no copy).
    ev.kind = Event::Kind::Message;
    ev.type = type_;
    if (body_.empty() && avail >= remaining_) {
      ev.body = chunk.subspan(pos, remaining_);
      pos += remaining_;
    } else {
      const size_t n = std::min<size_t>(remaining_, avail);
      body_.insert(body_.end(), chunk.begin() + static_cast<ptrdiff_t>(pos),
                   chunk.begin() + static_cast<ptrdiff_t>(pos + n));
      pos += n;
      remaining_ -= static_cast<uint32_t>(n);
      if (remaining_ > 0) return Event{};  // NeedMore
      ev.body = body_;
    }
    remaining_ = 0;
    in_body_ = false;
    collecting_ = false;
    return ev;
  }
}

}  // namespace sluice::protocol
