// Finds typed-message boundaries in a relayed byte stream, collecting only the bodies the caller
// asks for.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "protocol/byte_reader.hpp"
#include "protocol/message_header.hpp"

namespace sluice::protocol {

// What an on_message callback may return to stop the scan right after the message it was given.
enum class ScanAction { Continue, Stop };

// Walks a stream of typed messages (Byte1 type, Int32 length incl. self, body; PostgreSQL docs,
// "Messaging Overview") chunk by chunk. Skipped messages are never copied or allocated for; an
// "interesting" message body is handed out as a span into the chunk when it lies wholly inside
// it, otherwise it is gathered into an internal buffer (capacity reused) across chunks.
// Cost per scan() is O(chunk size). Not for the untyped startup packet: see startup_decoder.hpp.
class StreamScanner {
 public:
  // `interesting_types`: message type bytes whose bodies are delivered to on_message.
  // `max_message_length`: largest accepted length field (it counts itself, not the type byte).
  StreamScanner(std::string_view interesting_types, uint32_t max_message_length);

  // Scans `chunk`, the next bytes of the stream. Calls on_boundary(char type, uint32_t length)
  // for every message header as soon as its 5 bytes are seen (`length` is the wire length field),
  // and on_message(char type, std::span<const uint8_t> body) when an interesting message is
  // complete; the body span is valid only during the call. on_message may return void or
  // ScanAction: Stop ends this scan just after that message, and consumed() says where.
  // Returns false and sets error() on a length field < 4 or > max_message_length; the scanner
  // then stays failed (the stream cannot be resynchronised) until reset().
  template <class OnMessage, class OnBoundary>
  bool scan(std::span<const uint8_t> chunk, OnMessage&& on_message, OnBoundary&& on_boundary);
  template <class OnMessage>
  bool scan(std::span<const uint8_t> chunk, OnMessage&& on_message) {
    return scan(chunk, on_message, [](char, uint32_t) {});
  }

  bool at_boundary() const { return header_have_ == 0 && !in_body_; }  // no partial message
  // Header bytes of an incomplete header at the end of the last chunk, forgotten: the caller
  // holds them back and feeds them again in front of the next chunk (so that every header it
  // sees lies whole inside one chunk, where it can be edited). Returns how many there were.
  size_t take_partial_header() {
    const size_t n = in_body_ ? 0 : header_have_;
    header_have_ = in_body_ ? header_have_ : 0;
    return n;
  }
  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }
  // Bytes of the last chunk processed by the last scan(): chunk.size() unless on_message
  // returned Stop (then: the end offset of that message) or the scan failed.
  size_t consumed() const { return consumed_; }
  void reset();

  // One step of the scan, for callers that prefer pulling events to callbacks (scan() is built
  // on it). Advances `pos` within `chunk`; NeedMore means `pos` reached the end of the chunk.
  struct Event {
    enum class Kind { NeedMore, Header, Message, Error };
    Kind kind = Kind::NeedMore;
    char type = 0;
    uint32_t length = 0;            // Header: the wire length field
    std::span<const uint8_t> body;  // Message: the complete body
  };
  // Inline for the common steps (a whole header in the chunk, a skipped body, a body wholly in
  // the chunk); the rest (split headers, gathered bodies, errors) is next_slow.
  Event next(std::span<const uint8_t> chunk, size_t& pos);

 private:
  Event next_slow(std::span<const uint8_t> chunk, size_t& pos);

  std::bitset<256> interesting_;  // a bitset: every session holds two scanners
  uint32_t max_message_length_;
  std::array<uint8_t, kHeaderSize> header_{};
  size_t header_have_ = 0;
  bool in_body_ = false;
  bool collecting_ = false;
  char type_ = 0;
  uint32_t remaining_ = 0;  // body bytes still to come for the current message
  std::vector<uint8_t> body_;
  std::string error_;
  size_t consumed_ = 0;
};

inline StreamScanner::Event StreamScanner::next(std::span<const uint8_t> chunk, size_t& pos) {
  // Each step either completes (its state changes) or leaves the state untouched for next_slow.
  for (;;) {
    const size_t avail = chunk.size() - pos;
    if (!in_body_) {
      if (header_have_ != 0 || avail < kHeaderSize || failed()) break;
      const uint8_t* header = chunk.data() + pos;
      const uint32_t length = load_be32(header + 1);
      if (length < kMinMessageLength || length > max_message_length_) break;  // next_slow says
      pos += kHeaderSize;
      type_ = static_cast<char>(header[0]);
      remaining_ = length - kMinMessageLength;
      in_body_ = true;
      collecting_ = interesting_.test(header[0]);
      if (collecting_) body_.clear();
      Event ev;
      ev.kind = Event::Kind::Header;
      ev.type = type_;
      ev.length = length;
      return ev;
    }
    if (!collecting_) {
      const size_t n = remaining_ < avail ? remaining_ : avail;
      pos += n;
      remaining_ -= static_cast<uint32_t>(n);
      if (remaining_ > 0) return Event{};  // NeedMore: the chunk ended inside a skipped body
      in_body_ = false;
      continue;
    }
    if (!body_.empty() || avail < remaining_) break;  // gathered across chunks: next_slow
    Event ev;
    ev.kind = Event::Kind::Message;
    ev.type = type_;
    ev.body = chunk.subspan(pos, remaining_);
    pos += remaining_;
    remaining_ = 0;
    in_body_ = false;
    collecting_ = false;
    return ev;
  }
  return next_slow(chunk, pos);
}

template <class OnMessage, class OnBoundary>
bool StreamScanner::scan(std::span<const uint8_t> chunk, OnMessage&& on_message,
                         OnBoundary&& on_boundary) {
  size_t pos = 0;
  consumed_ = 0;
  if (failed()) return false;
  for (;;) {
    Event ev = next(chunk, pos);
    switch (ev.kind) {
      case Event::Kind::NeedMore:
        consumed_ = pos;
        return true;
      case Event::Kind::Error:
        consumed_ = pos;
        return false;
      case Event::Kind::Header:
        on_boundary(ev.type, ev.length);
        break;
      case Event::Kind::Message:
        using Result = std::invoke_result_t<OnMessage&, char, std::span<const uint8_t>>;
        if constexpr (std::is_same_v<Result, ScanAction>) {
          if (on_message(ev.type, ev.body) == ScanAction::Stop) {
            consumed_ = pos;
            return true;
          }
        } else {
          on_message(ev.type, ev.body);
        }
        break;
    }
  }
}

}  // namespace sluice::protocol
