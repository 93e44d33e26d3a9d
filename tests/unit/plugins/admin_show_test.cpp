// admin_show: the real .so loaded through the FakeHost, every SHOW command run with a recording
// result writer. Each expected header is PgBouncer 1.25.2's, written out literally from
// ../shared/reference/pgbouncer-behaviour.md section 4.1 (names, order, type OIDs: text 25,
// int4 23, int8 20, numeric 1700); rows check PgBouncer's text formatting.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <regex>
#include <string>
#include <vector>

#include "plugin_path.hpp"
#include "sluice/sdk.hpp"
#include "sluice/testing/fake_host.hpp"

namespace sluice::testing {
namespace {

using Columns = std::vector<AdminResult::Column>;
using Row = AdminResult::Row;

constexpr uint32_t kText = 25, kInt4 = 23, kInt8 = 20, kNumeric = 1700;

const std::vector<std::string> kAllCommands = {
    "SHOW HELP",         "SHOW VERSION",        "SHOW STATE",          "SHOW CONFIG",
    "SHOW DATABASES",    "SHOW USERS",          "SHOW POOLS",          "SHOW CLIENTS",
    "SHOW SERVERS",      "SHOW SOCKETS",        "SHOW ACTIVE_SOCKETS", "SHOW STATS",
    "SHOW STATS_TOTALS", "SHOW STATS_AVERAGES", "SHOW TOTALS",         "SHOW LISTS",
    "SHOW MEM",          "SHOW DNS_HOSTS",      "SHOW DNS_ZONES",      "SHOW PEERS",
    "SHOW PEER_POOLS"};

// Row values: "<NULL>" stands for SQL NULL.
Row row(const std::vector<const char*>& values) {
  Row r;
  for (const char* v : values)
    r.push_back(std::string_view(v) == "<NULL>" ? std::nullopt : std::optional<std::string>(v));
  return r;
}

// Fixes the local time zone for the timestamp columns (a POSIX TZ string needs no tzdata).
class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTz() {
    if (old_)
      setenv("TZ", old_->c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }

 private:
  std::optional<std::string> old_;
};

constexpr int64_t kNov14 = 1700000000;  // 2023-11-14 22:13:20 UTC

sluice_socket_info client(const char* user, const char* db, const char* state, uint64_t ptr,
                          uint64_t link) {
  sluice_socket_info s{};
  s.struct_size = sizeof(s);
  s.type = 'C';
  s.user = user;
  s.database = db;
  s.replication = "none";
  s.state = state;
  s.addr = "127.0.0.1";
  s.port = 50000;
  s.local_addr = "127.0.0.1";
  s.local_port = 6432;
  s.connect_time_us = kNov14 * 1000000;
  s.request_time_us = (kNov14 + 5) * 1000000 + 123;
  s.ptr = ptr;
  s.link = link;
  s.tls = "";
  s.application_name = "psql";
  s.id = 1;
  return s;
}

sluice_socket_info server(const char* user, const char* db, const char* state, uint64_t ptr,
                          uint64_t link) {
  sluice_socket_info s = client(user, db, state, ptr, link);
  s.type = 'S';
  s.port = 5432;
  s.local_port = 40000;
  s.application_name = "";
  s.remote_pid = 4242;
  return s;
}

class AdminShow : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin_ = host_.load(plugin_path("admin_show"));
    // Every list empty by default, so every command can run.
    host_.set_list<sluice_pool_info>(SLUICE_LIST_POOLS, {});
    host_.set_list<sluice_database_info>(SLUICE_LIST_DATABASES, {});
    host_.set_list<sluice_user_info>(SLUICE_LIST_USERS, {});
    host_.set_list<sluice_socket_info>(SLUICE_LIST_CLIENTS, {});
    host_.set_list<sluice_socket_info>(SLUICE_LIST_SERVERS, {});
    host_.set_list<sluice_stats_info>(SLUICE_LIST_STATS, {});
    host_.set_list<sluice_config_info>(SLUICE_LIST_CONFIG, {});
  }

  // Runs `command`, expects a clean result (tag SHOW, no error, no writer misuse).
  AdminResult run(const std::string& command) {
    AdminResult r = plugin_.admin(command);
    EXPECT_EQ(r.status, SLUICE_OK) << command;
    EXPECT_FALSE(r.is_error()) << command << ": " << r.error_message;
    EXPECT_EQ(r.command_tag, std::optional<std::string>("SHOW")) << command;
    EXPECT_TRUE(r.misuse.empty()) << command << ": " << (r.misuse.empty() ? "" : r.misuse[0]);
    return r;
  }
  void expect_header(const std::string& command, const Columns& expected) {
    const AdminResult r = run(command);
    EXPECT_EQ(r.columns, expected) << command;
  }

  FakeHost host_;
  FakePluginHandle plugin_;
};

// ---- Registration
// -------------------------------------------------------------------------------

