// INI syntax: comments, sections, key = value, quoted keys, %include and its nesting limit.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "config/config_error.hpp"
#include "config/ini_reader.hpp"
#include "test_support.hpp"

namespace sluice::config {
namespace {

using test::TempDir;

TEST(IniReader, skips_blank_and_comment_lines_and_trims_whitespace) {
  auto items = read_ini_text(
      "; comment\n"
      "   # indented comment\n"
      "\n"
      "[pgbouncer]\r\n"
      "  listen_port   =   6433   \r\n"
      "pool_mode=transaction\n"
      "empty =\n",
      "x.ini");
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].kind, IniItem::Kind::Section);
  EXPECT_EQ(items[0].name, "pgbouncer");
  EXPECT_EQ(items[0].line, 4);
  EXPECT_EQ(items[1].name, "listen_port");
  EXPECT_EQ(items[1].value, "6433");
  EXPECT_EQ(items[1].line, 5);
  EXPECT_EQ(items[1].file, "x.ini");
  EXPECT_EQ(items[2].value, "transaction");
  EXPECT_EQ(items[3].name, "empty");
  EXPECT_EQ(items[3].value, "");
}

TEST(IniReader, value_keeps_inner_equals_and_semicolons) {
  auto items = read_ini_text("[databases]\nfoo = host=h password='a;b=c'\n", "x.ini");
  EXPECT_EQ(items[1].value, "host=h password='a;b=c'");
}

TEST(IniReader, reads_double_quoted_keys_with_doubled_quote_escape) {
  auto items = read_ini_text("[databases]\n\"my db \"\"x\"\"\" = host=h\n", "x.ini");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].name, "my db \"x\"");
  EXPECT_TRUE(items[1].quoted);
}

TEST(IniReader, rejects_line_without_equals_naming_file_and_line) {
  try {
    read_ini_text("[pgbouncer]\nlisten_port 6432\n", "bad.ini");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "bad.ini");
    EXPECT_EQ(e.line(), 2);
    EXPECT_NE(std::string(e.what()).find("bad.ini:2: syntax error"), std::string::npos);
  }
}

TEST(IniReader, rejects_unterminated_section_header) {
  EXPECT_THROW(read_ini_text("[pgbouncer\n", "x.ini"), ConfigError);
}

TEST(IniReader, rejects_unknown_directive) {
  EXPECT_THROW(read_ini_text("%import other.ini\n", "x.ini"), ConfigError);
}

TEST(IniReader, include_is_read_in_place) {
  TempDir dir;
  std::string inc = dir.write("inc.ini", "listen_port = 7000\n");
  std::string main =
      dir.write("main.ini", "[pgbouncer]\n%include " + inc + "\npool_mode = session\n");
  auto items = read_ini_file(main);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[1].name, "listen_port");
  EXPECT_EQ(items[1].file, inc);
  EXPECT_EQ(items[1].line, 1);
  EXPECT_EQ(items[2].name, "pool_mode");
  EXPECT_EQ(items[2].file, main);
  EXPECT_EQ(items[2].line, 3);
}

TEST(IniReader, include_path_is_relative_to_current_directory_first) {
  TempDir dir;
  dir.write("cwd.ini", "from = cwd\n");
  dir.write("conf/cwd.ini", "from = beside\n");
  std::string main = dir.write("conf/main.ini", "%include cwd.ini\n");
  auto old = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  std::vector<IniItem> items;
  EXPECT_NO_THROW(items = read_ini_file(main));
  std::filesystem::current_path(old);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].value, "cwd");
}

TEST(IniReader, include_falls_back_to_the_including_files_directory) {
  TempDir dir;
  dir.write("conf/sub/part.ini", "from = beside\n");
  std::string main = dir.write("conf/main.ini", "%include \"sub/part.ini\"\n");
  auto items = read_ini_file(main);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].value, "beside");
}

TEST(IniReader, missing_include_names_the_file) {
  TempDir dir;
  std::string main = dir.write("main.ini", "%include nope.ini\n");
  try {
    read_ini_file(main);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "nope.ini");
    EXPECT_NE(e.message().find("cannot open file"), std::string::npos);
  }
}

TEST(IniReader, include_nesting_up_to_limit_works) {
  TempDir dir;
  // main -> f1 -> ... -> f10: ten levels of %include are allowed.
  for (int i = 1; i <= kMaxIncludeDepth; ++i) {
    std::string next =
        i < kMaxIncludeDepth
            ? "%include " + (dir.path() / ("f" + std::to_string(i + 1) + ".ini")).string() + "\n"
            : "leaf = 1\n";
    dir.write("f" + std::to_string(i) + ".ini", next);
  }
  std::string main = dir.write("main.ini", "%include " + (dir.path() / "f1.ini").string() + "\n");
  auto items = read_ini_file(main);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].name, "leaf");
}

TEST(IniReader, include_nesting_beyond_limit_is_a_clear_error) {
  TempDir dir;
  std::string self = dir.write("loop.ini", "");
  dir.write("loop.ini", "%include " + self + "\n");
  try {
    read_ini_file(self);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), self);
    EXPECT_EQ(e.line(), 1);
    EXPECT_NE(e.message().find("nesting too deep (limit 10)"), std::string::npos);
  }
}

TEST(IniReader, unreadable_file_error_has_no_line) {
  try {
    read_ini_file("/nonexistent/sluice.ini");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 0);
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/sluice.ini: cannot open file", 0), 0u);
  }
}

}  // namespace
}  // namespace sluice::config
