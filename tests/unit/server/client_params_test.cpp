// ClientParams (a client's tracked parameters, stored compactly), WelcomeView (the pool's welcome
// as a login sends it), HeapOptional and LazyString:
// the compact pieces of a session.
#include "session/client_params.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pool/server_connection.hpp"
#include "pool/welcome_view.hpp"
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
  const ParamList welcome{{"server_version", "15.0"},
                          {"TIMEZONE", "Etc/UTC"},
                          {"client_encoding", "UTF8"},
                          {"DateStyle", "ISO, MDY"}};
  const WelcomeView view = make_welcome_view(welcome, kNames);
  ClientParams p;
  p.set_names(&kNames);
  set_param(p, "application_name", "pgbench");
  p.set_defaults(&view.tracked);
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

// What visit() gives for each tracked name, as "name=value" or "name" when there is none.
std::vector<std::string> visited(const ClientParams& p) {
  std::vector<std::string> out;
  p.visit([&](std::string_view name, std::optional<std::string_view> v) {
    out.push_back(std::string(name) + (v ? "=" + std::string(*v) : std::string()));
  });
  return out;
}

TEST(ClientParams, visit_gives_every_tracked_name_what_find_gives) {
  ClientParams p;
  EXPECT_TRUE(visited(p).empty());  // no names: nothing to visit
  p.set_names(&kNames);
  EXPECT_EQ(visited(p), (std::vector<std::string>{"client_encoding", "DateStyle", "TimeZone",
                                                  "standard_conforming_strings", "application_name",
                                                  "IntervalStyle"}));
  const ParamList welcome{{"TimeZone", "Etc/UTC"}, {"IntervalStyle", "postgres"}};
  const WelcomeView view = make_welcome_view(welcome, kNames);
  p.set_defaults(&view.tracked);
  set_param(p, "DateStyle", "ISO, MDY");
  set_param(p, "application_name", "");  // set, to the empty string: not absent
  set_param(p, "TimeZone", "Europe/Paris");
  EXPECT_EQ(visited(p),
            (std::vector<std::string>{"client_encoding", "DateStyle=ISO, MDY",
                                      "TimeZone=Europe/Paris", "standard_conforming_strings",
                                      "application_name=", "IntervalStyle=postgres"}));
  // The same as a find per name.
  p.visit([&](std::string_view name, std::optional<std::string_view> v) {
    const auto f = find_param(p, name);
    ASSERT_EQ(v.has_value(), f.has_value()) << name;
    if (v) {
      EXPECT_EQ(*v, *f) << name;
    }
  });
}

uint64_t key_of(const std::vector<std::pair<std::string, std::optional<std::string>>>& pieces) {
  TrackedKey k;
  for (const auto& [name, value] : pieces)
    k.add(name, value ? std::optional<std::string_view>(*value) : std::nullopt);
  return k.value();
}

TEST(TrackedKey, a_client_and_a_server_with_the_same_values_have_the_same_key) {
  ClientParams client;
  client.set_names(&kNames);
  set_param(client, "client_encoding", "UTF8");
  set_param(client, "DateStyle", "ISO, MDY");
  set_param(client, "application_name", "a name longer than eight bytes");
  TrackedKey from_client;
  client.visit(
      [&](std::string_view name, std::optional<std::string_view> v) { from_client.add(name, v); });
  // A server's list, in another order and spelling, with untracked parameters too.
  ParamList server{{"application_name", "a name longer than eight bytes"},
                   {"server_version", "15.0"},
                   {"datestyle", "ISO, MDY"},
                   {"client_encoding", "UTF8"}};
  EXPECT_EQ(tracked_key(server, kNames), from_client.value());
  set_param(server, "TimeZone", "UTC");  // one the client does not have
  EXPECT_NE(tracked_key(server, kNames), from_client.value());
}