TEST_F(AdminShow, provides_exactly_one_admin_command_per_show) {
  std::vector<std::string> names;
  for (const auto& e : plugin_.extensions()) {
    EXPECT_EQ(e.kind, SLUICE_EXT_ADMIN_COMMAND) << e.name;
    names.push_back(e.name);
  }
  EXPECT_EQ(names, kAllCommands);
  EXPECT_EQ(plugin_.name(), "admin_show");
}

// ---- Headers: PgBouncer 1.25.2, literally
// -----------------------------------------------------------

TEST_F(AdminShow, header_version) {
  expect_header("SHOW VERSION", {{"version", kText}});
}

TEST_F(AdminShow, header_state) {
  expect_header("SHOW STATE", {{"key", kText}, {"value", kText}});
}

TEST_F(AdminShow, header_config) {
  expect_header("SHOW CONFIG",
                {{"key", kText}, {"value", kText}, {"default", kText}, {"changeable", kText}});
}

TEST_F(AdminShow, header_databases) {
  expect_header("SHOW DATABASES", {{"name", kText},
                                   {"host", kText},
                                   {"port", kInt4},
                                   {"database", kText},
                                   {"force_user", kText},
                                   {"pool_size", kInt4},
                                   {"min_pool_size", kInt4},
                                   {"reserve_pool_size", kInt4},
                                   {"server_lifetime", kInt4},
                                   {"pool_mode", kText},
                                   {"load_balance_hosts", kText},
                                   {"max_connections", kInt4},
                                   {"current_connections", kInt4},
                                   {"max_client_connections", kInt4},
                                   {"current_client_connections", kInt4},
                                   {"paused", kInt4},
                                   {"disabled", kInt4}});
}

TEST_F(AdminShow, header_users) {
  expect_header("SHOW USERS", {{"name", kText},
                               {"pool_size", kText},
                               {"reserve_pool_size", kText},
                               {"pool_mode", kText},
                               {"max_user_connections", kInt4},
                               {"current_connections", kInt4},
                               {"max_user_client_connections", kInt4},
                               {"current_client_connections", kInt4}});
}

TEST_F(AdminShow, header_pools) {
  expect_header("SHOW POOLS", {{"database", kText},
                               {"user", kText},
                               {"cl_active", kInt4},
                               {"cl_waiting", kInt4},
                               {"cl_active_cancel_req", kInt4},
                               {"cl_waiting_cancel_req", kInt4},
                               {"sv_active", kInt4},
                               {"sv_active_cancel", kInt4},
                               {"sv_being_canceled", kInt4},
                               {"sv_idle", kInt4},
                               {"sv_used", kInt4},
                               {"sv_tested", kInt4},
                               {"sv_login", kInt4},
                               {"maxwait", kInt4},
                               {"maxwait_us", kInt4},
                               {"pool_mode", kText},
                               {"load_balance_hosts", kText}});
}

const Columns kSocketColumns = {{"type", kText},
                                {"user", kText},
                                {"database", kText},
                                {"replication", kText},
                                {"state", kText},
                                {"addr", kText},
                                {"port", kInt4},
                                {"local_addr", kText},
                                {"local_port", kInt4},
                                {"connect_time", kText},
                                {"request_time", kText},
                                {"wait", kInt4},
                                {"wait_us", kInt4},
                                {"close_needed", kInt4},
                                {"ptr", kText},
                                {"link", kText},
                                {"remote_pid", kInt4},
                                {"tls", kText},
                                {"application_name", kText},
                                {"prepared_statements", kInt4},
                                {"id", kInt4}};

TEST_F(AdminShow, header_clients) {
  expect_header("SHOW CLIENTS", kSocketColumns);
}

TEST_F(AdminShow, header_servers) {
  expect_header("SHOW SERVERS", kSocketColumns);
}

const Columns kSocketsColumns = {{"type", kText},
                                 {"user", kText},
                                 {"database", kText},
                                 {"replication", kText},
                                 {"state", kText},
                                 {"addr", kText},
                                 {"port", kInt4},
                                 {"local_addr", kText},
                                 {"local_port", kInt4},
                                 {"connect_time", kText},
                                 {"request_time", kText},
                                 {"wait", kInt4},
                                 {"wait_us", kInt4},
                                 {"close_needed", kInt4},
                                 {"ptr", kText},
                                 {"link", kText},
                                 {"remote_pid", kInt4},
                                 {"tls", kText},
                                 {"application_name", kText},
                                 {"prepared_statements", kInt4},
                                 {"id", kInt4},
                                 {"recv_pos", kInt4},
                                 {"pkt_pos", kInt4},
                                 {"pkt_remain", kInt4},
                                 {"send_pos", kInt4},
                                 {"send_remain", kInt4},
                                 {"pkt_avail", kInt4},
                                 {"send_avail", kInt4}};

