// Protocol-level prepared statements: the client-stream framer, the per-server statement cache,
// the rewriting of Parse/Bind/Describe/Close and the filtering of the server's answers.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "protocol/frontend_framer.hpp"
#include "protocol/message_builder.hpp"
#include "protocol/reply_filter.hpp"
#include "protocol/statement_cache.hpp"
#include "protocol/statement_rewriter.hpp"

namespace sluice::protocol {
namespace {

std::span<const uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string parse(std::string_view name, std::string_view query, std::vector<uint32_t> oids = {}) {
  std::string out;
  MessageBuilder b(out);
  b.begin('P').cstr(name).cstr(query).int16(static_cast<uint16_t>(oids.size()));
  for (uint32_t o : oids) b.int32(o);
  b.end();
  return out;
}
std::string bind(std::string_view portal, std::string_view stmt) {
  std::string out;
  // no parameter formats, no parameters, no result formats
  MessageBuilder(out).begin('B').cstr(portal).cstr(stmt).int16(0).int16(0).int16(0).end();
  return out;
}
std::string describe(char kind, std::string_view name) {
  std::string out;
  MessageBuilder(out).begin('D').byte(static_cast<uint8_t>(kind)).cstr(name).end();
  return out;
}
std::string close(char kind, std::string_view name) {
  std::string out;
  MessageBuilder(out).begin('C').byte(static_cast<uint8_t>(kind)).cstr(name).end();
  return out;
}
std::string simple(char type) {
  std::string out;
  MessageBuilder(out).begin(type).end();
  return out;
}

// Splits a rewritten stream back into (type, first cstring of the body) pairs for assertions.
std::vector<std::string> summary(const std::string& stream) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos + 5 <= stream.size()) {
    const char type = stream[pos];
    const uint32_t len = (uint32_t{static_cast<uint8_t>(stream[pos + 1])} << 24) |
                         (uint32_t{static_cast<uint8_t>(stream[pos + 2])} << 16) |
                         (uint32_t{static_cast<uint8_t>(stream[pos + 3])} << 8) |
                         uint32_t{static_cast<uint8_t>(stream[pos + 4])};
    std::string body = stream.substr(pos + 5, len - 4);
    std::string first;
    if (type == 'B') {  // portal, then the statement: show the statement
      first = body.substr(body.find('\0') + 1);
      first = first.substr(0, first.find('\0'));
    } else if (type == 'D' || type == 'C') {
      first = body.substr(1, body.find('\0', 1) - 1);
    } else {
      first = body.substr(0, body.find('\0'));
    }
    out.push_back(std::string(1, type) + ":" + first);
    pos += 1 + len;
  }
  return out;
}

TEST(FrontendFramer, WholeTypesArriveWholeOthersStream) {
  std::string stream = parse("s1", "SELECT 1") + bind("", "s1") + simple('S');
  std::string q;
  MessageBuilder(q).begin('Q').cstr(std::string(100, 'x')).end();
  stream += q;
  FrontendFramer f("PBDC", 1 << 20);
  std::vector<FramedPiece> pieces;
  std::string seen_whole, seen_raw;
  // Byte by byte: every split point of every message.
  for (size_t i = 0; i < stream.size(); ++i) {
    ASSERT_TRUE(f.feed(span_of(stream).subspan(i, 1), pieces));
    for (const auto& p : pieces) {
      if (p.whole) {
        seen_whole.append(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size());
        seen_raw.append(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size());
      } else {
        seen_raw.append(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size());
      }
    }
  }
  EXPECT_EQ(seen_raw, stream);
  EXPECT_EQ(seen_whole, parse("s1", "SELECT 1") + bind("", "s1"));
  EXPECT_TRUE(f.at_boundary());
}

TEST(FrontendFramer, StreamedBodyIsNotKept) {
  std::string q;
  MessageBuilder(q).begin('Q').cstr(std::string(5000, 'x')).end();
  FrontendFramer f("PBDC", 1 << 20);
  std::vector<FramedPiece> pieces;
  ASSERT_TRUE(f.feed(span_of(q).subspan(0, 100), pieces));
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].type, 'Q');
  EXPECT_EQ(pieces[0].bytes.size(), 100u);
  EXPECT_FALSE(f.at_boundary());
  ASSERT_TRUE(f.feed(span_of(q).subspan(100), pieces));
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].type, 0);  // continuation
  EXPECT_EQ(pieces[0].bytes.size(), q.size() - 100);
  EXPECT_TRUE(f.at_boundary());
}

