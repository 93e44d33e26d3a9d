// The server-to-client half of prepared-statement rewriting: each ParseComplete ('1') and
// CloseComplete ('3') the server sends is matched, in order, with the PendingReply queued when the
// Parse or Close went out, and forwarded, dropped or turned into ParseComplete as it says.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "protocol/message_header.hpp"
#include "protocol/statement_rewriter.hpp"
#include "protocol/stream_scanner.hpp"

namespace sluice::protocol {

struct ReplyFilterResult {
  bool ok = true;
  std::string error;
  size_t kept = 0;  // bytes at the front of the chunk to forward
};

// Bytes of an incomplete header held back from the end of one chunk for the front of the next.
struct HeldHeader {
  std::array<uint8_t, kHeaderSize> bytes{};
  size_t size = 0;
};

// Scans `chunk` (the held bytes of the previous call already in front of it) with `scanner`,
// calling on_message/on_boundary exactly as StreamScanner::scan does, and edits the answers to
// Parse and Close in place. A trailing incomplete header goes to `held` instead of the output, so
// every header is edited whole. `replies` must hold one entry per Parse/Close sent and not yet
// answered or skipped; an unexpected '1' or '3' is a protocol error. A ParseComplete confirms its
// statement in `cache`.
template <class OnMessage, class OnBoundary>
ReplyFilterResult filter_replies(std::span<uint8_t> chunk, StreamScanner& scanner,
                                 ReplyQueue& replies, ServerStatementCache* cache, HeldHeader& held,
                                 OnMessage&& on_message, OnBoundary&& on_boundary) {
  ReplyFilterResult res;
  size_t pos = 0, dst = 0, mark = 0;  // bytes [mark, drop start) move down to dst
  auto drop = [&](size_t begin, size_t end) {
    if (begin > mark) std::memmove(chunk.data() + dst, chunk.data() + mark, begin - mark);
    dst += begin - mark;
    mark = end;
  };
  for (;;) {
    StreamScanner::Event ev = scanner.next(chunk, pos);
    if (ev.kind == StreamScanner::Event::Kind::NeedMore) break;
    if (ev.kind == StreamScanner::Event::Kind::Error) {
      res.ok = false;
      res.error = scanner.error();
      return res;
    }
    if (ev.kind == StreamScanner::Event::Kind::Message) {
      on_message(ev.type, ev.body);
      continue;
    }
    on_boundary(ev.type, ev.length);
    if (ev.type != '1' && ev.type != '3') continue;
    if (replies.empty() || replies.front().reply != ev.type || ev.length != kMinMessageLength ||
        pos < kHeaderSize) {
      res.ok = false;
      res.error = std::string("unexpected '") + ev.type + "' message from the server";
      return res;
    }
    const PendingReply& front = replies.front();
    if (front.reply == '1' && front.text && cache) cache->confirm(front.text, front.server_name);
    const PendingReply::Action action = front.action;
    replies.pop_front();
    const size_t start = pos - kHeaderSize;
    if (action == PendingReply::Action::Drop) {
      drop(start, pos);
    } else if (action == PendingReply::Action::AsParseComplete) {
      chunk[start] = '1';
    }
  }
  held.size = scanner.take_partial_header();
  const size_t end = chunk.size() - held.size;
  std::memcpy(held.bytes.data(), chunk.data() + end, held.size);
  drop(end, end);
  res.kept = dst;
  return res;
}

}  // namespace sluice::protocol