TEST_F(AdminShow, header_sockets) {
  expect_header("SHOW SOCKETS", kSocketsColumns);
}

TEST_F(AdminShow, header_active_sockets) {
  expect_header("SHOW ACTIVE_SOCKETS", kSocketsColumns);
}

TEST_F(AdminShow, header_stats) {
  expect_header("SHOW STATS", {{"database", kText},
                               {"total_server_assignment_count", kNumeric},
                               {"total_xact_count", kNumeric},
                               {"total_query_count", kNumeric},
                               {"total_received", kNumeric},
                               {"total_sent", kNumeric},
                               {"total_xact_time", kNumeric},
                               {"total_query_time", kNumeric},
                               {"total_wait_time", kNumeric},
                               {"total_client_parse_count", kNumeric},
                               {"total_server_parse_count", kNumeric},
                               {"total_bind_count", kNumeric},
                               {"avg_server_assignment_count", kNumeric},
                               {"avg_xact_count", kNumeric},
                               {"avg_query_count", kNumeric},
                               {"avg_recv", kNumeric},
                               {"avg_sent", kNumeric},
                               {"avg_xact_time", kNumeric},
                               {"avg_query_time", kNumeric},
                               {"avg_wait_time", kNumeric},
                               {"avg_client_parse_count", kNumeric},
                               {"avg_server_parse_count", kNumeric},
                               {"avg_bind_count", kNumeric}});
}

TEST_F(AdminShow, header_stats_totals) {
  expect_header("SHOW STATS_TOTALS", {{"database", kText},
                                      {"server_assignment_count", kNumeric},
                                      {"xact_count", kNumeric},
                                      {"query_count", kNumeric},
                                      {"bytes_received", kNumeric},
                                      {"bytes_sent", kNumeric},
                                      {"xact_time", kNumeric},
                                      {"query_time", kNumeric},
                                      {"wait_time", kNumeric},
                                      {"client_parse_count", kNumeric},
                                      {"server_parse_count", kNumeric},
                                      {"bind_count", kNumeric}});
}

TEST_F(AdminShow, header_stats_averages) {
  expect_header("SHOW STATS_AVERAGES", {{"database", kText},
                                        {"server_assignment_count", kNumeric},
                                        {"xact_count", kNumeric},
                                        {"query_count", kNumeric},
                                        {"bytes_received", kNumeric},
                                        {"bytes_sent", kNumeric},
                                        {"xact_time", kNumeric},
                                        {"query_time", kNumeric},
                                        {"wait_time", kNumeric},
                                        {"avg_client_parse_count", kNumeric},
                                        {"avg_server_parse_count", kNumeric},
                                        {"avg_bind_count", kNumeric}});
}

TEST_F(AdminShow, header_totals) {
  expect_header("SHOW TOTALS", {{"name", kText}, {"value", kNumeric}});
}

TEST_F(AdminShow, header_lists) {
  expect_header("SHOW LISTS", {{"list", kText}, {"items", kInt4}});
}

TEST_F(AdminShow, header_mem_and_no_rows) {
  expect_header(
      "SHOW MEM",
      {{"name", kText}, {"size", kInt4}, {"used", kInt4}, {"free", kInt4}, {"memtotal", kInt4}});
  EXPECT_TRUE(run("SHOW MEM").rows.empty());
}

TEST_F(AdminShow, header_dns_hosts_and_no_rows) {
  expect_header("SHOW DNS_HOSTS", {{"hostname", kText}, {"ttl", kInt8}, {"addrs", kText}});
  EXPECT_TRUE(run("SHOW DNS_HOSTS").rows.empty());
}

TEST_F(AdminShow, header_dns_zones_and_no_rows) {
  expect_header("SHOW DNS_ZONES", {{"zonename", kText}, {"serial", kInt8}, {"count", kInt4}});
  EXPECT_TRUE(run("SHOW DNS_ZONES").rows.empty());
}

TEST_F(AdminShow, header_peers_and_no_rows) {
  expect_header("SHOW PEERS",
                {{"peer_id", kInt4}, {"host", kText}, {"port", kInt4}, {"pool_size", kInt4}});
  EXPECT_TRUE(run("SHOW PEERS").rows.empty());
}

TEST_F(AdminShow, header_peer_pools_and_no_rows) {
  expect_header("SHOW PEER_POOLS", {{"peer_id", kInt4},
                                    {"cl_active_cancel_req", kInt4},
                                    {"cl_waiting_cancel_req", kInt4},
                                    {"sv_active_cancel", kInt4},
                                    {"sv_login", kInt4}});
  EXPECT_TRUE(run("SHOW PEER_POOLS").rows.empty());
}

// ---- HELP, VERSION, STATE, CONFIG
// -------------------------------------------------------------------