TEST(FrontendFramer, LargeBindStreamsAfterItsNames) {
  std::string big;
  MessageBuilder(big)
      .begin('B')
      .cstr("")
      .cstr("s1")
      .int16(0)
      .int16(1)
      .int32(200000)
      .bytes(std::string(200000, 'v'))
      .int16(0)
      .end();
  FrontendFramer f("PBDC", 1 << 30);
  std::vector<FramedPiece> pieces;
  std::string raw;
  size_t whole_pieces = 0;
  for (size_t pos = 0; pos < big.size(); pos += 4096) {
    ASSERT_TRUE(
        f.feed(span_of(big).subspan(pos, std::min<size_t>(4096, big.size() - pos)), pieces));
    for (const auto& p : pieces) {
      if (p.whole) {
        ++whole_pieces;
        EXPECT_EQ(p.bytes.size(), 5u + 1 + 3);  // header, "" and "s1"
      }
      raw.append(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size());
    }
  }
  EXPECT_EQ(whole_pieces, 1u);
  EXPECT_EQ(raw, big);
  EXPECT_TRUE(f.at_boundary());

  // Rewritten: the head gets the server name and a length that counts it; the rest is unchanged.
  ClientStatements client;
  ServerStatementCache server;
  ReplyQueue replies;
  RewriteContext ctx{client, server, replies};
  std::string p = parse("s1", "SELECT $1", {17});
  std::string out;
  RewriteError e;
  ASSERT_TRUE(rewrite_frontend_message(span_of(p), ctx, out, e));
  const std::string name = summary(out).at(0).substr(2);
  out.clear();
  ASSERT_TRUE(rewrite_frontend_message(span_of(big).subspan(0, 9), ctx, out, e));
  out += big.substr(9);
  auto s = summary(out);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0], "B:" + name);
  EXPECT_EQ(out.size(), big.size() - 2 + name.size());
}

TEST(FrontendFramer, BadLengthFails) {
  std::string bad = "P";
  bad += std::string("\x00\x00\x00\x02", 4);
  FrontendFramer f("PBDC", 1 << 20);
  std::vector<FramedPiece> pieces;
  EXPECT_FALSE(f.feed(span_of(bad), pieces));
  EXPECT_NE(f.error().find("invalid message length 2"), std::string::npos);
  std::string big = "B";
  big += std::string("\x01\x00\x00\x00", 4);
  FrontendFramer g("PBDC", 1000);
  EXPECT_FALSE(g.feed(span_of(big), pieces));
  EXPECT_NE(g.error().find("exceeds limit 1000"), std::string::npos);
}

TEST(ServerStatementCache, LruEvictsOldestAndSharesEqualText) {
  ServerStatementCache c;
  auto body = [](const std::string& q) {
    std::string b = q + '\0' + std::string("\0\0", 2);
    return StatementText::make(span_of(b));
  };
  auto a = body("SELECT 1"), b = body("SELECT 2"), c2 = body("SELECT 3");
  std::vector<std::string> evicted;
  std::string na = c.add(a, 2, 0, evicted).name;
  std::string nb = c.add(b, 2, 0, evicted).name;
  EXPECT_NE(na, nb);
  EXPECT_TRUE(evicted.empty());
  // Another client's equal text finds the same server statement.
  ASSERT_NE(c.find(body("SELECT 1")), nullptr);
  EXPECT_EQ(c.find(body("SELECT 1"))->name, na);
  EXPECT_EQ(a->query(), "SELECT 1");
  // a was used last: b is the oldest and goes.
  c.add(c2, 2, 0, evicted);
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(evicted[0], nb);
  EXPECT_EQ(c.find(b), nullptr);
  EXPECT_EQ(c.size(), 2u);
  c.remove(a);
  EXPECT_EQ(c.find(a), nullptr);
}

TEST(ServerStatementCache, UnansweredParsesAreForgottenConfirmedOnesStay) {
  ServerStatementCache c;
  std::string q1 = std::string("SELECT 1\0\0\0", 11), q2 = std::string("SELECT 2\0\0\0", 11);
  auto a = StatementText::make(span_of(q1)), b = StatementText::make(span_of(q2));
  std::vector<std::string> evicted;
  const std::string na = c.add(a, 10, 3, evicted).name;
  const std::string nb = c.add(b, 10, 3, evicted).name;
  EXPECT_FALSE(c.find(a)->confirmed);
  c.confirm(a, na);
  EXPECT_TRUE(c.find(a)->confirmed);
  c.forget_unparsed(a, na, 3);  // confirmed: stays
  EXPECT_NE(c.find(a), nullptr);
  c.find(b)->segment = 4;  // parsed again in a later segment
  c.forget_unparsed(b, nb, 3);
  EXPECT_NE(c.find(b), nullptr);
  c.forget_unparsed(b, nb, 4);
  EXPECT_EQ(c.find(b), nullptr);
  // DISCARD ALL: confirmed ones go, a Parse still unanswered came after it and stays.
  c.add(b, 10, 5, evicted);
  c.drop_confirmed();
  EXPECT_EQ(c.find(a), nullptr);
  EXPECT_NE(c.find(b), nullptr);
}

