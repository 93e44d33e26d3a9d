// Tests for decode_startup: the untyped first packet of a client connection.
#include "protocol/startup_decoder.hpp"

#include <gtest/gtest.h>

#include "test_bytes.hpp"

namespace sluice::protocol {
namespace {

using testing::Bytes;

// What psql 16 sends for `psql -h host -U alice -d shop` without TLS, written out by hand from
// the StartupMessage format: Int32 length, Int32 196608, name/value pairs, terminating NUL.
const Bytes kPsqlStartup = {
    0x00, 0x00, 0x00, 0x4d,                                         // length 77
    0x00, 0x03, 0x00, 0x00,                                         // protocol 3.0
    'u',  's',  'e',  'r',  0x00, 'a', 'l',  'i', 'c',  'e', 0x00,  // user=alice
    'd',  'a',  't',  'a',  'b',  'a', 's',  'e', 0x00, 's', 'h',  'o',
    'p',  0x00, 'a',  'p',  'p',  'l', 'i',  'c', 'a',  't', 'i',  'o',
    'n',  '_',  'n',  'a',  'm',  'e', 0x00, 'p', 's',  'q', 'l',  0x00,  // application_name=psql
    'c',  'l',  'i',  'e',  'n',  't', '_',  'e', 'n',  'c', 'o',  'd',
    'i',  'n',  'g',  0x00, 'U',  'T', 'F',  '8', 0x00,  // client_encoding=UTF8
    0x00,                                                // end of parameters
};

Bytes startup_with(uint32_t version,
                   std::initializer_list<std::pair<std::string, std::string>> ps) {
  testing::ByteWriter body;
  body.be32(version);
  for (const auto& [n, v] : ps) body.cstr(n).cstr(v);
  body.u8(0);
  Bytes b = body.bytes();
  Bytes out = testing::ByteWriter().be32(static_cast<uint32_t>(b.size() + 4)).bytes();
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Bytes raw_packet(const Bytes& after_length) {
  Bytes out = testing::ByteWriter().be32(static_cast<uint32_t>(after_length.size() + 4)).bytes();
  out.insert(out.end(), after_length.begin(), after_length.end());
  return out;
}

TEST(StartupDecoder, decodes_psql_startup_message) {
  ASSERT_EQ(kPsqlStartup.size(), 77u);
  auto r = decode_startup(kPsqlStartup);
  ASSERT_EQ(r.status, DecodeStatus::Ok) << r.error;
  EXPECT_EQ(r.consumed, 77u);
  EXPECT_EQ(r.packet.kind, StartupKind::Startup);
  EXPECT_EQ(r.packet.major, 3);
  EXPECT_EQ(r.packet.minor, 0);
  ASSERT_EQ(r.packet.params.size(), 4u);
  EXPECT_EQ(r.packet.params[0], std::make_pair(std::string("user"), std::string("alice")));
  EXPECT_EQ(r.packet.params[1], std::make_pair(std::string("database"), std::string("shop")));
  EXPECT_EQ(r.packet.params[2],
            std::make_pair(std::string("application_name"), std::string("psql")));
  EXPECT_EQ(r.packet.params[3],
            std::make_pair(std::string("client_encoding"), std::string("UTF8")));
  ASSERT_NE(r.packet.find("database"), nullptr);
  EXPECT_EQ(*r.packet.find("database"), "shop");
  EXPECT_EQ(r.packet.find("options"), nullptr);
}

TEST(StartupDecoder, consumes_only_the_first_packet_when_more_bytes_follow) {
  Bytes buf = kPsqlStartup;
  buf.push_back('Q');
  auto r = decode_startup(buf);
  ASSERT_EQ(r.status, DecodeStatus::Ok);
  EXPECT_EQ(r.consumed, 77u);
}

TEST(StartupDecoder, needs_more_for_every_proper_prefix_of_a_packet) {
  for (size_t n = 0; n < kPsqlStartup.size(); ++n) {
    auto r = decode_startup(std::span(kPsqlStartup).first(n));
    EXPECT_EQ(r.status, DecodeStatus::NeedMore) << "prefix " << n;
    EXPECT_EQ(r.consumed, 0u);
  }
}

TEST(StartupDecoder, decodes_ssl_request) {
  const Bytes ssl = {0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f};  // 1234.5679
  auto r = decode_startup(ssl);
  ASSERT_EQ(r.status, DecodeStatus::Ok);
  EXPECT_EQ(r.packet.kind, StartupKind::SslRequest);
  EXPECT_EQ(r.consumed, 8u);
}

TEST(StartupDecoder, decodes_gssenc_request) {
  const Bytes gss = {0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x30};  // 1234.5680
  auto r = decode_startup(gss);
  ASSERT_EQ(r.status, DecodeStatus::Ok);
  EXPECT_EQ(r.packet.kind, StartupKind::GssEncRequest);
  EXPECT_EQ(r.consumed, 8u);
}

TEST(StartupDecoder, decodes_cancel_request) {
  const Bytes cancel = {0x00, 0x00, 0x00, 0x10, 0x04, 0xd2, 0x16, 0x2e,   // 16, 1234.5678
                        0x00, 0x00, 0x30, 0x39, 0xde, 0xad, 0xbe, 0xef};  // pid 12345, key
  auto r = decode_startup(cancel);
  ASSERT_EQ(r.status, DecodeStatus::Ok);
  EXPECT_EQ(r.packet.kind, StartupKind::Cancel);
  EXPECT_EQ(r.packet.cancel_pid, 12345u);
  EXPECT_EQ(r.packet.cancel_key, 0xdeadbeefu);
  EXPECT_EQ(r.consumed, 16u);
}

TEST(StartupDecoder, accepts_newer_minor_version_and_protocol_options) {
  auto r = decode_startup(startup_with(0x00030002, {{"user", "u"}, {"_pq_.compression", "on"}}));
  ASSERT_EQ(r.status, DecodeStatus::Ok) << r.error;
  EXPECT_EQ(r.packet.major, 3);
  EXPECT_EQ(r.packet.minor, 2);
  ASSERT_NE(r.packet.find("_pq_.compression"), nullptr);
}

TEST(StartupDecoder, later_duplicate_parameter_wins_like_postgresql) {
  auto r = decode_startup(startup_with(196608, {{"user", "a"}, {"user", "b"}}));
  ASSERT_EQ(r.status, DecodeStatus::Ok);
  EXPECT_EQ(*r.packet.find("user"), "b");
  EXPECT_EQ(r.packet.params.size(), 2u);
}

TEST(StartupDecoder, accepts_packet_of_exactly_10000_bytes) {
  std::string filler(10000 - 4 - 4 - 5 - 2 - 2 - 1 - 1, 'x');  // name "user", value "u", "f"
  auto p = startup_with(196608, {{"user", "u"}, {"f", filler}});
  ASSERT_EQ(p.size(), 10000u);
  EXPECT_EQ(decode_startup(p).status, DecodeStatus::Ok);
}

TEST(StartupDecoder, rejects_startup_packet_over_10000_bytes) {
  std::string filler(10000 - 4 - 4 - 5 - 2 - 2 - 1, 'x');
  auto p = startup_with(196608, {{"user", "u"}, {"f", filler}});
  ASSERT_EQ(p.size(), 10001u);
  // Rejected from the length word alone, before the rest arrives.
  auto r = decode_startup(std::span(p).first(4));
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, kErrInvalidLength);
}

TEST(StartupDecoder, rejects_length_below_8) {
  for (uint32_t len : {0u, 4u, 7u}) {
    Bytes p = testing::ByteWriter().be32(len).be32(196608).bytes();
    auto r = decode_startup(p);
    EXPECT_EQ(r.status, DecodeStatus::Error) << len;
    EXPECT_EQ(r.error, "invalid length of startup packet");
  }
}

TEST(StartupDecoder, rejects_negative_length) {
  Bytes p = testing::ByteWriter().be32(0xfffffff0u).be32(196608).bytes();
  EXPECT_EQ(decode_startup(p).status, DecodeStatus::Error);
}

TEST(StartupDecoder, rejects_ssl_request_with_wrong_length) {
  auto r = decode_startup(raw_packet(testing::ByteWriter().be32(80877103).be32(0).bytes()));
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, kErrInvalidLength);
}

TEST(StartupDecoder, rejects_cancel_request_with_wrong_length) {
  auto r = decode_startup(raw_packet(testing::ByteWriter().be32(80877102).be32(1).bytes()));
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, kErrInvalidLength);
}