TEST_F(AdminShow, help_is_a_console_usage_notice_and_the_show_tag) {
  const AdminResult r = run("SHOW HELP");
  EXPECT_TRUE(r.columns.empty());
  EXPECT_TRUE(r.rows.empty());
  ASSERT_EQ(r.notices.size(), 1u);
  EXPECT_EQ(r.notices[0].message, "Console usage");
  EXPECT_EQ(r.notices[0].detail,
            "\n\tSHOW HELP|CONFIG|DATABASES|POOLS|CLIENTS|SERVERS|USERS|VERSION"
            "\n\tSHOW PEERS|PEER_POOLS"
            "\n\tSHOW SOCKETS|ACTIVE_SOCKETS|LISTS|MEM|STATE"
            "\n\tSHOW DNS_HOSTS|DNS_ZONES"
            "\n\tSHOW STATS|STATS_TOTALS|STATS_AVERAGES|TOTALS"
            "\n\tSET key = arg"
            "\n\tRELOAD"
            "\n\tPAUSE [<db>]"
            "\n\tRESUME [<db>]"
            "\n\tDISABLE <db>"
            "\n\tENABLE <db>"
            "\n\tRECONNECT [<db>]"
            "\n\tKILL [<db>]"
            "\n\tKILL_CLIENT <client_id>"
            "\n\tSUSPEND"
            "\n\tSHUTDOWN"
            "\n\tSHUTDOWN WAIT_FOR_SERVERS|WAIT_FOR_CLIENTS"
            "\n\tWAIT_CLOSE [<db>]");
}

TEST_F(AdminShow, version_is_one_row_from_state) {
  sluice_state_info s{};
  s.version = "sluice 0.2.0";
  host_.set_state(s);
  EXPECT_EQ(run("SHOW VERSION").rows, std::vector<Row>{row({"sluice 0.2.0"})});
}

TEST_F(AdminShow, state_rows_active_paused_suspended) {
  EXPECT_EQ(run("SHOW STATE").rows, (std::vector<Row>{row({"active", "yes"}), row({"paused", "no"}),
                                                      row({"suspended", "no"})}));
  sluice_state_info s{};
  s.paused = 1;
  host_.set_state(s);
  EXPECT_EQ(run("SHOW STATE").rows, (std::vector<Row>{row({"active", "no"}), row({"paused", "yes"}),
                                                      row({"suspended", "no"})}));
  s.suspended = 1;  // one pause mode in PgBouncer: suspension wins
  host_.set_state(s);
  EXPECT_EQ(run("SHOW STATE").rows, (std::vector<Row>{row({"active", "no"}), row({"paused", "no"}),
                                                      row({"suspended", "yes"})}));
}

TEST_F(AdminShow, config_rows_keep_nulls_and_say_yes_or_no) {
  sluice_config_info a{}, b{}, c{};
  a.key = "auth_file";
  a.value = nullptr;
  a.default_value = nullptr;
  a.changeable = 1;
  b.key = "default_pool_size";
  b.value = "20";
  b.default_value = "20";
  b.changeable = 1;
  c.key = "listen_port";
  c.value = "6432";
  c.default_value = "6432";
  c.changeable = 0;
  host_.set_list<sluice_config_info>(SLUICE_LIST_CONFIG, {a, b, c});
  EXPECT_EQ(run("SHOW CONFIG").rows,
            (std::vector<Row>{row({"auth_file", "<NULL>", "<NULL>", "yes"}),
                              row({"default_pool_size", "20", "20", "yes"}),
                              row({"listen_port", "6432", "6432", "no"})}));
}

// ---- DATABASES, USERS, POOLS
// ------------------------------------------------------------------------

TEST_F(AdminShow, databases_send_null_host_for_unix_and_null_pool_mode_when_inherited) {
  sluice_database_info admin{}, app{}, multi{};
  admin.name = "pgbouncer";
  admin.host = nullptr;
  admin.port = 6432;
  admin.database = "pgbouncer";
  admin.force_user = "pgbouncer";
  admin.pool_size = 2;
  admin.server_lifetime = 3600;
  admin.pool_mode = "statement";
  app.name = "app";
  app.host = nullptr;  // Unix socket
  app.port = 5432;
  app.database = "appdb";
  app.pool_size = 20;
  app.min_pool_size = 1;
  app.reserve_pool_size = 3;
  app.server_lifetime = 3600;
  app.pool_mode = nullptr;  // inherited
  app.current_connections = 4;
  app.max_client_connections = 100;
  app.current_client_connections = 7;
  multi.name = "multi";
  multi.host = "db1,db2";
  multi.port = 5433;
  multi.database = "multi";
  multi.pool_size = 10;
  multi.server_lifetime = 60;
  multi.pool_mode = "transaction";
  multi.load_balance_hosts = "round-robin";
  multi.max_connections = 50;
  multi.paused = 1;
  multi.disabled = 1;
  host_.set_list<sluice_database_info>(SLUICE_LIST_DATABASES, {admin, app, multi});
  EXPECT_EQ(
      run("SHOW DATABASES").rows,
      (std::vector<Row>{row({"pgbouncer", "<NULL>", "6432", "pgbouncer", "pgbouncer", "2", "0", "0",
                             "3600", "statement", "<NULL>", "0", "0", "0", "0", "0", "0"}),
                        row({"app", "<NULL>", "5432", "appdb", "<NULL>", "20", "1", "3", "3600",
                             "<NULL>", "<NULL>", "0", "4", "100", "7", "0", "0"}),
                        row({"multi", "db1,db2", "5433", "multi", "<NULL>", "10", "0", "0", "60",
                             "transaction", "round-robin", "50", "0", "0", "0", "1", "1"})}));
}

