// Tests for the message body parsers: round trips with the builders and rejection of bad bodies.
#include "protocol/message_parsers.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "protocol/backend_messages.hpp"
#include "protocol/frontend_messages.hpp"
#include "protocol/message_header.hpp"
#include "test_bytes.hpp"

namespace sluice::protocol {
namespace {

using testing::Bytes;

// The body of the single message in `msg` (strips the 5-byte header).
Bytes body_of(const std::string& msg) {
  return Bytes(msg.begin() + kHeaderSize, msg.end());
}

// Every strict prefix of a valid body must be rejected.
template <class Parse>
void expect_truncations_rejected(const Bytes& body, Parse parse) {
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(parse(std::span<const uint8_t>(body).first(n)).has_value()) << "prefix " << n;
  }
}

TEST(MessageParsers, parses_auth_requests) {
  std::string m;
  append_authentication_md5(m, {1, 2, 3, 4});
  const Bytes body = body_of(m);  // AuthRequest::data points into it
  auto req = parse_auth_request(body);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->code, 5u);
  EXPECT_EQ(Bytes(req->data.begin(), req->data.end()), (Bytes{1, 2, 3, 4}));

  m.clear();
  append_authentication_ok(m);
  const Bytes ok_body = body_of(m);
  req = parse_auth_request(ok_body);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->code, 0u);
  EXPECT_TRUE(req->data.empty());
}

TEST(MessageParsers, rejects_md5_request_with_wrong_salt_size) {
  Bytes body = testing::ByteWriter().be32(5).u8(1).u8(2).u8(3).bytes();
  EXPECT_FALSE(parse_auth_request(body));
  body = testing::ByteWriter().be32(5).be32(1).u8(0).bytes();
  EXPECT_FALSE(parse_auth_request(body));
}

TEST(MessageParsers, rejects_auth_ok_with_trailing_data) {
  EXPECT_FALSE(parse_auth_request(testing::ByteWriter().be32(0).u8(0).bytes()));
}

TEST(MessageParsers, rejects_truncated_auth_request) {
  std::string m;
  append_authentication_md5(m, {1, 2, 3, 4});
  expect_truncations_rejected(body_of(m), [](auto b) { return parse_auth_request(b); });
}

TEST(MessageParsers, parses_sasl_mechanism_list) {
  std::string m;
  const std::array<std::string_view, 2> mechs = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"};
  append_authentication_sasl(m, mechs);
  const Bytes body = body_of(m);
  auto req = parse_auth_request(body);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->code, 10u);
  auto list = parse_sasl_mechanisms(req->data);
  ASSERT_TRUE(list);
  EXPECT_EQ(*list, (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
}

TEST(MessageParsers, rejects_bad_sasl_mechanism_lists) {
  EXPECT_FALSE(parse_sasl_mechanisms(testing::ByteWriter().cstr("SCRAM-SHA-256").bytes()));
  EXPECT_FALSE(parse_sasl_mechanisms(testing::ByteWriter().u8(0).bytes()));  // empty list
  EXPECT_FALSE(parse_sasl_mechanisms(testing::ByteWriter().cstr("A").u8(0).u8('x').bytes()));
  const Bytes good = testing::ByteWriter().cstr("SCRAM-SHA-256").u8(0).bytes();
  expect_truncations_rejected(good, [](auto b) { return parse_sasl_mechanisms(b); });
}

TEST(MessageParsers, parses_parameter_status) {
  std::string m;
  append_parameter_status(m, "is_superuser", "off");
  auto p = parse_parameter_status(body_of(m));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, "is_superuser");
  EXPECT_EQ(p->second, "off");
  expect_truncations_rejected(body_of(m), [](auto b) { return parse_parameter_status(b); });
  Bytes extra = body_of(m);
  extra.push_back('x');
  EXPECT_FALSE(parse_parameter_status(extra));
}

TEST(MessageParsers, parses_backend_key_data) {
  std::string m;
  append_backend_key_data(m, 99, 0xfeedface);
  auto k = parse_backend_key_data(body_of(m));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->first, 99u);
  EXPECT_EQ(k->second, 0xfeedfaceu);
  expect_truncations_rejected(body_of(m), [](auto b) { return parse_backend_key_data(b); });
  Bytes longer = body_of(m);
  longer.push_back(0);
  EXPECT_FALSE(parse_backend_key_data(longer));  // protocol 3.2's longer keys are not accepted
}

