// ClientParams (a client's tracked parameters, stored compactly), HeapOptional and LazyString:
// the compact pieces of a session.
#include "session/client_params.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "session/heap_optional.hpp"
#include "session/lazy_string.hpp"

namespace sluice {
namespace {

const std::vector<std::string> kNames{"client_encoding",  "DateStyle",
                                      "TimeZone",         "standard_conforming_strings",
                                      "application_name", "IntervalStyle"};

TEST(ClientParams, unset_names_and_untracked_names_are_not_found) {
  ClientParams p;
  EXPECT_FALSE(find_param(p, "TimeZone"));  // no names yet
  p.set_names(&kNames);
  EXPECT_FALSE(find_param(p, "TimeZone"));
  set_param(p, "search_path", "x");  // untracked: not stored
  EXPECT_FALSE(find_param(p, "search_path"));
  EXPECT_FALSE(find_param(p, "client_encoding"));
}

TEST(ClientParams, set_in_any_order_and_spelling) {
  ClientParams p;
  p.set_names(&kNames);
  set_param(p, "application_name", "pgbench");
  set_param(p, "DATESTYLE", "ISO, MDY");
  set_param(p, "IntervalStyle", "postgres");
  EXPECT_EQ(*find_param(p, "application_name"), "pgbench");
  EXPECT_EQ(*find_param(p, "datestyle"), "ISO, MDY");
  EXPECT_EQ(*find_param(p, "intervalstyle"), "postgres");
  EXPECT_FALSE(find_param(p, "client_encoding"));
  EXPECT_FALSE(find_param(p, "TimeZone"));
  EXPECT_FALSE(find_param(p, "standard_conforming_strings"));
  set_param(p, "client_encoding", "UTF8");
  EXPECT_EQ(*find_param(p, "client_encoding"), "UTF8");
  EXPECT_EQ(*find_param(p, "DateStyle"), "ISO, MDY");
  EXPECT_EQ(*find_param(p, "application_name"), "pgbench");
}

TEST(ClientParams, values_are_replaced_and_nul_terminated) {
  ClientParams p;
  p.set_names(&kNames);
  for (const auto& n : kNames) set_param(p, n, n + "-value");
  set_param(p, "TimeZone", "");
  EXPECT_EQ(*find_param(p, "TimeZone"), "");
  set_param(p, "DateStyle", "a much longer value than the one before it");
  set_param(p, "application_name", "x");
  EXPECT_EQ(*find_param(p, "client_encoding"), "client_encoding-value");
  EXPECT_EQ(*find_param(p, "DateStyle"), "a much longer value than the one before it");
  EXPECT_EQ(*find_param(p, "TimeZone"), "");
  EXPECT_EQ(*find_param(p, "standard_conforming_strings"), "standard_conforming_strings-value");
  EXPECT_EQ(*find_param(p, "application_name"), "x");
  EXPECT_EQ(*find_param(p, "IntervalStyle"), "IntervalStyle-value");
  const auto v = find_param(p, "DateStyle");
  EXPECT_EQ(v->data()[v->size()], '\0');
  set_param(p, "TimeZone", std::string_view("UTC\0junk", 8));  // cut at the NUL
  EXPECT_EQ(*find_param(p, "TimeZone"), "UTC");
}

TEST(ClientParams, names_never_set_fall_back_to_the_pool_welcome) {
  // The pool's first server's ParameterStatus values (any case, any order, untracked ones too).
  const ClientParams::Defaults welcome{{"server_version", "15.0"},
                                       {"TIMEZONE", "Etc/UTC"},
                                       {"client_encoding", "UTF8"},
                                       {"DateStyle", "ISO, MDY"}};
  ClientParams p;
  p.set_names(&kNames);
  set_param(p, "application_name", "pgbench");
  p.set_defaults(&welcome);
  EXPECT_EQ(*find_param(p, "application_name"), "pgbench");  // the client's own
  EXPECT_EQ(*find_param(p, "timezone"), "Etc/UTC");          // the welcome's
  EXPECT_EQ(*find_param(p, "client_encoding"), "UTF8");
  EXPECT_FALSE(find_param(p, "IntervalStyle"));   // in neither
  EXPECT_FALSE(find_param(p, "server_version"));  // not tracked
  set_param(p, "client_encoding", "LATIN1");      // a server reported a change for this client
  EXPECT_EQ(*find_param(p, "client_encoding"), "LATIN1");
  EXPECT_EQ(welcome[2].second, "UTF8");  // the pool's copy is never written
  const auto v = find_param(p, "DateStyle");
  EXPECT_EQ(v->data()[v->size()], '\0');
}

struct Counted {
  explicit Counted(int& counter, int v) : live(counter), value(v) { ++live; }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;
  ~Counted() { --live; }
  int& live;
  int value;
};

TEST(HeapOptional, behaves_like_optional) {
  int live = 0;
  {
    HeapOptional<Counted> o;
    EXPECT_FALSE(o);
    EXPECT_FALSE(o.has_value());
    o.emplace(live, 1);
    EXPECT_TRUE(o);
    EXPECT_EQ(o->value, 1);
    EXPECT_EQ(live, 1);
    o.emplace(live, 2);  // the old value is destroyed first
    EXPECT_EQ((*o).value, 2);
    EXPECT_EQ(live, 1);
    o.reset();
    EXPECT_FALSE(o);
    EXPECT_EQ(live, 0);
    o.reset();
    o.emplace(live, 3);
    EXPECT_EQ(o->value, 3);
  }
  EXPECT_EQ(live, 0);  // destroyed with the HeapOptional
}

TEST(HeapOptional, is_one_pointer_and_works_for_byte_aligned_types) {
  static_assert(sizeof(HeapOptional<char>) == sizeof(void*));
  HeapOptional<char> c;
  EXPECT_FALSE(c);
  c.emplace('x');
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, 'x');
  c.reset();
  EXPECT_FALSE(c);
  c.emplace('y');
  EXPECT_EQ(*c, 'y');
}

TEST(LazyString, empty_until_set_and_converts_like_a_string) {
  static_assert(sizeof(LazyString) == sizeof(void*));
  LazyString s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.str(), "");
  s = "query_timeout";
  EXPECT_FALSE(s.empty());
  const std::string& as_string = s;
  std::string_view as_view = s;
  EXPECT_EQ(as_string, "query_timeout");
  EXPECT_EQ(as_view, "query_timeout");
  s = std::string("login failed: ") + "End of file";
  EXPECT_EQ(s.str(), "login failed: End of file");
  s = "";
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace sluice