TEST_F(AdminShow, users_pad_sizes_to_nine_and_reset_them_per_row) {
  sluice_user_info set{}, unset{}, zero{};
  set.name = "alice";
  set.pool_size = 20;
  set.reserve_pool_size = 5;
  set.pool_mode = "session";
  set.max_user_connections = 40;
  set.current_connections = 2;
  set.current_client_connections = 3;
  unset.name = "bob";  // follows a user with sizes: must NOT show alice's values
  unset.pool_size = -1;
  unset.reserve_pool_size = -1;
  unset.pool_mode = nullptr;
  zero.name = "carol";
  zero.pool_size = 0;
  zero.reserve_pool_size = 123456789;
  zero.pool_mode = nullptr;
  host_.set_list<sluice_user_info>(SLUICE_LIST_USERS, {set, unset, zero});
  EXPECT_EQ(
      run("SHOW USERS").rows,
      (std::vector<Row>{row({"alice", "       20", "        5", "session", "40", "2", "0", "3"}),
                        row({"bob", "", "", "<NULL>", "0", "0", "0", "0"}),
                        row({"carol", "        0", "123456789", "<NULL>", "0", "0", "0", "0"})}));
}

TEST_F(AdminShow, pools_split_maxwait_and_keep_load_balance_hosts_null) {
  sluice_pool_info p{}, q{};
  p.database = "app";
  p.user = "alice";
  p.pool_mode = "transaction";
  p.cl_active = 1;
  p.cl_waiting = 2;
  p.cl_active_cancel_req = 3;
  p.cl_waiting_cancel_req = 4;
  p.sv_active = 5;
  p.sv_active_cancel = 6;
  p.sv_being_canceled = 7;
  p.sv_idle = 8;
  p.sv_used = 9;
  p.sv_tested = 10;
  p.sv_login = 11;
  p.maxwait_us = 2500001;
  q.database = "multi";
  q.user = "bob";
  q.pool_mode = "session";
  q.load_balance_hosts = "disable";
  host_.set_list<sluice_pool_info>(SLUICE_LIST_POOLS, {p, q});
  EXPECT_EQ(run("SHOW POOLS").rows,
            (std::vector<Row>{row({"app", "alice", "1", "2", "3", "4", "5", "6", "7", "8", "9",
                                   "10", "11", "2", "500001", "transaction", "<NULL>"}),
                              row({"multi", "bob", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0",
                                   "0", "0", "0", "session", "disable"})}));
}

// ---- CLIENTS, SERVERS, SOCKETS
// -----------------------------------------------------------------------

TEST_F(AdminShow, clients_format_local_time_hex_pointers_and_an_empty_link) {
  ScopedTz tz("UTC0");
  sluice_socket_info linked = client("alice", "app", "active", 0x7f00deadbeefULL, 0x55aa10ULL);
  linked.wait_us = 1250000;
  linked.prepared_statements = 3;
  linked.id = 7;
  sluice_socket_info unlinked = client(nullptr, "app", "active", 0xabcULL, 0);
  unlinked.addr = "unix";
  unlinked.port = 0;
  unlinked.request_time_us = 0;  // none: PgBouncer prints now
  unlinked.remote_pid = 999;
  unlinked.close_needed = 1;
  unlinked.tls = "TLSv1.3/TLS_AES_256_GCM_SHA384";
  host_.set_list<sluice_socket_info>(SLUICE_LIST_CLIENTS, {linked, unlinked});

  const AdminResult r = run("SHOW CLIENTS");
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0], row({"C",
                            "alice",
                            "app",
                            "none",
                            "active",
                            "127.0.0.1",
                            "50000",
                            "127.0.0.1",
                            "6432",
                            "2023-11-14 22:13:20 UTC",
                            "2023-11-14 22:13:25 UTC",
                            "1",
                            "250000",
                            "0",
                            "0x7f00deadbeef",
                            "0x55aa10",
                            "0",
                            "",
                            "psql",
                            "3",
                            "7"}));
  // No link: PgBouncer shows an active client without a server as "idle", link ''.
  EXPECT_EQ(r.cell(1, "user"), "(nouser)");
  EXPECT_EQ(r.cell(1, "state"), "idle");
  EXPECT_EQ(r.cell(1, "addr"), "unix");
  EXPECT_EQ(r.cell(1, "ptr"), "0xabc");
  EXPECT_EQ(r.cell(1, "link"), "");
  EXPECT_EQ(r.cell(1, "wait"), "0");
  EXPECT_EQ(r.cell(1, "wait_us"), "0");
  EXPECT_EQ(r.cell(1, "close_needed"), "1");
  EXPECT_EQ(r.cell(1, "remote_pid"), "999");
  EXPECT_EQ(r.cell(1, "tls"), "TLSv1.3/TLS_AES_256_GCM_SHA384");
  const std::string now = r.cell(1, "request_time");
  EXPECT_TRUE(std::regex_match(now, std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)"))) << now;
  EXPECT_NE(now, "1970-01-01 00:00:00 UTC");
}

