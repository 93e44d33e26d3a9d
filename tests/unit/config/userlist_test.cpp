// userlist.txt: quoting, comments, broken lines, secret forms (reference §3.1).
#include <string>

#include <gtest/gtest.h>

#include "config/config_error.hpp"
#include "config/userlist.hpp"
#include "test_support.hpp"

namespace sluice::config {
namespace {

const char* kScram =
    "SCRAM-SHA-256$4096:c2x1aWNlLXNhbXBsZS1zYWx0$vn8Fx2lmZm+TQ1boCrSa8AIuvN3r2ASWLLxzOQSyAwk=:"
    "e7Tzt6AAki7eCvvcmbbf2gLYFH+H9DkOvbI21Ux6JG4=";

TEST(Userlist, parses_plaintext_md5_and_scram_secrets) {
  std::string text = std::string("\"plain\" \"pw\"\n") +
                     "\"admin\" \"md545f2603610af569b6155c45067268c6b\"\n" + "\"app\" \"" + kScram +
                     "\"\n";
  Userlist u = parse_userlist(text, "userlist.txt");
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(u.at("plain"), "pw");
  EXPECT_EQ(u.at("admin"), "md545f2603610af569b6155c45067268c6b");
  EXPECT_EQ(u.at("app"), kScram);
}

TEST(Userlist, doubled_quote_is_a_literal_quote) {
  Userlist u = parse_userlist("\"we\"\"ird\" \"pa\"\"ss\"\"\"\n", "u.txt");
  EXPECT_EQ(u.at("we\"ird"), "pa\"ss\"");
}

TEST(Userlist, skips_comments_blank_lines_and_leading_whitespace) {
  Userlist u = parse_userlist(
      "; a comment\n"
      "\n"
      "   \t\n"
      "   ;indented comment\n"
      "  \"bob\"\t\"x\"   trailing junk is ignored\r\n",
      "u.txt");
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u.at("bob"), "x");
}

TEST(Userlist, empty_secret_is_allowed) {
  EXPECT_EQ(parse_userlist("\"trusty\" \"\"\n", "u.txt").at("trusty"), "");
}

TEST(Userlist, later_duplicate_wins) {
  EXPECT_EQ(parse_userlist("\"a\" \"1\"\n\"a\" \"2\"\n", "u.txt").at("a"), "2");
}

void expect_broken(const std::string& text, int line) {
  try {
    parse_userlist(text, "users.txt");
    FAIL() << "expected broken auth file for: " << text;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "users.txt");
    EXPECT_EQ(e.line(), line);
    EXPECT_EQ(e.message(), "broken auth file");
    EXPECT_STREQ(e.what(), ("users.txt:" + std::to_string(line) + ": broken auth file").c_str());
  }
}

TEST(Userlist, rejects_broken_lines_with_file_and_line) {
  expect_broken("\"ok\" \"1\"\n# hash is not a comment here\n", 2);
  expect_broken("bob \"pw\"\n", 1);
  expect_broken("\"bob\"\n", 1);
  expect_broken("\"bob\" pw\n", 1);
  expect_broken("\"bob \"pw\"\n", 1);
  expect_broken("\n\n\"bob\" \"pw\n", 3);
}

TEST(Userlist, rejects_user_name_of_128_bytes) {
  std::string ok(127, 'u');
  EXPECT_NO_THROW(parse_userlist("\"" + ok + "\" \"x\"\n", "u.txt"));
  std::string too_long(128, 'u');
  EXPECT_THROW(parse_userlist("\"" + too_long + "\" \"x\"\n", "u.txt"), ConfigError);
}

TEST(Userlist, load_userlist_reads_file) {
  test::TempDir dir;
  std::string path = dir.write("userlist.txt", "\"a\" \"b\"\n");
  EXPECT_EQ(load_userlist(path).at("a"), "b");
  EXPECT_THROW(load_userlist((dir.path() / "missing.txt").string()), ConfigError);
}

TEST(Userlist, empty_file_has_no_users) {
  EXPECT_TRUE(parse_userlist("", "u.txt").empty());
}

}  // namespace
}  // namespace sluice::config
