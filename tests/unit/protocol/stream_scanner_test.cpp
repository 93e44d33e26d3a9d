// Tests for StreamScanner: message boundaries across arbitrary chunking.
#include "protocol/stream_scanner.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/backend_messages.hpp"
#include "protocol/frontend_messages.hpp"
#include "test_bytes.hpp"

namespace sluice::protocol {
namespace {

using testing::as_span;

struct Seen {
  std::vector<std::pair<char, std::string>> messages;  // interesting bodies
  std::vector<std::pair<char, uint32_t>> headers;      // every header
  bool operator==(const Seen&) const = default;
};

// Feeds `chunks` in order and records what the scanner reported.
Seen scan_chunks(StreamScanner& s, const std::vector<std::string_view>& chunks) {
  Seen seen;
  for (std::string_view c : chunks) {
    bool ok = s.scan(
        as_span(c),
        [&](char type, std::span<const uint8_t> body) {
          seen.messages.emplace_back(type, std::string(body.begin(), body.end()));
        },
        [&](char type, uint32_t length) { seen.headers.emplace_back(type, length); });
    EXPECT_TRUE(ok) << s.error();
  }
  return seen;
}

// A realistic backend stream: auth ok, parameter statuses, key data, a big DataRow, RFQ.
std::string backend_stream() {
  std::string out;
  append_authentication_ok(out);
  append_parameter_status(out, "server_version", "16.2");
  append_parameter_status(out, "client_encoding", "UTF8");
  append_backend_key_data(out, 4242, 0x01020304);
  out += std::string("D") + std::string("\x00\x00\x00\x0a\x00\x01", 6) + "abcd";  // DataRow
  out += std::string("C\x00\x00\x00\x04", 5);  // empty-bodied message (not valid C, fine here)
  append_ready_for_query(out, 'I');
  return out;
}

TEST(StreamScanner, reports_every_header_and_only_interesting_bodies) {
  StreamScanner s("SZ", kLargeMessageLimit);
  const std::string stream = backend_stream();
  Seen seen = scan_chunks(s, {stream});
  ASSERT_EQ(seen.headers.size(), 7u);
  EXPECT_EQ(seen.headers[0], std::make_pair('R', 8u));
  EXPECT_EQ(seen.headers[4], std::make_pair('D', 10u));
  EXPECT_EQ(seen.headers[5], std::make_pair('C', 4u));
  ASSERT_EQ(seen.messages.size(), 3u);
  EXPECT_EQ(seen.messages[0].first, 'S');
  EXPECT_EQ(seen.messages[0].second, std::string("server_version\0"
                                                 "16.2\0",
                                                 20));
  EXPECT_EQ(seen.messages[2], std::make_pair('Z', std::string("I")));
  EXPECT_TRUE(s.at_boundary());
  EXPECT_EQ(s.consumed(), stream.size());
}

TEST(StreamScanner, split_at_every_offset_matches_single_chunk) {
  const std::string stream = backend_stream();
  StreamScanner whole("SKZC", kLargeMessageLimit);
  const Seen expected = scan_chunks(whole, {stream});
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    StreamScanner s("SKZC", kLargeMessageLimit);
    std::string_view v(stream);
    Seen got = scan_chunks(s, {v.substr(0, cut), v.substr(cut)});
    EXPECT_EQ(got, expected) << "cut at " << cut;
    EXPECT_TRUE(s.at_boundary());
  }
}

TEST(StreamScanner, split_at_every_pair_of_offsets_matches_single_chunk) {
  const std::string stream = backend_stream();
  StreamScanner whole("SKZ", kLargeMessageLimit);
  const Seen expected = scan_chunks(whole, {stream});
  std::string_view v(stream);
  for (size_t a = 0; a <= stream.size(); ++a) {
    for (size_t b = a; b <= stream.size(); ++b) {
      StreamScanner s("SKZ", kLargeMessageLimit);
      Seen got = scan_chunks(s, {v.substr(0, a), v.substr(a, b - a), v.substr(b)});
      ASSERT_EQ(got, expected) << "cuts at " << a << ", " << b;
    }
  }
}

TEST(StreamScanner, byte_at_a_time_matches_single_chunk) {
  const std::string stream = backend_stream();
  StreamScanner whole("RSKDCZ", kLargeMessageLimit);
  const Seen expected = scan_chunks(whole, {stream});
  StreamScanner s("RSKDCZ", kLargeMessageLimit);
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < stream.size(); ++i) bytes.push_back(std::string_view(stream).substr(i, 1));
  EXPECT_EQ(scan_chunks(s, bytes), expected);
}