TEST_F(AdminShow, timestamps_use_the_local_zone_abbreviation) {
  ScopedTz tz("CET-1CEST,M3.5.0,M10.5.0/3");
  host_.set_list<sluice_socket_info>(SLUICE_LIST_CLIENTS, {client("alice", "app", "active", 1, 2)});
  const AdminResult r = run("SHOW CLIENTS");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.cell(0, "connect_time"), "2023-11-14 23:13:20 CET");
}

TEST_F(AdminShow, servers_list_type_s_rows) {
  ScopedTz tz("UTC0");
  host_.set_list<sluice_socket_info>(
      SLUICE_LIST_SERVERS,
      {server("alice", "app", "idle", 0x10, 0), server("alice", "app", "active", 0x20, 0x30)});
  const AdminResult r = run("SHOW SERVERS");
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[1], row({"S",
                            "alice",
                            "app",
                            "none",
                            "active",
                            "127.0.0.1",
                            "5432",
                            "127.0.0.1",
                            "40000",
                            "2023-11-14 22:13:20 UTC",
                            "2023-11-14 22:13:25 UTC",
                            "0",
                            "0",
                            "0",
                            "0x20",
                            "0x30",
                            "4242",
                            "",
                            "",
                            "0",
                            "1"}));
  EXPECT_EQ(r.cell(0, "state"), "idle");
  EXPECT_EQ(r.cell(0, "link"), "");
}

TEST_F(AdminShow, sockets_group_clients_and_servers_per_pool_with_zero_buffers) {
  host_.set_list<sluice_socket_info>(
      SLUICE_LIST_CLIENTS,
      {client("bob", "b", "active", 0x1, 0x2), client("alice", "a", "waiting", 0x3, 0),
       client("alice", "a", "idle", 0x4, 0), client("alice", "a", "active_cancel_req", 0x5, 0)});
  host_.set_list<sluice_socket_info>(
      SLUICE_LIST_SERVERS,
      {server("bob", "b", "active", 0x2, 0x1), server("alice", "a", "new", 0x6, 0),
       server("alice", "a", "used", 0x7, 0), server("alice", "a", "being_canceled", 0x8, 0)});
  const AdminResult r = run("SHOW SOCKETS");
  std::vector<std::string> states, ptrs;
  for (size_t i = 0; i < r.rows.size(); ++i) {
    states.push_back(r.cell(i, "state"));
    ptrs.push_back(r.cell(i, "ptr"));
    for (const char* c : {"recv_pos", "pkt_pos", "pkt_remain", "send_pos", "send_remain",
                          "pkt_avail", "send_avail"})
      EXPECT_EQ(r.cell(i, c), "0");
  }
  EXPECT_EQ(states, (std::vector<std::string>{"cl_active", "cl_waiting", "sv_used", "sv_login",
                                              "cl_active", "sv_active"}));
  EXPECT_EQ(ptrs, (std::vector<std::string>{"0x4", "0x3", "0x7", "0x6", "0x1", "0x2"}));
}

TEST_F(AdminShow, active_sockets_has_no_rows_as_sluice_buffers_nothing) {
  host_.set_list<sluice_socket_info>(SLUICE_LIST_CLIENTS, {client("alice", "app", "active", 1, 2)});
  EXPECT_TRUE(run("SHOW ACTIVE_SOCKETS").rows.empty());
}

// ---- STATS, TOTALS, LISTS
// -------------------------------------------------------------------------

sluice_stats_counters counters(int64_t base) {
  sluice_stats_counters c{};
  c.server_assignment_count = base + 1;
  c.xact_count = base + 2;
  c.query_count = base + 3;
  c.bytes_received = base + 4;
  c.bytes_sent = base + 5;
  c.xact_time_us = base + 6;
  c.query_time_us = base + 7;
  c.wait_time_us = base + 8;
  c.client_parse_count = base + 9;
  c.server_parse_count = base + 10;
  c.bind_count = base + 11;
  return c;
}

