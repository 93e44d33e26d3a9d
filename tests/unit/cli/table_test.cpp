// render_table: alignment, header rule, colours only when asked.
#include <gtest/gtest.h>

#include "cli/table.hpp"

namespace sluice::cli {
namespace {

TextTable sample() {
  TextTable t;
  t.headers = {"database", "cl_waiting", "flags"};
  t.right_aligned = {false, true, false};
  t.add_row({"app", "1", "WAITING"}, "1;31");
  t.add_row({"reporting", "0", ""});
  return t;
}

TEST(RenderTable, pads_columns_and_right_aligns_numbers) {
  EXPECT_EQ(render_table(sample(), false),
            "database   cl_waiting  flags\n"
            "---------  ----------  -------\n"
            "app                 1  WAITING\n"
            "reporting           0\n");
}

TEST(RenderTable, colours_only_the_marked_rows_when_asked) {
  const std::string out = render_table(sample(), true);
  EXPECT_NE(out.find("\x1b[1;31mapp                 1  WAITING\x1b[0m\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("\nreporting           0\n"), std::string::npos) << out;
}

TEST(RenderTable, empty_table_has_only_the_header) {
  TextTable t;
  t.headers = {"a", "bb"};
  EXPECT_EQ(render_table(t, false), "a  bb\n-  --\n");
}

TEST(Units, seconds_and_milliseconds_from_microseconds) {
  EXPECT_EQ(seconds_from_us(2'500'123), "2.500");
  EXPECT_EQ(seconds_from_us(0), "0.000");
  EXPECT_EQ(millis_from_us(1'234), "1.2");
}

}  // namespace
}  // namespace sluice::cli
