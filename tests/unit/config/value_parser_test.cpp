// Value syntax: strtol base 0, strtod seconds, 0/1 booleans, enums (reference §1).
#include <gtest/gtest.h>

#include "config/value_parser.hpp"

namespace sluice::config {
namespace {

ParamValue parse_ok(std::string_view key, std::string_view text) {
  ParamValue v;
  auto err = parse_param_value(*find_param(key), text, v);
  EXPECT_FALSE(err.has_value()) << key << "=" << text << ": " << err.value_or("");
  return v;
}

std::string parse_err(std::string_view key, std::string_view text) {
  ParamValue v;
  auto err = parse_param_value(*find_param(key), text, v);
  EXPECT_TRUE(err.has_value()) << key << "=" << text;
  return err.value_or("");
}

TEST(ValueParser, split_list_takes_commas_and_whitespace_and_drops_empty_items) {
  EXPECT_EQ(split_list("pool_session, auth_md5,,auth_trust\tx  y"),
            (std::vector<std::string>{"pool_session", "auth_md5", "auth_trust", "x", "y"}));
  EXPECT_TRUE(split_list("").empty());
  EXPECT_TRUE(split_list(" , ,").empty());
}

TEST(ValueParser, iequals_ignores_ascii_case_only) {
  EXPECT_TRUE(iequals("DateStyle", "datestyle"));
  EXPECT_FALSE(iequals("DateStyle", "datestyl"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_TRUE(iequals("", ""));
}

TEST(ValueParser, integers_use_c_syntax_octal_and_hex) {
  EXPECT_EQ(parse_ok("unix_socket_mode", "0777").int_value, 0777);
  EXPECT_EQ(parse_ok("unix_socket_mode", "0777").text, "511");
  EXPECT_EQ(parse_ok("max_client_conn", "0x10").int_value, 16);
  EXPECT_EQ(parse_ok("max_client_conn", "250").int_value, 250);
}

TEST(ValueParser, rejects_integer_junk_and_out_of_range) {
  EXPECT_NE(parse_err("max_client_conn", "12abc").find("\"12abc\""), std::string::npos);
  parse_err("max_client_conn", "");
  parse_err("max_client_conn", "1.5");
  parse_err("max_client_conn", "-1");
  parse_err("max_client_conn", "99999999999");
  parse_err("max_client_conn", "999999999999999999999999");
  parse_err("listen_port", "65536");
  EXPECT_EQ(parse_ok("max_packet_size", "4294967295").int_value, 4294967295LL);
}

TEST(ValueParser, times_are_float_seconds_printed_with_percent_g) {
  EXPECT_DOUBLE_EQ(parse_ok("server_idle_timeout", "0.5").seconds, 0.5);
  EXPECT_EQ(parse_ok("server_idle_timeout", "0.5").text, "0.5");
  EXPECT_EQ(parse_ok("server_idle_timeout", "600").text, "600");
  EXPECT_EQ(parse_ok("server_idle_timeout", "600.0").text, "600");
  EXPECT_EQ(parse_ok("server_idle_timeout", "1e3").text, "1000");
}

TEST(ValueParser, rejects_negative_or_non_numeric_times) {
  parse_err("server_idle_timeout", "-1");
  parse_err("server_idle_timeout", "10s");
  parse_err("server_idle_timeout", "inf");
  parse_err("server_idle_timeout", "nan");
  parse_err("server_idle_timeout", "");
}

TEST(ValueParser, booleans_accept_0_1_and_words) {
  EXPECT_EQ(parse_ok("log_connections", "0").int_value, 0);
  EXPECT_EQ(parse_ok("log_connections", "1").int_value, 1);
  EXPECT_EQ(parse_ok("log_connections", "Yes").text, "1");
  EXPECT_EQ(parse_ok("log_connections", "off").text, "0");
  EXPECT_EQ(parse_ok("log_connections", "TRUE").text, "1");
  EXPECT_EQ(parse_ok("log_connections", "false").text, "0");
  EXPECT_EQ(parse_ok("log_connections", "2").text, "1");  // PgBouncer bools are ints
  parse_err("log_connections", "maybe");
}

TEST(ValueParser, enums_are_validated_case_insensitively_and_canonicalised) {
  EXPECT_EQ(parse_ok("pool_mode", "Transaction").text, "transaction");
  EXPECT_EQ(parse_ok("auth_type", "scram-sha-256").text, "scram-sha-256");
  for (auto t : {"any", "trust", "plain", "md5", "cert", "hba", "ldap", "pam"}) {
    parse_ok("auth_type", t);
  }
  for (auto m : {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}) {
    parse_ok("client_tls_sslmode", m);
    parse_ok("server_tls_sslmode", m);
  }
  EXPECT_EQ(parse_ok("syslog_facility", "LOCAL3").text, "local3");
  // Other plain names are plugin names (checked at start-up); anything else is refused here.
  EXPECT_EQ(parse_ok("pool_mode", "sessions").text, "sessions");
  std::string err = parse_err("pool_mode", "session;");
  EXPECT_NE(err.find("\"session;\""), std::string::npos);
  EXPECT_NE(err.find("session, transaction, statement"), std::string::npos);
  parse_err("auth_type", "crypt()");
  parse_err("client_tls_sslmode", "verify");
  parse_err("syslog_facility", "local8");
}

TEST(ValueParser, strings_and_lists_are_kept_as_written) {
  EXPECT_EQ(parse_ok("server_reset_query", "DISCARD ALL; SELECT 1").text, "DISCARD ALL; SELECT 1");
  EXPECT_EQ(parse_ok("admin_users", "a, b,c").text, "a, b,c");
  EXPECT_EQ(parse_ok("logfile", "").text, "");
}

}  // namespace
}  // namespace sluice::config