TEST_F(AdminShow, stats_rows_are_integer_text_for_numeric_columns) {
  sluice_stats_info s{};
  s.database = "app";
  s.totals = counters(10000000000000);  // beyond int32
  s.averages = counters(100);
  host_.set_list<sluice_stats_info>(SLUICE_LIST_STATS, {s});
  EXPECT_EQ(run("SHOW STATS").rows, std::vector<Row>{row({"app",
                                                          "10000000000001",
                                                          "10000000000002",
                                                          "10000000000003",
                                                          "10000000000004",
                                                          "10000000000005",
                                                          "10000000000006",
                                                          "10000000000007",
                                                          "10000000000008",
                                                          "10000000000009",
                                                          "10000000000010",
                                                          "10000000000011",
                                                          "101",
                                                          "102",
                                                          "103",
                                                          "104",
                                                          "105",
                                                          "106",
                                                          "107",
                                                          "108",
                                                          "109",
                                                          "110",
                                                          "111"})});
  EXPECT_EQ(run("SHOW STATS_TOTALS").rows,
            std::vector<Row>{
                row({"app", "10000000000001", "10000000000002", "10000000000003", "10000000000004",
                     "10000000000005", "10000000000006", "10000000000007", "10000000000008",
                     "10000000000009", "10000000000010", "10000000000011"})});
  EXPECT_EQ(run("SHOW STATS_AVERAGES").rows,
            std::vector<Row>{row({"app", "101", "102", "103", "104", "105", "106", "107", "108",
                                  "109", "110", "111"})});
}

TEST_F(AdminShow, totals_rows_in_pgbouncer_order_summed_over_databases) {
  sluice_stats_info a{}, b{};
  a.database = "a";
  a.totals = counters(0);
  a.averages = counters(0);
  a.averages.xact_count = 1;  // 1 xact/s at 100 us
  a.averages.xact_time_us = 100;
  a.averages.query_count = 0;  // no queries: no weight
  a.averages.query_time_us = 999;
  b.database = "b";
  b.totals = counters(1000);
  b.averages = counters(0);
  b.averages.xact_count = 3;  // 3 xact/s at 200 us
  b.averages.xact_time_us = 200;
  b.averages.query_count = 2;
  b.averages.query_time_us = 50;
  host_.set_list<sluice_stats_info>(SLUICE_LIST_STATS, {a, b});
  const AdminResult r = run("SHOW TOTALS");
  std::vector<std::string> names;
  for (size_t i = 0; i < r.rows.size(); ++i) names.push_back(r.cell(i, "name"));
  EXPECT_EQ(names, (std::vector<std::string>{"total_server_assignment_count",
                                             "total_xact_count",
                                             "total_query_count",
                                             "total_client_bytes",
                                             "total_server_bytes",
                                             "total_xact_time",
                                             "total_query_time",
                                             "total_wait_time",
                                             "total_ps_client_parse_count",
                                             "total_ps_server_parse_count",
                                             "total_ps_bind_count",
                                             "avg_server_assignment_count",
                                             "avg_xact_count",
                                             "avg_query_count",
                                             "avg_client_bytes",
                                             "avg_server_bytes",
                                             "avg_xact_time",
                                             "avg_query_time",
                                             "avg_wait_time",
                                             "avg_ps_client_parse_count",
                                             "avg_ps_server_parse_count",
                                             "avg_ps_bind_count"}));
  EXPECT_EQ(r.cell(0, "value"), "1002");   // 1 + 1001
  EXPECT_EQ(r.cell(3, "value"), "1008");   // 4 + 1004
  EXPECT_EQ(r.cell(10, "value"), "1022");  // 11 + 1011
  EXPECT_EQ(r.cell(12, "value"), "4");     // xacts/s add up
  EXPECT_EQ(r.cell(16, "value"), "175");   // (1*100 + 3*200) / 4
  EXPECT_EQ(r.cell(17, "value"), "50");    // only b has queries
  EXPECT_EQ(r.cell(21, "value"), "22");    // 11 + 11
}

TEST_F(AdminShow, lists_rows_in_pgbouncer_order) {
  sluice_state_info s{};
  s.databases = 1;
  s.users = 2;
  s.peers = 3;
  s.pools = 4;
  s.peer_pools = 5;
  s.free_clients = 6;
  s.used_clients = 7;
  s.login_clients = 8;
  s.free_servers = 9;
  s.used_servers = 10;
  s.dns_names = 11;
  s.dns_zones = 12;
  s.dns_queries = 13;
  s.dns_pending = 14;
  host_.set_state(s);
  EXPECT_EQ(run("SHOW LISTS").rows,
            (std::vector<Row>{
                row({"databases", "1"}), row({"users", "2"}), row({"peers", "3"}),
                row({"pools", "4"}), row({"peer_pools", "5"}), row({"free_clients", "6"}),
                row({"used_clients", "7"}), row({"login_clients", "8"}), row({"free_servers", "9"}),
                row({"used_servers", "10"}), row({"dns_names", "11"}), row({"dns_zones", "12"}),
                row({"dns_queries", "13"}), row({"dns_pending", "14"})}));
}