TEST(TrackedKey, values_boundaries_and_absence_all_count) {
  const uint64_t base = key_of({{"a", "xy"}, {"b", "z"}});
  EXPECT_EQ(key_of({{"a", "xy"}, {"b", "z"}}), base);
  EXPECT_NE(key_of({{"a", "x"}, {"b", "yz"}}), base);  // a boundary moved
  EXPECT_NE(key_of({{"a", "xy"}, {"b", "Z"}}), base);  // one byte changed
  EXPECT_NE(key_of({{"a", "xy"}, {"b", ""}}), base);   // empty
  EXPECT_NE(key_of({{"a", "xy"}, {"b", std::nullopt}}), key_of({{"a", "xy"}, {"b", ""}}));
  EXPECT_NE(key_of({{"axy", std::nullopt}, {"b", "z"}}), base);
  // Each byte of a longer value, at each position of its 8-byte words, changes the key.
  const std::string v = "0123456789abcdefghij";
  const uint64_t whole = key_of({{"n", v}});
  for (size_t i = 0; i < v.size(); ++i) {
    std::string w = v;
    w[i] = static_cast<char>(w[i] ^ 0x20);
    EXPECT_NE(key_of({{"n", w}}), whole) << "byte " << i;
  }
  EXPECT_NE(key_of({{"n", v + std::string(1, '\0')}}), whole);  // a trailing zero byte too
}

// ParameterStatus as the protocol documents it: 'S', Int32 length (itself included), name and
// value as C strings.
std::string parameter_status(const std::string& name, const std::string& value) {
  const auto len = static_cast<uint32_t>(4 + name.size() + 1 + value.size() + 1);
  std::string m = "S";
  for (int shift = 24; shift >= 0; shift -= 8) m += static_cast<char>((len >> shift) & 0xff);
  m += name;
  m += '\0';
  m += value;
  m += '\0';
  return m;
}

TEST(WelcomeView, holds_the_untracked_status_messages_and_the_tracked_values_by_index) {
  const ParamList welcome{{"server_version", "15.0"},   {"TIMEZONE", "Etc/UTC"},
                          {"client_encoding", "UTF8"},  {"integer_datetimes", "on"},
                          {"timezone", "not this one"}, {"Application_Name", ""}};
  const WelcomeView view = make_welcome_view(welcome, kNames);
  EXPECT_EQ(view.names, kNames);
  ASSERT_EQ(view.tracked.size(), kNames.size());
  // By the index of the name in kNames, found in any spelling; the first of two spellings wins.
  ASSERT_NE(view.tracked[0], nullptr);
  EXPECT_EQ(*view.tracked[0], "UTF8");
  EXPECT_EQ(view.tracked[0], &welcome[2].second);  // the pool's string, not a copy
  EXPECT_EQ(view.tracked[1], nullptr);             // DateStyle: not in the welcome
  ASSERT_NE(view.tracked[2], nullptr);
  EXPECT_EQ(*view.tracked[2], "Etc/UTC");
  EXPECT_EQ(view.tracked[3], nullptr);
  ASSERT_NE(view.tracked[4], nullptr);
  EXPECT_EQ(*view.tracked[4], "");
  EXPECT_EQ(view.tracked[5], nullptr);
  // ParameterStatus of the untracked ones, in welcome order.
  EXPECT_EQ(view.untracked_status, parameter_status("server_version", "15.0") +
                                       parameter_status("integer_datetimes", "on"));
}

TEST(WelcomeView, with_no_tracked_names_every_parameter_is_sent_as_it_is) {
  const ParamList welcome{{"server_version", "15.0"}, {"TimeZone", "UTC"}};
  const std::vector<std::string> none;
  const WelcomeView view = make_welcome_view(welcome, none);
  EXPECT_TRUE(view.tracked.empty());
  EXPECT_EQ(view.untracked_status,
            parameter_status("server_version", "15.0") + parameter_status("TimeZone", "UTC"));
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

TEST(HeapOptional, release_destroys_the_value_and_gives_the_storage_back) {
  int live = 0;
  HeapOptional<Counted> o;
  o.release();  // nothing held, no storage: a no-op
  EXPECT_FALSE(o);
  o.emplace(live, 1);
  const Counted* first = &*o;
  o.reset();  // reset keeps the storage for the next emplace
  o.emplace(live, 2);
  EXPECT_EQ(&*o, first);
  o.release();
  EXPECT_FALSE(o);
  EXPECT_EQ(live, 0);
  o.release();         // twice is fine
  o.emplace(live, 3);  // new storage
  EXPECT_EQ(o->value, 3);
  EXPECT_EQ(live, 1);
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