struct Rewriter : ::testing::Test {
  ClientStatements client;
  ServerStatementCache server;
  ReplyQueue replies;
  RewriteContext ctx{client, server, replies};

  std::string run(const std::string& stream, RewriteError* err = nullptr) {
    std::string out;
    RewriteError e;
    size_t pos = 0;
    while (pos < stream.size()) {
      const auto* p = reinterpret_cast<const uint8_t*>(stream.data()) + pos;
      const uint32_t len =
          (uint32_t{p[1]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 8) | uint32_t{p[4]};
      std::span<const uint8_t> whole(p, len + 1);
      if (!rewrite_frontend_message(whole, ctx, out, e)) {
        if (err) *err = e;
        return out;
      }
      if (p[0] == 'S') ++ctx.segment;
      pos += len + 1;
    }
    return out;
  }
};

TEST_F(Rewriter, NamedParseIsRenamedAndBindFollows) {
  std::string out =
      run(parse("s1", "SELECT $1", {23}) + bind("", "s1") + simple('E') + simple('S'));
  auto s = summary(out);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].substr(0, 9), "P:sluice_");
  EXPECT_EQ(s[1], "B:" + s[0].substr(2));
  EXPECT_EQ(s[2], "E:");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies.front().action, PendingReply::Action::Forward);
  EXPECT_EQ(ctx.client_parses, 1u);
  EXPECT_EQ(ctx.server_parses, 1u);
  EXPECT_EQ(ctx.binds, 1u);
  // The parameter types are part of the rewritten Parse, unchanged.
  EXPECT_NE(out.find(std::string("SELECT $1\0\0\1\0\0\0\x17", 15)), std::string::npos);
}

TEST_F(Rewriter, SecondClientSharesTheServerStatementAndGetsParseCompleteFromANoopClose) {
  run(parse("s1", "SELECT 1"));
  const std::string server_name = summary(run(bind("", "s1"))).at(0).substr(2);
  replies.clear();
  // Another client (own map), same server, same text under another name.
  ClientStatements other;
  RewriteContext ctx2{other, server, replies};
  std::string out;
  RewriteError e;
  std::string msg = parse("q", "SELECT 1");
  ASSERT_TRUE(rewrite_frontend_message(span_of(msg), ctx2, out, e));
  EXPECT_EQ(summary(out), std::vector<std::string>{"C:sluice_noop"});
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies.front().reply, '3');
  EXPECT_EQ(replies.front().action, PendingReply::Action::AsParseComplete);
  out.clear();
  msg = bind("p", "q");
  ASSERT_TRUE(rewrite_frontend_message(span_of(msg), ctx2, out, e));
  EXPECT_EQ(summary(out), std::vector<std::string>{"B:" + server_name});
  EXPECT_EQ(ctx2.server_parses, 0u);
}

TEST_F(Rewriter, StatementMissingOnThisServerIsPreparedFirst) {
  run(parse("s1", "SELECT 1"));
  ServerStatementCache fresh;  // the client's next transaction lands on another server
  replies.clear();
  RewriteContext ctx2{client, fresh, replies};
  std::string out;
  RewriteError e;
  std::string msg = describe('S', "s1") + bind("", "s1");
  ASSERT_TRUE(
      rewrite_frontend_message(span_of(msg).subspan(0, describe('S', "s1").size()), ctx2, out, e));
  ASSERT_TRUE(
      rewrite_frontend_message(span_of(msg).subspan(describe('S', "s1").size()), ctx2, out, e));
  auto s = summary(out);
  ASSERT_EQ(s.size(), 3u);  // injected Parse, Describe, Bind: prepared once
  EXPECT_EQ(s[0].substr(0, 2), "P:");
  EXPECT_EQ(s[1], "D:" + s[0].substr(2));
  EXPECT_EQ(s[2], "B:" + s[0].substr(2));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies.front().action, PendingReply::Action::Drop);
}

