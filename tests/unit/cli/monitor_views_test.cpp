// The monitor's views over console results: markers for waiting clients and a high maxwait.
#include <gtest/gtest.h>

#include "cli/monitor.hpp"

namespace sluice::cli {
namespace {

QueryResult pools(std::vector<std::vector<std::optional<std::string>>> rows) {
  QueryResult r;
  r.columns = {"database", "user",     "cl_active", "cl_waiting", "sv_active", "sv_idle",
               "sv_used",  "sv_login", "maxwait",   "maxwait_us", "pool_mode"};
  r.rows = std::move(rows);
  return r;
}

TEST(PoolsView, marks_waiting_clients_and_high_maxwait) {
  const TextTable t =
      pools_view(pools({{"app", "app", "1", "1", "1", "0", "0", "0", "2", "500000", "session"},
                        {"big", "app", "0", "0", "0", "3", "0", "0", "6", "0", "session"},
                        {"ok", "app", "1", "0", "1", "0", "0", "0", "0", "0", "session"}}),
                 5);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0][8], "2.500");
  EXPECT_EQ(t.rows[0][10], "WAITING");
  EXPECT_EQ(t.row_colours[0], "1;31");
  EXPECT_EQ(t.rows[1][10], "MAXWAIT");
  EXPECT_EQ(t.row_colours[1], "33");
  EXPECT_EQ(t.rows[2][10], "");
  EXPECT_EQ(t.row_colours[2], "");
}

TEST(PoolsView, maxwait_just_under_the_threshold_is_not_marked) {
  const TextTable t = pools_view(
      pools({{"app", "app", "1", "0", "1", "0", "0", "0", "4", "999999", "session"}}), 5);
  EXPECT_EQ(t.rows[0][10], "");
}

TEST(SummaryView, takes_rates_from_the_database_stats) {
  QueryResult stats;
  stats.columns = {"database", "avg_xact_count", "avg_query_count", "avg_query_time"};
  stats.rows = {{"app", "42", "84", "1500"}};
  const TextTable t =
      summary_view(pools({{"app", "app", "3", "2", "1", "0", "0", "0", "0", "0", "transaction"},
                          {"other", "app", "0", "0", "0", "1", "0", "0", "0", "0", "transaction"}}),
                   stats, 5);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"app", "app", "3", "2", "1", "0", "0.000", "42",
                                                 "84", "1.5", "WAITING"}));
  EXPECT_EQ(t.rows[1][7], "-");  // no stats row for that database
}

TEST(SocketsView, clients_marks_waiting) {
  QueryResult c;
  c.columns = {"type", "user",    "database",         "state", "addr", "port",
               "wait", "wait_us", "application_name", "id"};
  c.rows = {{"C", "app", "app", "waiting", "127.0.0.1", "5000", "1", "250000", "psql", "7"},
            {"C", "app", "app", "active", "127.0.0.1", "5001", "0", "0", "psql", "8"}};
  const TextTable t = sockets_view(c, true);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"7", "app", "app", "waiting", "127.0.0.1", "5000",
                                                 "1.250", "psql", "WAITING"}));
  EXPECT_EQ(t.rows[1][8], "");
}

}  // namespace
}  // namespace sluice::cli
