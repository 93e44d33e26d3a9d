// Tests for MessageBuilder and the backend/frontend message builders: exact wire bytes.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "protocol/backend_messages.hpp"
#include "protocol/frontend_messages.hpp"
#include "protocol/message_builder.hpp"
#include "test_bytes.hpp"

namespace sluice::protocol {
namespace {

using testing::Bytes;

Bytes b(const std::string& s) {
  return testing::to_bytes(s);
}

TEST(MessageBuilder, patches_length_counting_itself_but_not_type) {
  std::string out = "prefix";
  MessageBuilder(out).begin('Q').cstr("hi").end();
  EXPECT_EQ(b(out), (Bytes{'p', 'r', 'e', 'f', 'i', 'x', 'Q', 0, 0, 0, 7, 'h', 'i', 0}));
}

TEST(MessageBuilder, untyped_message_has_no_type_byte) {
  std::string out;
  MessageBuilder(out).begin(0).int32(0x01020304).int16(0x0506).byte(7).end();
  EXPECT_EQ(b(out), (Bytes{0, 0, 0, 11, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(MessageBuilder, writes_raw_bytes_from_span_and_string) {
  std::string out;
  const std::array<uint8_t, 2> raw = {0xff, 0x00};
  MessageBuilder(out).begin('d').bytes(std::span<const uint8_t>(raw)).bytes("ab").end();
  EXPECT_EQ(b(out), (Bytes{'d', 0, 0, 0, 8, 0xff, 0x00, 'a', 'b'}));
}

TEST(BackendMessages, authentication_ok) {
  std::string out;
  append_authentication_ok(out);
  EXPECT_EQ(b(out), (Bytes{'R', 0, 0, 0, 8, 0, 0, 0, 0}));
}

TEST(BackendMessages, authentication_cleartext) {
  std::string out;
  append_authentication_cleartext(out);
  EXPECT_EQ(b(out), (Bytes{'R', 0, 0, 0, 8, 0, 0, 0, 3}));
}

TEST(BackendMessages, authentication_md5_carries_salt) {
  std::string out;
  append_authentication_md5(out, {0xde, 0xad, 0xbe, 0xef});
  EXPECT_EQ(b(out), (Bytes{'R', 0, 0, 0, 12, 0, 0, 0, 5, 0xde, 0xad, 0xbe, 0xef}));
}

TEST(BackendMessages, authentication_sasl_lists_mechanisms_with_terminator) {
  std::string out;
  const std::array<std::string_view, 2> mechs = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"};
  append_authentication_sasl(out, mechs);
  Bytes expected = testing::ByteWriter()
                       .u8('R')
                       .be32(4 + 4 + 19 + 14 + 1)
                       .be32(10)
                       .cstr("SCRAM-SHA-256-PLUS")
                       .cstr("SCRAM-SHA-256")
                       .u8(0)
                       .bytes();
  EXPECT_EQ(b(out), expected);
}

TEST(BackendMessages, authentication_sasl_continue_and_final) {
  std::string out;
  append_authentication_sasl_continue(out, "r=x");
  append_authentication_sasl_final(out, "v=y");
  EXPECT_EQ(b(out), (Bytes{'R', 0, 0, 0, 11, 0, 0, 0, 11, 'r', '=', 'x',  //
                           'R', 0, 0, 0, 11, 0, 0, 0, 12, 'v', '=', 'y'}));
}

TEST(BackendMessages, parameter_status) {
  std::string out;
  append_parameter_status(out, "TimeZone", "UTC");
  EXPECT_EQ(b(out),
            (Bytes{'S', 0, 0, 0, 17, 'T', 'i', 'm', 'e', 'Z', 'o', 'n', 'e', 0, 'U', 'T', 'C', 0}));
}

TEST(BackendMessages, backend_key_data) {
  std::string out;
  append_backend_key_data(out, 0x00003039, 0xcafebabe);
  EXPECT_EQ(b(out), (Bytes{'K', 0, 0, 0, 12, 0, 0, 0x30, 0x39, 0xca, 0xfe, 0xba, 0xbe}));
}

TEST(BackendMessages, ready_for_query) {
  std::string out;
  append_ready_for_query(out, 'T');
  EXPECT_EQ(b(out), (Bytes{'Z', 0, 0, 0, 5, 'T'}));
}

TEST(BackendMessages, error_has_severity_twice_then_code_and_message) {
  std::string out;
  append_error(out, "FATAL", "08P01", "bad");
  EXPECT_EQ(b(out), (Bytes{'E', 0,   0,   0,   31,           //
                           'S', 'F', 'A', 'T', 'A', 'L', 0,  //
                           'V', 'F', 'A', 'T', 'A', 'L', 0,  //
                           'C', '0', '8', 'P', '0', '1', 0,  //
                           'M', 'b', 'a', 'd', 0,            //
                           0}));
}

TEST(BackendMessages, notice_uses_notice_severity) {
  std::string out;
  append_notice(out, "00000", "hi");
  Bytes expected = testing::ByteWriter()
                       .u8('N')
                       .be32(4 + 8 + 8 + 7 + 4 + 1)
                       .u8('S')
                       .cstr("NOTICE")
                       .u8('V')
                       .cstr("NOTICE")
                       .u8('C')
                       .cstr("00000")
                       .u8('M')
                       .cstr("hi")
                       .u8(0)
                       .bytes();
  EXPECT_EQ(b(out), expected);
}

TEST(BackendMessages, negotiate_protocol_version_sends_full_version_and_options) {
  std::string out;
  const std::vector<std::string> options = {"_pq_.a", "_pq_.bb"};
  append_negotiate_protocol_version(out, 0, options);
  Bytes expected = testing::ByteWriter()
                       .u8('v')
                       .be32(4 + 4 + 4 + 7 + 8)
                       .be32(0x00030000)  // 3.0, as PostgreSQL's PG_PROTOCOL_LATEST
                       .be32(2)
                       .cstr("_pq_.a")
                       .cstr("_pq_.bb")
                       .bytes();
  EXPECT_EQ(b(out), expected);
}

TEST(FrontendMessages, startup_message_protocol_3_0) {
  std::string out;
  const std::vector<std::pair<std::string, std::string>> params = {{"user", "bob"},
                                                                   {"database", "db"}};
  append_startup_message(out, params);
  EXPECT_EQ(b(out), (Bytes{0,   0,   0,   30,  0,   3,   0,   0,                    //
                           'u', 's', 'e', 'r', 0,   'b', 'o', 'b', 0,               //
                           'd', 'a', 't', 'a', 'b', 'a', 's', 'e', 0, 'd', 'b', 0,  //
                           0}));
}

TEST(FrontendMessages, ssl_request) {
  std::string out;
  append_ssl_request(out);
  EXPECT_EQ(b(out), (Bytes{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}));
}

TEST(FrontendMessages, gssenc_request) {
  std::string out;
  append_gssenc_request(out);
  EXPECT_EQ(b(out), (Bytes{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30}));
}

TEST(FrontendMessages, cancel_request) {
  std::string out;
  append_cancel_request(out, 7, 0x01020304);
  EXPECT_EQ(b(out), (Bytes{0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 7, 1, 2, 3, 4}));
}

TEST(FrontendMessages, password_message) {
  std::string out;
  append_password_message(out, "pw");
  EXPECT_EQ(b(out), (Bytes{'p', 0, 0, 0, 7, 'p', 'w', 0}));
}

TEST(FrontendMessages, sasl_initial_response) {
  std::string out;
  append_sasl_initial_response(out, "SCRAM-SHA-256", "n,,n=,r=abc");
  Bytes expected = testing::ByteWriter()
                       .u8('p')
                       .be32(4 + 14 + 4 + 11)
                       .cstr("SCRAM-SHA-256")
                       .be32(11)
                       .text("n,,n=,r=abc")
                       .bytes();
  EXPECT_EQ(b(out), expected);
}

TEST(FrontendMessages, sasl_response_is_raw_data) {
  std::string out;
  append_sasl_response(out, "c=biws");
  EXPECT_EQ(b(out), (Bytes{'p', 0, 0, 0, 10, 'c', '=', 'b', 'i', 'w', 's'}));
}

TEST(FrontendMessages, query_and_terminate) {
  std::string out;
  append_query(out, "select 1");
  append_terminate(out);
  EXPECT_EQ(b(out), (Bytes{'Q', 0, 0, 0, 13, 's', 'e', 'l', 'e', 'c', 't', ' ', '1', 0,  //
                           'X', 0, 0, 0, 4}));
}

// The extended-protocol messages of auth_query (protocol docs, "Message Formats").
TEST(FrontendMessages, parse_bind_execute_sync) {
  std::string out;
  append_parse(out, "", "SELECT $1");
  EXPECT_EQ(b(out),
            (Bytes{'P', 0, 0, 0, 17, 0, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '$', '1', 0, 0, 0}));
  out.clear();
  const std::vector<std::optional<std::string>> params{std::string("bob"), std::nullopt};
  append_bind(out, "", "", params);
  EXPECT_EQ(b(out), (Bytes{'B',  0,    0,    0,    23,  0,   0,  // length, portal "", statement ""
                           0,    0,                              // no parameter format codes: text
                           0,    2,                              // two parameters
                           0,    0,    0,    3,    'b', 'o', 'b',  // "bob"
                           0xff, 0xff, 0xff, 0xff,                 // NULL
                           0,    0}));                             // no result format codes: text
  out.clear();
  append_execute(out, "", 0);
  EXPECT_EQ(b(out), (Bytes{'E', 0, 0, 0, 9, 0, 0, 0, 0, 0}));
  out.clear();
  append_sync(out);
  EXPECT_EQ(b(out), (Bytes{'S', 0, 0, 0, 4}));
}

}  // namespace
}  // namespace sluice::protocol
