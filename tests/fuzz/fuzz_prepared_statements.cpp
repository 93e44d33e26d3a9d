// libFuzzer target: prepared-statement rewriting end to end. A client's byte stream (cut into
// chunks where the input says) goes through FrontendFramer and rewrite_frontend_message; the server
// answers every Parse and Close of the rewritten stream in order - skipping the rest of a segment
// after a simulated error where the input says - and filter_replies must match every answer,
// forward exactly what the client is owed, and keep the maps consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "protocol/frontend_framer.hpp"
#include "protocol/message_builder.hpp"
#include "protocol/reply_filter.hpp"
#include "protocol/statement_cache.hpp"
#include "protocol/statement_rewriter.hpp"

using namespace sluice::protocol;

namespace {
void require(bool cond) {
  if (!cond) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t chunk_size = static_cast<uint8_t>(data[0] | 1);  // 1..255 bytes per read
  const uint8_t error_every = data[1];                           // 0: no simulated errors
  std::span<const uint8_t> in(data + 2, size - 2);

  FrontendFramer framer("PBDC", 1 << 20);
  ClientStatements client;
  ServerStatementCache server;
  ReplyQueue replies;
  RewriteContext ctx{client, server, replies};
  ctx.capacity = 3;  // small: eviction paths run often
  std::string to_server;
  std::vector<FramedPiece> pieces;
  for (size_t pos = 0; pos < in.size(); pos += chunk_size) {
    auto chunk = in.subspan(pos, std::min<size_t>(chunk_size, in.size() - pos));
    if (!framer.feed(chunk, pieces)) return 0;
    for (const auto& p : pieces) {
      if (!p.whole) {
        to_server.append(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size());
        if (p.type == 'S' || p.type == 'Q' || p.type == 'F') ++ctx.segment;
        continue;
      }
      RewriteError error;
      if (!rewrite_frontend_message(p.bytes, ctx, to_server, error)) {
        require(!error.message.empty() && !error.sqlstate.empty());
        return 0;  // the session would close the client here
      }
    }
  }

  // The server: answers each queued reply in order, in segments; a simulated error skips the rest
  // of a segment. Then ReadyForQuery ends the segment.
  std::string from_server;
  size_t owed_parse = 0, owed_close = 0;
  std::vector<PendingReply> order;
  {
    ReplyQueue copy = replies;
    while (!copy.empty()) {
      order.push_back(copy.front());
      copy.pop_front();
    }
  }
  uint64_t segment = 0;
  size_t i = 0, n = 0;
  while (i < order.size()) {
    bool skipping = false;
    for (; i < order.size() && order[i].segment == segment; ++i) {
      if (!skipping && error_every && ++n % error_every == 0) {
        MessageBuilder(from_server).begin('E').byte('S').cstr("ERROR").byte(0).end();
        skipping = true;
      }
      if (skipping) continue;
      MessageBuilder(from_server).begin(order[i].reply).end();
      if (order[i].action == PendingReply::Action::Forward) {
        (order[i].reply == '1' ? owed_parse : owed_close) += 1;
      } else if (order[i].action == PendingReply::Action::AsParseComplete) {
        ++owed_parse;
      }
    }
    MessageBuilder(from_server).begin('Z').byte('I').end();
    ++segment;
  }

  StreamScanner scanner("ZSCE", 1 << 20);
  HeldHeader held;
  std::string to_client;
  uint64_t done = 0;
  for (size_t pos = 0; pos < from_server.size(); pos += chunk_size) {
    std::string chunk(reinterpret_cast<const char*>(held.bytes.data()), held.size);
    chunk.append(from_server, pos, chunk_size);
    auto r = filter_replies(
        std::span<uint8_t>(reinterpret_cast<uint8_t*>(chunk.data()), chunk.size()), scanner,
        replies, &server, held,
        [&](char type, std::span<const uint8_t>) {
          if (type == 'Z') finish_segment(++done, client, server, replies);
        },
        [](char, uint32_t) {});
    require(r.ok);
    to_client.append(chunk, 0, r.kept);
  }
  require(held.size == 0);
  require(replies.empty());
  size_t got_parse = 0, got_close = 0;
  for (size_t p = 0; p + 5 <= to_client.size();) {
    const auto* b = reinterpret_cast<const uint8_t*>(to_client.data()) + p;
    const uint32_t len =
        (uint32_t{b[1]} << 24) | (uint32_t{b[2]} << 16) | (uint32_t{b[3]} << 8) | b[4];
    got_parse += b[0] == '1';
    got_close += b[0] == '3';
    p += 1 + len;
  }
  require(got_parse == owed_parse);
  require(got_close == owed_close);
  require(server.size() <= ctx.capacity);
  return 0;
}