TEST(StreamScanner, at_boundary_is_false_inside_a_message) {
  std::string q;
  append_query(q, "select 1");
  StreamScanner s("", kLargeMessageLimit);
  std::string_view v(q);
  for (size_t i = 1; i < q.size(); ++i) {
    StreamScanner fresh("", kLargeMessageLimit);
    scan_chunks(fresh, {v.substr(0, i)});
    EXPECT_FALSE(fresh.at_boundary()) << i;
  }
  scan_chunks(s, {v});
  EXPECT_TRUE(s.at_boundary());
}

TEST(StreamScanner, skips_huge_messages_without_collecting_them) {
  // A 64 MiB CopyData announced by its header, delivered in 64 KiB chunks, then a ReadyForQuery.
  constexpr uint32_t kBody = 64u << 20;
  const testing::Bytes header_bytes = testing::ByteWriter().u8('d').be32(kBody + 4).bytes();
  const std::string header(header_bytes.begin(), header_bytes.end());  // body follows in chunks
  const std::string chunk(64 << 10, 'x');
  StreamScanner s("Z", kLargeMessageLimit);
  int messages = 0, headers = 0;
  auto on_message = [&](char, std::span<const uint8_t>) { ++messages; };
  auto on_header = [&](char, uint32_t) { ++headers; };
  ASSERT_TRUE(s.scan(as_span(header), on_message, on_header));
  for (uint32_t sent = 0; sent < kBody; sent += chunk.size()) {
    EXPECT_FALSE(s.at_boundary());
    ASSERT_TRUE(s.scan(as_span(chunk), on_message, on_header));
  }
  EXPECT_TRUE(s.at_boundary());
  std::string rfq;
  append_ready_for_query(rfq, 'T');
  ASSERT_TRUE(s.scan(as_span(rfq), on_message, on_header));
  EXPECT_EQ(headers, 2);
  EXPECT_EQ(messages, 1);
  EXPECT_TRUE(s.at_boundary());
}

TEST(StreamScanner, collects_interesting_body_spanning_many_chunks) {
  std::string q;
  append_query(q, std::string(5000, 'a'));
  StreamScanner s("Q", kLargeMessageLimit);
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < q.size(); i += 7) chunks.push_back(std::string_view(q).substr(i, 7));
  Seen seen = scan_chunks(s, chunks);
  ASSERT_EQ(seen.messages.size(), 1u);
  EXPECT_EQ(seen.messages[0].second, std::string(5000, 'a') + '\0');
}

TEST(StreamScanner, rejects_length_below_4) {
  const std::string bad("Q\x00\x00\x00\x03", 5);
  StreamScanner s("Q", kLargeMessageLimit);
  EXPECT_FALSE(s.scan(as_span(bad), [](char, std::span<const uint8_t>) {}));
  EXPECT_EQ(s.error(), "invalid message length 3");
  // Stays failed until reset.
  std::string good;
  append_terminate(good);
  EXPECT_FALSE(s.scan(as_span(good), [](char, std::span<const uint8_t>) {}));
  s.reset();
  EXPECT_TRUE(s.scan(as_span(good), [](char, std::span<const uint8_t>) {}));
  EXPECT_TRUE(s.error().empty());
}