// ---- Failures become errors, never crashes or half results
// -----------------------------------------------

TEST_F(AdminShow, a_list_the_host_refuses_is_an_error_without_a_partial_result) {
  host_.clear_list(SLUICE_LIST_POOLS);  // list() now answers SLUICE_ERROR, as for an unknown kind
  const AdminResult r = plugin_.admin("SHOW POOLS");
  EXPECT_TRUE(r.is_error());
  EXPECT_EQ(r.error_sqlstate, "XX000");
  EXPECT_NE(r.error_message.find("SHOW POOLS"), std::string::npos) << r.error_message;
  EXPECT_TRUE(r.columns.empty());
  EXPECT_TRUE(r.rows.empty());
  EXPECT_FALSE(r.command_tag.has_value());
  EXPECT_TRUE(r.misuse.empty());
  EXPECT_EQ(host_.list_calls(SLUICE_LIST_POOLS), 1);
}

TEST_F(AdminShow, a_refused_server_list_fails_sockets_even_after_clients_were_read) {
  host_.set_list<sluice_socket_info>(SLUICE_LIST_CLIENTS, {client("a", "a", "active", 1, 0)});
  host_.clear_list(SLUICE_LIST_SERVERS);
  const AdminResult r = plugin_.admin("SHOW SOCKETS");
  EXPECT_TRUE(r.is_error());
  EXPECT_TRUE(r.columns.empty());
  EXPECT_TRUE(r.rows.empty());
}

TEST_F(AdminShow, a_host_without_list_and_state_gets_errors_not_crashes) {
  host_.set_api_struct_size(SLUICE_SIZE_THROUGH(sluice_host_api, pbkdf2_sha256));  // ABI 0.1
  // Commands that need no host data still answer.
  const std::vector<std::string> need_nothing = {"SHOW HELP",      "SHOW MEM",   "SHOW DNS_HOSTS",
                                                 "SHOW DNS_ZONES", "SHOW PEERS", "SHOW PEER_POOLS"};
  for (const std::string& name : kAllCommands) {
    const AdminResult r = plugin_.admin(name);
    EXPECT_TRUE(r.misuse.empty()) << name;
    const bool needs_host =
        std::find(need_nothing.begin(), need_nothing.end(), name) == need_nothing.end();
    EXPECT_EQ(r.is_error(), needs_host) << name;
    if (needs_host) {
      EXPECT_NE(r.error_message.find("ABI 0.2"), std::string::npos) << r.error_message;
      EXPECT_TRUE(r.columns.empty()) << name;
      EXPECT_FALSE(r.command_tag.has_value()) << name;
    }
  }
  EXPECT_EQ(host_.list_calls(SLUICE_LIST_POOLS), 0);
}

TEST_F(AdminShow, items_of_an_older_smaller_struct_read_as_zero_beyond_its_size) {
  sluice_pool_info p{};
  p.struct_size = SLUICE_SIZE_THROUGH(sluice_pool_info, cl_active);  // an older host's struct
  p.database = "app";
  p.user = "alice";
  p.pool_mode = "session";
  p.cl_active = 1;
  p.cl_waiting = 5;  // beyond struct_size: must not be read
  p.maxwait_us = 9000000;
  host_.set_list<sluice_pool_info>(SLUICE_LIST_POOLS, {p});
  const AdminResult r = run("SHOW POOLS");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.cell(0, "cl_active"), "1");
  EXPECT_EQ(r.cell(0, "cl_waiting"), "0");
  EXPECT_EQ(r.cell(0, "maxwait"), "0");
}

TEST_F(AdminShow, stats_users_see_the_same_result) {
  AdminDriver::Request req;
  req.command = "SHOW LISTS";
  req.user = "stats";
  req.is_admin = false;
  const AdminResult r = plugin_.admin("SHOW LISTS", req);
  EXPECT_FALSE(r.is_error());
  EXPECT_EQ(r.rows.size(), 14u);
}

// The console hands a word after the item to the extension (for SHOW ADVICE <n>); PgBouncer's
// SHOWs take none and answer with its invalid-command text.
TEST_F(AdminShow, refuses_a_word_after_the_item) {
  AdminDriver::Request req;
  req.command = "SHOW POOLS x";
  req.argument = "x";
  const AdminResult r = plugin_.admin("SHOW POOLS", req);
  EXPECT_TRUE(r.is_error());
  EXPECT_EQ(r.error_sqlstate, "08P01");
  EXPECT_EQ(r.error_message, "invalid command 'SHOW POOLS x', use SHOW HELP;");
  EXPECT_TRUE(r.columns.empty());
}

}  // namespace
}  // namespace sluice::testing