TEST_F(Rewriter, UnnamedPassesThroughAndPortalsAreUntouched) {
  std::string in =
      parse("", "SELECT 1") + bind("", "") + describe('P', "") + close('P', "c1") + simple('S');
  EXPECT_EQ(run(in), in);
  ASSERT_EQ(replies.size(), 2u);  // ParseComplete and CloseComplete, both forwarded
  EXPECT_EQ(replies.front().reply, '1');
  EXPECT_TRUE(client.empty());
}

TEST_F(Rewriter, PassesUnchangedIsExactlyWhatTheRewriteCopiesAsIs) {
  // The relay sends such messages from the client's own bytes, with note_unchanged's bookkeeping
  // only: the messages that name no statement, and every other type.
  const std::vector<std::string> unchanged = {
      parse("", "SELECT 1"), bind("p", ""), describe('P', "p"), describe('S', ""), close('P', "p"),
      close('S', ""),        simple('E'),   simple('S'),        simple('H')};
  for (const auto& m : unchanged) {
    EXPECT_TRUE(passes_unchanged(span_of(m))) << m[0];
    EXPECT_EQ(run(m), m) << m[0];
  }
  EXPECT_FALSE(passes_unchanged(span_of(parse("s1", "SELECT 1"))));
  EXPECT_FALSE(passes_unchanged(span_of(bind("", "s1"))));
  EXPECT_FALSE(passes_unchanged(span_of(describe('S', "s1"))));
  EXPECT_FALSE(passes_unchanged(span_of(close('S', "s1"))));
  // Malformed ones are not "unchanged": the rewrite reports them.
  for (char type : {'P', 'B', 'D', 'C'}) {
    std::string truncated;
    MessageBuilder(truncated).begin(type).bytes(std::string_view("no-nul")).end();
    EXPECT_FALSE(passes_unchanged(span_of(truncated))) << type;
    RewriteError e;
    std::string out;
    EXPECT_FALSE(rewrite_frontend_message(span_of(truncated), ctx, out, e)) << type;
    EXPECT_EQ(e.message, std::string("invalid packet: malformed '") + type + "' message");
  }
}

TEST_F(Rewriter, NoteUnchangedCountsAndQueuesTheRepliesInTheirSegments) {
  // Two Sync segments of unnamed statements, as pgbench -M extended sends them.
  const std::vector<std::string> stream = {
      parse("", "SELECT 1"), bind("", ""), describe('P', ""), simple('E'), simple('S'),
      parse("", "SELECT 2"), bind("", ""), close('P', ""),    simple('S')};
  for (const auto& m : stream) {
    note_unchanged(span_of(m), ctx);
    if (m[0] == 'S') ++ctx.segment;
  }
  EXPECT_EQ(ctx.client_parses, 2u);
  EXPECT_EQ(ctx.server_parses, 2u);
  EXPECT_EQ(ctx.binds, 2u);
  ASSERT_EQ(replies.size(), 3u);
  std::vector<std::tuple<char, uint64_t>> got;
  replies.for_each([&](const PendingReply& r) {
    EXPECT_EQ(r.action, PendingReply::Action::Forward);
    EXPECT_TRUE(r.client_name.empty());
    EXPECT_TRUE(r.server_name.empty());
    got.emplace_back(r.reply, r.segment);
  });
  const std::vector<std::tuple<char, uint64_t>> want = {{'1', 0}, {'1', 1}, {'3', 1}};
  EXPECT_EQ(got, want);
  EXPECT_TRUE(client.empty());
}

TEST_F(Rewriter, CloseForgetsTheNameButNotTheServerStatement) {
  run(parse("s1", "SELECT 1"));
  replies.clear();
  std::string out = run(close('S', "s1"));
  EXPECT_EQ(summary(out), std::vector<std::string>{"C:sluice_noop"});
  EXPECT_TRUE(client.empty());
  EXPECT_EQ(server.size(), 1u);
  // The name can be prepared again with another text.
  out = run(parse("s1", "SELECT 2"));
  EXPECT_EQ(summary(out).at(0).substr(0, 9), "P:sluice_");
  EXPECT_EQ(server.size(), 2u);
}