TEST(StartupDecoder, rejects_protocol_version_2_with_pgbouncer_text) {
  auto r = decode_startup(startup_with(0x00020000, {{"user", "u"}}));
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, "old V2 protocol not supported");
}

TEST(StartupDecoder, rejects_unsupported_major_version) {
  auto r = decode_startup(startup_with(0x00040000, {{"user", "u"}}));
  EXPECT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, "unsupported frontend protocol 4.0: server supports 3.0 to 3.0");
}

TEST(StartupDecoder, rejects_packet_without_final_terminator) {
  auto r =
      decode_startup(raw_packet(testing::ByteWriter().be32(196608).cstr("user").cstr("u").bytes()));
  ASSERT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, "invalid startup packet layout: expected terminator as last byte");
}

TEST(StartupDecoder, rejects_parameter_without_value) {
  auto r = decode_startup(raw_packet(
      testing::ByteWriter().be32(196608).cstr("user").cstr("u").cstr("database").bytes()));
  ASSERT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, "invalid startup packet layout: missing value for parameter \"database\"");
}

TEST(StartupDecoder, rejects_unterminated_trailing_bytes) {
  auto r = decode_startup(
      raw_packet(testing::ByteWriter().be32(196608).cstr("user").cstr("u").text("abc").bytes()));
  ASSERT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, "invalid startup packet layout: expected terminator as last byte");
}