TEST(MessageParsers, parses_error_fields_preferring_nonlocalized_severity) {
  Bytes body = testing::ByteWriter()
                   .u8('S')
                   .cstr("FATAL_LOCALISED")
                   .u8('V')
                   .cstr("FATAL")
                   .u8('C')
                   .cstr("28P01")
                   .u8('M')
                   .cstr("password authentication failed for user \"x\"")
                   .u8('D')
                   .cstr("detail")
                   .u8('H')
                   .cstr("hint")
                   .u8('R')
                   .cstr("auth_failed")
                   .u8(0)
                   .bytes();
  auto f = parse_error_fields(body);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, "FATAL");
  EXPECT_EQ(f->sqlstate, "28P01");
  EXPECT_EQ(f->message, "password authentication failed for user \"x\"");
  EXPECT_EQ(f->detail, "detail");
  EXPECT_EQ(f->hint, "hint");
  ASSERT_EQ(f->all.size(), 7u);
  EXPECT_EQ(f->all[6], std::make_pair('R', std::string("auth_failed")));
  expect_truncations_rejected(body, [](auto b) { return parse_error_fields(b); });
}

TEST(MessageParsers, error_severity_falls_back_to_localized_field) {
  std::string m;
  Bytes body = testing::ByteWriter().u8('S').cstr("ERROR").u8('M').cstr("m").u8(0).bytes();
  auto f = parse_error_fields(body);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, "ERROR");
}

TEST(MessageParsers, round_trips_error_builder) {
  std::string m;
  append_error(m, "FATAL", "08P01", "no");
  auto f = parse_error_fields(body_of(m));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, "FATAL");
  EXPECT_EQ(f->sqlstate, "08P01");
  EXPECT_EQ(f->message, "no");
}

TEST(MessageParsers, rejects_error_with_data_after_terminator) {
  EXPECT_FALSE(parse_error_fields(testing::ByteWriter().u8('M').cstr("m").u8(0).u8(0).bytes()));
}

TEST(MessageParsers, parses_password_message) {
  std::string m;
  append_password_message(m, "md5abc");
  auto p = parse_password_message(body_of(m));
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, "md5abc");
  expect_truncations_rejected(body_of(m), [](auto b) { return parse_password_message(b); });
  EXPECT_FALSE(parse_password_message(testing::ByteWriter().cstr("a").cstr("b").bytes()));
}

TEST(MessageParsers, parses_sasl_initial_response) {
  std::string m;
  append_sasl_initial_response(m, "SCRAM-SHA-256", "n,,n=,r=abc");
  auto r = parse_sasl_initial_response(body_of(m));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(r->data, "n,,n=,r=abc");
  expect_truncations_rejected(body_of(m), [](auto b) { return parse_sasl_initial_response(b); });
}

TEST(MessageParsers, sasl_initial_response_length_minus_one_means_no_data) {
  Bytes body = testing::ByteWriter().cstr("SCRAM-SHA-256").be32(0xffffffffu).bytes();
  auto r = parse_sasl_initial_response(body);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->data.empty());
  body.push_back('x');
  EXPECT_FALSE(parse_sasl_initial_response(body));
}

TEST(MessageParsers, rejects_sasl_initial_response_with_wrong_length) {
  EXPECT_FALSE(parse_sasl_initial_response(
      testing::ByteWriter().cstr("SCRAM-SHA-256").be32(5).text("abcd").bytes()));
  EXPECT_FALSE(parse_sasl_initial_response(
      testing::ByteWriter().cstr("SCRAM-SHA-256").be32(3).text("abcd").bytes()));
  EXPECT_FALSE(parse_sasl_initial_response(
      testing::ByteWriter().cstr("SCRAM-SHA-256").be32(0xfffffffeu).bytes()));
}

TEST(MessageParsers, parses_ready_for_query) {
  for (char c : {'I', 'T', 'E'}) {
    const Bytes body = {static_cast<uint8_t>(c)};
    EXPECT_EQ(parse_ready_for_query(body), c);
  }
  EXPECT_FALSE(parse_ready_for_query(Bytes{}));
  EXPECT_FALSE(parse_ready_for_query(Bytes{'X'}));
  EXPECT_FALSE(parse_ready_for_query(Bytes{'I', 'I'}));
}

TEST(MessageParsers, parses_data_rows_with_nulls_and_refuses_bad_lengths) {
  const Bytes row = {0, 2, 0, 0, 0, 3, 'b', 'o', 'b', 0xff, 0xff, 0xff, 0xff};
  const auto values = parse_data_row(row);
  ASSERT_TRUE(values);
  ASSERT_EQ(values->size(), 2u);
  EXPECT_EQ((*values)[0], std::optional<std::string>("bob"));
  EXPECT_EQ((*values)[1], std::nullopt);
  EXPECT_TRUE(parse_data_row(Bytes{0, 0}));                              // zero columns
  EXPECT_FALSE(parse_data_row(Bytes{0, 1, 0, 0, 0, 4, 'b', 'o', 'b'}));  // value cut short
  EXPECT_FALSE(parse_data_row(Bytes{0, 1, 0, 0, 0, 1, 'b', 'x'}));       // trailing byte
  EXPECT_FALSE(parse_data_row(Bytes{0}));
  EXPECT_EQ(parse_row_description_count(Bytes{0, 2, 'x'}), 2);
  EXPECT_FALSE(parse_row_description_count(Bytes{0}));
}

}  // namespace
}  // namespace sluice::protocol