TEST_F(Rewriter, PgBouncerErrors) {
  RewriteError e;
  run(parse("s1", "SELECT 1") + parse("s1", "SELECT 2"), &e);
  EXPECT_EQ(e.message, "prepared statement name is already in use");
  e = {};
  run(bind("", "sluice_12"), &e);
  EXPECT_EQ(e.message, "prepared statement did not exist");
  EXPECT_EQ(e.sqlstate, "26000");
  e = {};
  run(describe('S', "sluice_12"), &e);
  EXPECT_EQ(e.message, "prepared statement did not exist");
  e = {};
  std::string truncated;
  MessageBuilder(truncated).begin('B').bytes(std::string_view("abc")).end();  // no NUL
  run(truncated, &e);
  EXPECT_EQ(e.sqlstate, "08P01");
}

TEST_F(Rewriter, UnknownNamesGoToTheServerForItsOwnError) {
  std::string in = bind("", "nope") + describe('S', "nope");
  RewriteError e;
  EXPECT_EQ(run(in, &e), in);
  EXPECT_TRUE(e.message.empty());
  EXPECT_TRUE(ctx.unknown_names);
}

TEST_F(Rewriter, SkippedParseCloseAndNoopAreUndone) {
  // Segment 0: Parse s1 (sent), then the client re-parses a known text as s2 (no-op Close) and
  // closes s0; an error before them makes the server skip all three.
  run(parse("s0", "SELECT 0") + simple('S'));
  server.find(client.at("s0"))->confirmed = true;
  replies.clear();
  const uint64_t seg = ctx.segment;
  run(parse("s1", "SELECT 1") + parse("s2", "SELECT 0") + close('S', "s0"));
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_TRUE(client.count("s1") && client.count("s2") && !client.count("s0"));
  finish_segment(seg + 1, client, server, replies);
  EXPECT_TRUE(replies.empty());
  EXPECT_FALSE(client.count("s1"));  // its Parse did not happen
  EXPECT_FALSE(client.count("s2"));  // nor did its ParseComplete
  EXPECT_TRUE(client.count("s0"));   // the Close did not happen either
  EXPECT_EQ(server.size(), 1u);      // only the confirmed SELECT 0
}

TEST_F(Rewriter, UnconfirmedParseOfAnEarlierSegmentIsParsedAgain) {
  // Pipelined: segment 0 prepares s1 (unanswered yet), segment 1 binds it.
  std::string out = run(parse("s1", "SELECT 1") + simple('S') + bind("", "s1"));
  auto s = summary(out);
  ASSERT_EQ(s.size(), 5u);
  const std::string name = s[0].substr(2);
  EXPECT_EQ(s[1], "S:");
  EXPECT_EQ(s[2], "C:" + name);  // closed (harmless if the first Parse was skipped) ...
  EXPECT_EQ(s[3], "P:" + name);  // ... and parsed again in this segment
  EXPECT_EQ(s[4], "B:" + name);
  // Once confirmed, a later segment binds directly.
  server.confirm(client.at("s1"), name);
  ++ctx.segment;
  EXPECT_EQ(summary(run(bind("", "s1"))), std::vector<std::string>{"B:" + name});
}

TEST_F(Rewriter, SkippedEvictionCloseIsSentLater) {
  ctx.capacity = 1;
  run(parse("a", "SELECT 1") + simple('S'));
  replies.clear();  // its ParseComplete came
  const std::string old = server.find(client.at("a"))->name;
  server.confirm(client.at("a"), old);
  run(parse("b", "SELECT 2"));                               // evicts a: Close(old) queued as Drop
  finish_segment(ctx.segment + 1, client, server, replies);  // all skipped
  ASSERT_EQ(server.to_close.size(), 1u);
  EXPECT_EQ(server.to_close[0], old);
  replies.clear();
  ++ctx.segment;
  auto s = summary(run(parse("c", "SELECT 3")));
  ASSERT_GE(s.size(), 2u);
  EXPECT_EQ(s[0], "C:" + old);  // the leftover is closed first
  EXPECT_TRUE(server.to_close.empty());
}

TEST_F(Rewriter, DiscardAllKeepsStatementsParsedAfterIt) {
  run(parse("old", "SELECT 1") + simple('S'));
  server.confirm(client.at("old"), server.find(client.at("old"))->name);
  replies.clear();
  ++ctx.segment;
  run(parse("new", "SELECT 2"));  // pipelined after a DISCARD ALL, unanswered
  discard_all_statements(client, server, replies);
  EXPECT_FALSE(client.count("old"));
  EXPECT_TRUE(client.count("new"));
  EXPECT_EQ(server.size(), 1u);
}