TEST(StartupDecoder, rejects_unterminated_parameter_value) {
  auto r = decode_startup(raw_packet(testing::ByteWriter()
                                         .be32(196608)
                                         .cstr("user")
                                         .cstr("u")
                                         .cstr("options")
                                         .text("-c")
                                         .bytes()));
  ASSERT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, "invalid startup packet layout: missing value for parameter \"options\"");
}

TEST(StartupDecoder, rejects_data_after_terminator) {
  auto r = decode_startup(raw_packet(testing::ByteWriter()
                                         .be32(196608)
                                         .cstr("user")
                                         .cstr("u")
                                         .u8(0)
                                         .cstr("x")
                                         .cstr("y")
                                         .u8(0)
                                         .bytes()));
  ASSERT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, "invalid startup packet layout: data after terminator");
}

TEST(StartupDecoder, rejects_startup_with_only_version) {
  auto r = decode_startup(raw_packet(testing::ByteWriter().be32(196608).bytes()));
  ASSERT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, "invalid startup packet layout: expected terminator as last byte");
}

TEST(StartupDecoder, rejects_missing_user) {
  auto r = decode_startup(startup_with(196608, {{"database", "shop"}}));
  ASSERT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, "no username supplied");
}

TEST(StartupDecoder, rejects_empty_user) {
  auto r = decode_startup(startup_with(196608, {{"user", ""}}));
  ASSERT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, kErrNoUser);
}

TEST(StartupDecoder, rejects_empty_parameter_list) {
  auto r = decode_startup(startup_with(196608, {}));
  ASSERT_EQ(r.status, DecodeStatus::Error);
  EXPECT_EQ(r.error, kErrNoUser);
}

}  // namespace
}  // namespace sluice::protocol