TEST(StreamScanner, rejects_length_over_limit_before_body_arrives) {
  const std::string header("p\x00\x00\x27\x11", 5);  // 10001
  StreamScanner s("p", kSmallMessageLimit);
  EXPECT_FALSE(s.scan(as_span(header), [](char, std::span<const uint8_t>) {}));
  EXPECT_EQ(s.error(), "message length 10001 exceeds limit 10000");
}

TEST(StreamScanner, rejects_negative_length_even_with_unlimited_maximum) {
  const std::string header("D\xff\xff\xff\xff", 5);
  StreamScanner s("", 0xffffffffu);
  EXPECT_FALSE(s.scan(as_span(header), [](char, std::span<const uint8_t>) {}));
  EXPECT_FALSE(s.error().empty());
}

TEST(StreamScanner, malformed_length_split_across_chunks_is_detected) {
  const std::string bad("Q\x00\x00\x00\x02", 5);
  StreamScanner s("", kLargeMessageLimit);
  EXPECT_TRUE(s.scan(as_span(std::string_view(bad).substr(0, 3)), [](char, auto) {}));
  EXPECT_FALSE(s.scan(as_span(std::string_view(bad).substr(3)), [](char, auto) {}));
}

TEST(StreamScanner, delivers_empty_interesting_body) {
  std::string x;
  append_terminate(x);
  StreamScanner s("X", kLargeMessageLimit);
  Seen seen = scan_chunks(s, {x});
  ASSERT_EQ(seen.messages.size(), 1u);
  EXPECT_EQ(seen.messages[0], std::make_pair('X', std::string()));
}

TEST(StreamScanner, stop_from_on_message_reports_offset_after_that_message) {
  std::string stream;
  append_query(stream, "select 1");
  const size_t first_end = stream.size();
  append_terminate(stream);
  append_query(stream, "select 2");
  StreamScanner s("QX", kLargeMessageLimit);
  std::vector<char> seen;
  auto stop_at_terminate = [&](char type, std::span<const uint8_t>) {
    seen.push_back(type);
    return type == 'X' ? ScanAction::Stop : ScanAction::Continue;
  };
  ASSERT_TRUE(s.scan(as_span(stream), stop_at_terminate));
  EXPECT_EQ(s.consumed(), first_end + 5);
  EXPECT_EQ(seen, (std::vector<char>{'Q', 'X'}));
  EXPECT_TRUE(s.at_boundary());
  // The caller may resume with the rest of the chunk.
  ASSERT_TRUE(s.scan(as_span(std::string_view(stream).substr(s.consumed())), stop_at_terminate));
  EXPECT_EQ(seen, (std::vector<char>{'Q', 'X', 'Q'}));
}

TEST(StreamScanner, interesting_body_in_one_chunk_is_not_copied) {
  std::string q;
  append_query(q, "select 1");
  StreamScanner s("Q", kLargeMessageLimit);
  const uint8_t* body_ptr = nullptr;
  ASSERT_TRUE(
      s.scan(as_span(q), [&](char, std::span<const uint8_t> body) { body_ptr = body.data(); }));
  EXPECT_EQ(body_ptr, reinterpret_cast<const uint8_t*>(q.data()) + kHeaderSize);
}

TEST(StreamScanner, pull_interface_yields_header_then_message) {
  std::string z;
  append_ready_for_query(z, 'E');
  StreamScanner s("Z", kLargeMessageLimit);
  size_t pos = 0;
  auto ev = s.next(as_span(z), pos);
  EXPECT_EQ(ev.kind, StreamScanner::Event::Kind::Header);
  EXPECT_EQ(ev.length, 5u);
  ev = s.next(as_span(z), pos);
  ASSERT_EQ(ev.kind, StreamScanner::Event::Kind::Message);
  ASSERT_EQ(ev.body.size(), 1u);
  EXPECT_EQ(ev.body[0], 'E');
  EXPECT_EQ(s.next(as_span(z), pos).kind, StreamScanner::Event::Kind::NeedMore);
  EXPECT_EQ(pos, z.size());
}

}  // namespace
}  // namespace sluice::protocol