TEST_F(Rewriter, EvictionClosesTheOldestOnTheServer) {
  ctx.capacity = 2;
  run(parse("a", "SELECT 1") + parse("b", "SELECT 2"));
  const std::string first = summary(run(bind("", "a"))).at(0).substr(2);
  replies.clear();
  std::string out = run(parse("c", "SELECT 3"));
  auto s = summary(out);
  ASSERT_EQ(s.size(), 2u);
  // b was least recently used (a was bound after it).
  EXPECT_NE(s[0], "C:" + first);
  EXPECT_EQ(s[0].substr(0, 9), "C:sluice_");
  EXPECT_EQ(s[1].substr(0, 9), "P:sluice_");
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies.front().action, PendingReply::Action::Drop);
  EXPECT_EQ(server.size(), 2u);
}

TEST_F(Rewriter, UnansweredParseIsForgottenAtReadyForQuery) {
  run(parse("s1", "SELEC oops") + simple('S'));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(server.size(), 1u);
  // The server answered ErrorResponse then ReadyForQuery: no ParseComplete came.
  finish_segment(1, client, server, replies);
  EXPECT_TRUE(replies.empty());
  EXPECT_EQ(server.size(), 0u);
  EXPECT_TRUE(client.empty());  // the client's statement does not exist either
}

TEST(DiscardsAll, Tags) {
  auto tag = [](std::string t) { return discards_all_statements(span_of(t.append(1, '\0'))); };
  EXPECT_TRUE(tag("DISCARD ALL"));
  EXPECT_TRUE(tag("DEALLOCATE ALL"));
  EXPECT_FALSE(tag("DEALLOCATE"));
  EXPECT_FALSE(tag("SELECT 1"));
}

// Server answers for: client Parse (forward), injected Parse (drop), noop Close standing in for a
// Parse (becomes ParseComplete), then the Bind/Execute answers and ReadyForQuery.
TEST(ReplyFilter, DropsRetypesAndHoldsBackSplitHeaders) {
  ReplyQueue q;
  q.push_back({'1', PendingReply::Action::Forward});
  q.push_back({'1', PendingReply::Action::Drop});
  q.push_back({'3', PendingReply::Action::AsParseComplete});
  std::string server = simple('1') + simple('1') + simple('3') + simple('2');
  std::string cc;
  MessageBuilder(cc).begin('C').cstr("SELECT 1").end();
  std::string z;
  MessageBuilder(z).begin('Z').byte('I').end();
  server += cc + z;
  const std::string want = simple('1') + simple('1') + simple('2') + cc + z;
  // Every split into two chunks.
  for (size_t split = 0; split <= server.size(); ++split) {
    ReplyQueue qq = q;
    StreamScanner scanner("ZSC", 1 << 20);
    HeldHeader held;
    std::string got;
    int zs = 0;
    auto feed = [&](std::string part) {
      std::string chunk(reinterpret_cast<const char*>(held.bytes.data()), held.size);
      chunk += part;
      auto r = filter_replies(
          std::span<uint8_t>(reinterpret_cast<uint8_t*>(chunk.data()), chunk.size()), scanner, qq,
          nullptr, held, [&](char t, std::span<const uint8_t>) { zs += t == 'Z'; },
          [](char, uint32_t) {});
      ASSERT_TRUE(r.ok) << r.error;
      got += chunk.substr(0, r.kept);
    };
    feed(server.substr(0, split));
    feed(server.substr(split));
    EXPECT_EQ(got, want) << "split at " << split;
    EXPECT_EQ(held.size, 0u);
    EXPECT_TRUE(qq.empty());
    EXPECT_EQ(zs, 1);
  }
}

TEST(ReplyFilter, UnexpectedAnswerIsAnError) {
  ReplyQueue q;
  std::string s = simple('1');
  StreamScanner scanner("ZSC", 1 << 20);
  HeldHeader held;
  auto r = filter_replies(
      std::span<uint8_t>(reinterpret_cast<uint8_t*>(s.data()), s.size()), scanner, q, nullptr, held,
      [](char, std::span<const uint8_t>) {}, [](char, uint32_t) {});
  EXPECT_FALSE(r.ok);
  q.push_back({'3', PendingReply::Action::Forward});
  StreamScanner scanner2("ZSC", 1 << 20);
  r = filter_replies(
      std::span<uint8_t>(reinterpret_cast<uint8_t*>(s.data()), s.size()), scanner2, q, nullptr,
      held, [](char, std::span<const uint8_t>) {}, [](char, uint32_t) {});
  EXPECT_FALSE(r.ok);  // a ParseComplete where a CloseComplete is due
}

}  // namespace
}  // namespace sluice::protocol
