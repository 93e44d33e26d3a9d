// metrics_prometheus: the real .so loaded through the FakeHost, its exporter started on a free
// port and spoken to over real HTTP. Canned host state goes in; the test reads /metrics, /healthz
// and /readyz back and checks exact exposition lines (names, labels, escaping, unit conversion),
// per-shard load (ABI 0.4), the HTTP error answers, and that a changed prometheus_port moves the
// listener (RELOAD).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "plugin_path.hpp"
#include "sluice/sdk.hpp"
#include "sluice/testing/fake_host.hpp"

namespace sluice::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A listening TCP socket on 127.0.0.1 with a kernel-chosen port.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0)
      throw std::runtime_error("cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port that nothing listens on (bound, then released).
int free_port() {
  Listener l;
  return l.port();
}

struct HttpReply {
  int status = 0;
  std::string headers;
  std::string body;
};

// One raw HTTP exchange; nullopt when the connection is refused or fails.
std::optional<HttpReply> http(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  if (!request.empty() && ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
                              static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return std::nullopt;
  }
  std::string raw;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const auto end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos) return std::nullopt;
  HttpReply r;
  r.status = std::stoi(raw.substr(9, 3));
  r.headers = raw.substr(0, end);
  r.body = raw.substr(end + 4);
  return r;
}

std::optional<HttpReply> get(int port, const std::string& path) {
  return http(port, "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n");
}

// Waits (bounded) until `port` answers /healthz: the exporter thread binds asynchronously.
bool wait_until_serving(int port) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    if (auto r = get(port, "/healthz"); r && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Waits (bounded) until nothing accepts connections on `port` any more.
bool wait_until_closed(int port) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    if (!get(port, "/healthz")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

class MetricsPrometheus : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin_ = host_.load(plugin_path("metrics_prometheus"));
    exporter_ = plugin_.metrics_exporter("prometheus");
    ASSERT_NE(exporter_, nullptr);
    port_ = free_port();
    host_.set_config("prometheus_listen_addr", "127.0.0.1");
    host_.set_config("prometheus_port", std::to_string(port_));
    host_.set_config("max_client_conn", "100");
    host_.set_config("max_user_connections", "0");
  }
  void TearDown() override {
    if (started_) exporter_->stop(exporter_->ctx);
  }
  void start() {
    char error[256] = {};
    ASSERT_EQ(exporter_->start(exporter_->ctx, error, sizeof error), SLUICE_OK) << error;
    started_ = true;
    ASSERT_TRUE(wait_until_serving(port_)) << "exporter never answered on port " << port_;
  }
  // A pool, a database and stats as the daemon would list them.
  void canned_state(const char* db_host, int db_port) {
    sluice_pool_info p{};
    p.database = "app";
    p.user = "alice";
    p.pool_mode = "transaction";
    p.cl_active = 3;
    p.cl_waiting = 2;
    p.sv_active = 1;
    p.sv_idle = 4;
    p.sv_used = 5;
    p.sv_login = 6;
    p.maxwait_us = 1462050;  // 1.46205 s (times 1e-6 it would print 1.4620499999999998)
    sluice_pool_info admin{};
    admin.database = "pgbouncer";
    admin.user = "pgbouncer";
    admin.pool_mode = "statement";
    admin.cl_active = 1;
    host_.set_list<sluice_pool_info>(SLUICE_LIST_POOLS, {p, admin});

    sluice_database_info d{};
    d.name = "app";
    d.host = db_host;
    d.port = db_port;
    d.database = "appdb";
    d.pool_size = 20;
    d.reserve_pool_size = 5;
    d.max_connections = 50;
    d.current_connections = 10;
    d.paused = 1;
    sluice_database_info console{};
    console.name = "pgbouncer";
    console.port = 6432;
    console.database = "pgbouncer";
    console.force_user = "pgbouncer";
    console.pool_size = 2;
    console.pool_mode = "statement";
    host_.set_list<sluice_database_info>(SLUICE_LIST_DATABASES, {d, console});

    sluice_stats_info s{};
    s.database = "app";
    s.totals.query_count = 1000;
    s.totals.xact_count = 400;
    s.totals.query_time_us = 2500000;  // 2.5 s
    s.totals.xact_time_us = 1500;      // 0.0015 s
    s.totals.wait_time_us = 250000;
    s.totals.bytes_received = 12345;
    s.totals.bytes_sent = 67890;
    s.totals.server_assignment_count = 77;
    host_.set_list<sluice_stats_info>(SLUICE_LIST_STATS, {s});

    sluice_config_info c1{}, c2{}, c3{};
    c1.key = "default_pool_size";
    c1.value = "20";
    c2.key = "max_client_conn";
    c2.value = "100";
    c3.key = "max_user_connections";
    c3.value = "0";
    host_.set_list<sluice_config_info>(SLUICE_LIST_CONFIG, {c1, c2, c3});
    host_.set_list<sluice_shard_info>(SLUICE_LIST_SHARDS, {});
    host_.set_list<sluice_histogram_info>(SLUICE_LIST_HISTOGRAMS, {});
    host_.set_list<sluice_socket_info>(SLUICE_LIST_CLIENTS, {});

    sluice_state_info st{};
    st.version = "PgBouncer 1.25.2 (sluice test)";
    st.databases = 2;
    st.users = 3;
    st.pools = 2;
    st.used_clients = 6;
    st.used_servers = 16;
    host_.set_state(st);
  }

  FakeHost host_;
  FakePluginHandle plugin_;
  const sluice_metrics_exporter_vtable* exporter_ = nullptr;
  int port_ = 0;
  bool started_ = false;
};

TEST_F(MetricsPrometheus, registers_one_metrics_exporter_named_prometheus) {
  EXPECT_EQ(plugin_.name(), "metrics_prometheus");
  ASSERT_EQ(plugin_.extensions().size(), 1u);
  EXPECT_EQ(plugin_.extensions()[0].kind, SLUICE_EXT_METRICS_EXPORTER);
}

TEST_F(MetricsPrometheus, metrics_use_pgbouncer_exporter_names_labels_and_units) {
  canned_state("127.0.0.1", 5432);
  start();
  const auto r = get(port_, "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->headers.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"),
            std::string::npos);
  const std::string& m = r->body;
  const std::vector<std::string> expected = {
      "# TYPE pgbouncer_up gauge",
      "pgbouncer_up 1",
      "pgbouncer_version_info{version=\"PgBouncer 1.25.2 (sluice test)\"} 1",
      "pgbouncer_databases 2",
      "pgbouncer_users 3",
      "pgbouncer_pools 2",
      "pgbouncer_used_clients 6",
      "pgbouncer_used_servers 16",
      "pgbouncer_config_max_client_connections 100",
      "pgbouncer_config_max_user_connections 0",
      "sluice_config_default_pool_size 20",
      "# TYPE pgbouncer_pools_client_waiting_connections gauge",
      "pgbouncer_pools_client_active_connections{database=\"app\",user=\"alice\"} 3",
      "pgbouncer_pools_client_waiting_connections{database=\"app\",user=\"alice\"} 2",
      "pgbouncer_pools_server_active_connections{database=\"app\",user=\"alice\"} 1",
      "pgbouncer_pools_server_idle_connections{database=\"app\",user=\"alice\"} 4",
      "pgbouncer_pools_server_used_connections{database=\"app\",user=\"alice\"} 5",
      "pgbouncer_pools_server_login_connections{database=\"app\",user=\"alice\"} 6",
      "pgbouncer_pools_client_active_connections{database=\"pgbouncer\",user=\"pgbouncer\"} 1",
      // whole seconds, like the exporter's maxwait; sluice_ keeps the microseconds
      "pgbouncer_pools_client_maxwait_seconds{database=\"app\",user=\"alice\"} 1",
      "sluice_pools_client_maxwait_seconds{database=\"app\",user=\"alice\"} 1.46205",
      "# TYPE pgbouncer_stats_totals_queries_pooled_total counter",
      "pgbouncer_stats_totals_queries_pooled_total{database=\"app\"} 1000",
      "pgbouncer_stats_totals_sql_transactions_pooled_total{database=\"app\"} 400",
      "pgbouncer_stats_totals_queries_duration_seconds_total{database=\"app\"} 2.5",
      "pgbouncer_stats_totals_server_in_transaction_seconds_total{database=\"app\"} 0.0015",
      "pgbouncer_stats_totals_client_wait_seconds_total{database=\"app\"} 0.25",
      "pgbouncer_stats_totals_received_bytes_total{database=\"app\"} 12345",
      "pgbouncer_stats_totals_sent_bytes_total{database=\"app\"} 67890",
      "pgbouncer_stats_totals_server_assignments_total{database=\"app\"} 77",
      "pgbouncer_databases_pool_size{name=\"app\",host=\"127.0.0.1\",port=\"5432\","
      "database=\"appdb\",force_user=\"\",pool_mode=\"\"} 20",
      "pgbouncer_databases_reserve_pool{name=\"app\",host=\"127.0.0.1\",port=\"5432\","
      "database=\"appdb\",force_user=\"\",pool_mode=\"\"} 5",
      "pgbouncer_databases_max_connections{name=\"app\",host=\"127.0.0.1\",port=\"5432\","
      "database=\"appdb\",force_user=\"\",pool_mode=\"\"} 50",
      "pgbouncer_databases_current_connections{name=\"app\",host=\"127.0.0.1\",port=\"5432\","
      "database=\"appdb\",force_user=\"\",pool_mode=\"\"} 10",
      "pgbouncer_databases_paused{name=\"app\",host=\"127.0.0.1\",port=\"5432\","
      "database=\"appdb\",force_user=\"\",pool_mode=\"\"} 1",
      "pgbouncer_databases_pool_size{name=\"pgbouncer\",host=\"\",port=\"6432\","
      "database=\"pgbouncer\",force_user=\"pgbouncer\",pool_mode=\"statement\"} 2",
      "# TYPE process_cpu_seconds_total counter",
      "# TYPE process_resident_memory_bytes gauge",
      "# TYPE process_open_fds gauge",
      "# TYPE process_start_time_seconds gauge",
  };
  for (const auto& line : expected) EXPECT_TRUE(has_line(m, line)) << line << "\n--- got:\n" << m;
  // The exporter's queries_total reads a column PgBouncer >= 1.8 no longer has: never exported.
  EXPECT_EQ(m.find("pgbouncer_stats_totals_queries_total"), std::string::npos);
  // Every family has exactly one HELP and one TYPE line.
  size_t helps = 0, types = 0;
  for (size_t p = 0; (p = m.find("# HELP ", p)) != std::string::npos; ++p) ++helps;
  for (size_t p = 0; (p = m.find("# TYPE ", p)) != std::string::npos; ++p) ++types;
  EXPECT_EQ(helps, types);
  EXPECT_GT(helps, 40u);
}

TEST_F(MetricsPrometheus, per_shard_load_is_exported_per_worker_thread) {
  canned_state("127.0.0.1", 5432);
  sluice_shard_info s0{}, s1{};
  s0.shard = 0;
  s0.totals.query_count = 600;
  s0.totals.wait_time_us = 1462050;
  s1.shard = 1;
  s1.totals.query_count = 400;
  s1.totals.bytes_sent = 99;
  host_.set_list<sluice_shard_info>(SLUICE_LIST_SHARDS, {s0, s1});
  start();
  const auto r = get(port_, "/metrics");
  ASSERT_TRUE(r);
  for (const std::string line : {
           "# TYPE sluice_shard_queries_total counter",
           "sluice_shard_queries_total{shard=\"0\"} 600",
           "sluice_shard_queries_total{shard=\"1\"} 400",
           "sluice_shard_client_wait_seconds_total{shard=\"0\"} 1.46205",
           "sluice_shard_sent_bytes_total{shard=\"1\"} 99",
           "pgbouncer_up 1",
       })
    EXPECT_TRUE(has_line(r->body, line)) << line << "\n--- got:\n" << r->body;
}

TEST_F(MetricsPrometheus, client_connections_count_show_clients_rows_by_four_labels) {
  canned_state("127.0.0.1", 5432);
  const auto client = [](const char* db, const char* user, const char* app, const char* state) {
    sluice_socket_info c{};
    c.type = 'C';
    c.database = db;
    c.user = user;
    c.application_name = app;
    c.state = state;
    return c;
  };
  host_.set_list<sluice_socket_info>(
      SLUICE_LIST_CLIENTS,
      {client("app", "app", "psql", "active"), client("app", "app", "psql", "waiting"),
       client("app", "app", "psql", "waiting"), client("app", "bob", "", "idle")});
  start();
  const auto r = get(port_, "/metrics");
  ASSERT_TRUE(r);
  for (
      const std::string line : {
          "# TYPE pgbouncer_client_connections gauge",
          R"(pgbouncer_client_connections{database="app",user="app",application_name="psql",state="active"} 1)",
          R"(pgbouncer_client_connections{database="app",user="app",application_name="psql",state="waiting"} 2)",
          R"(pgbouncer_client_connections{database="app",user="bob",application_name="",state="idle"} 1)",
          "pgbouncer_up 1",
      })
    EXPECT_TRUE(has_line(r->body, line)) << line << "\n--- got:\n" << r->body;
  // A host before ABI 0.5 cannot list clients from this thread: the family is left out, no error.
  const_cast<sluice_host_api*>(host_.api())->abi_minor = 4;
  const auto old = get(port_, "/metrics");
  ASSERT_TRUE(old);
  EXPECT_TRUE(has_line(old->body, "pgbouncer_up 1")) << old->body;
  EXPECT_EQ(old->body.find("pgbouncer_client_connections"), std::string::npos);
}

TEST_F(MetricsPrometheus, latency_histograms_have_cumulative_buckets_in_seconds_sum_and_count) {
  canned_state("127.0.0.1", 5432);
  static const int64_t kBounds[] = {1000, 250000, 1000000, INT64_MAX};  // 1 ms, 0.25 s, 1 s, +Inf
  static const int64_t kQueryCounts[] = {5, 3, 0, 2};
  static const int64_t kWaitCounts[] = {7, 0, 0, 0};
  sluice_histogram_info q{};
  q.database = "app";
  q.kind = SLUICE_HISTOGRAM_QUERY;
  q.bucket_count = 4;
  q.upper_bounds_us = kBounds;
  q.counts = kQueryCounts;
  q.sum_us = 4462050;
  sluice_histogram_info w = q;
  w.kind = SLUICE_HISTOGRAM_CLIENT_WAIT;
  w.counts = kWaitCounts;
  w.sum_us = 700;
  host_.set_list<sluice_histogram_info>(SLUICE_LIST_HISTOGRAMS, {q, w});
  start();
  const auto r = get(port_, "/metrics");
  ASSERT_TRUE(r);
  for (const std::string line : {
           "# TYPE sluice_query_duration_seconds histogram",
           "sluice_query_duration_seconds_bucket{database=\"app\",le=\"0.001\"} 5",
           "sluice_query_duration_seconds_bucket{database=\"app\",le=\"0.25\"} 8",
           "sluice_query_duration_seconds_bucket{database=\"app\",le=\"1\"} 8",
           "sluice_query_duration_seconds_bucket{database=\"app\",le=\"+Inf\"} 10",
           "sluice_query_duration_seconds_sum{database=\"app\"} 4.46205",
           "sluice_query_duration_seconds_count{database=\"app\"} 10",
           "# TYPE sluice_client_wait_seconds histogram",
           "sluice_client_wait_seconds_bucket{database=\"app\",le=\"+Inf\"} 7",
           "sluice_client_wait_seconds_sum{database=\"app\"} 0.0007",
           "sluice_client_wait_seconds_count{database=\"app\"} 7",
           "pgbouncer_up 1",
       })
    EXPECT_TRUE(has_line(r->body, line)) << line << "\n--- got:\n" << r->body;
  // No transaction histogram was listed: no empty family either.
  EXPECT_EQ(r->body.find("sluice_transaction_duration_seconds"), std::string::npos);
}

TEST_F(MetricsPrometheus, a_host_without_the_shards_list_is_no_failure) {
  canned_state("127.0.0.1", 5432);
  host_.clear_list(SLUICE_LIST_SHARDS);  // list() refuses the kind
  start();
  const auto r = get(port_, "/metrics");
  ASSERT_TRUE(r);
  EXPECT_TRUE(has_line(r->body, "pgbouncer_up 0")) << "a 0.4 host that refuses SHARDS is a failure";
  // An ABI 0.2 host has no SHARDS list: the exporter does not ask for it.
  const_cast<sluice_host_api*>(host_.api())->abi_minor = 2;
  const auto old = get(port_, "/metrics");
  ASSERT_TRUE(old);
  EXPECT_TRUE(has_line(old->body, "pgbouncer_up 1")) << old->body;
  EXPECT_EQ(old->body.find("sluice_shard_"), std::string::npos);
  EXPECT_EQ(old->body.find("_seconds_bucket"), std::string::npos);
}

TEST_F(MetricsPrometheus, label_values_escape_backslash_quote_and_newline) {
  canned_state("127.0.0.1", 5432);
  sluice_pool_info p{};
  p.database = "we\"ird\\db\nname";
  p.user = "bob";
  p.cl_waiting = 7;
  host_.set_list<sluice_pool_info>(SLUICE_LIST_POOLS, {p});
  start();
  const auto r = get(port_, "/metrics");
  ASSERT_TRUE(r);
  EXPECT_TRUE(has_line(r->body,
                       "pgbouncer_pools_client_waiting_connections{database="
                       "\"we\\\"ird\\\\db\\nname\",user=\"bob\"} 7"))
      << r->body;
}

TEST_F(MetricsPrometheus, up_is_0_when_a_list_cannot_be_read_and_the_rest_is_still_exported) {
  canned_state("127.0.0.1", 5432);
  host_.clear_list(SLUICE_LIST_STATS);  // list() answers SLUICE_ERROR
  start();
  const auto r = get(port_, "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(has_line(r->body, "pgbouncer_up 0")) << r->body;
  EXPECT_TRUE(has_line(
      r->body, "pgbouncer_pools_client_waiting_connections{database=\"app\",user=\"alice\"} 2"));
  EXPECT_EQ(r->body.find("pgbouncer_stats_totals_"), std::string::npos);
}

TEST_F(MetricsPrometheus, healthz_is_200_ok_and_other_paths_and_methods_are_refused) {
  canned_state("127.0.0.1", 5432);
  start();
  auto r = get(port_, "/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok\n");
  EXPECT_NE(r->headers.find("Connection: close"), std::string::npos);

  r = get(port_, "/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);

  r = get(port_, "/metrics?name[]=x");  // the query string is ignored
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  r = http(port_, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_NE(r->headers.find("Allow: GET, HEAD"), std::string::npos);

  r = http(port_, "HEAD /healthz HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  EXPECT_NE(r->headers.find("Content-Length: 3"), std::string::npos);

  r = http(port_, "garbage\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);

  r = http(port_, "GET / HTTP/2.0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 505);
}

TEST_F(MetricsPrometheus, an_oversized_request_head_gets_431_and_the_server_keeps_serving) {
  canned_state("127.0.0.1", 5432);
  start();
  const std::string huge =
      "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  const auto r = http(port_, huge);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  const auto again = get(port_, "/healthz");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST_F(MetricsPrometheus,
       readyz_is_200_when_every_database_accepts_tcp_and_503_naming_it_otherwise) {
  Listener postgres;  // stands in for a reachable PostgreSQL
  canned_state("127.0.0.1", postgres.port());
  start();
  auto r = get(port_, "/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "ok: app\n");

  const int dead = free_port();
  canned_state("127.0.0.1", dead);
  r = get(port_, "/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "unreachable: app (127.0.0.1:" + std::to_string(dead) + ")\n");

  // A multi-host database is ready when any host answers.
  canned_state("127.0.0.1,127.0.0.1", postgres.port());
  r = get(port_, "/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;

  sluice_state_info st{};
  st.shutting_down = 1;
  host_.set_state(st);
  r = get(port_, "/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "not ready: shutting down\n");
}

TEST_F(MetricsPrometheus, a_changed_port_moves_the_listener_and_port_0_turns_it_off) {
  canned_state("127.0.0.1", 5432);
  start();
  const int second = free_port();
  host_.set_config("prometheus_port", std::to_string(second));  // what RELOAD does
  ASSERT_TRUE(wait_until_serving(second));
  EXPECT_TRUE(wait_until_closed(port_));
  EXPECT_TRUE(host_.has_log("metrics listening on http://127.0.0.1:" + std::to_string(second)));

  host_.set_config("prometheus_port", "0");
  EXPECT_TRUE(wait_until_closed(second));
}

TEST_F(MetricsPrometheus, stop_closes_the_listener) {
  canned_state("127.0.0.1", 5432);
  start();
  exporter_->stop(exporter_->ctx);
  started_ = false;
  EXPECT_FALSE(get(port_, "/healthz"));
}

TEST_F(MetricsPrometheus, stop_does_not_wait_for_a_silent_client) {
  canned_state("127.0.0.1", 5432);
  start();
  // A client that connects and never sends its request: the server waits up to 5 s for it.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port_));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  // Let the exporter thread accept it and start waiting for the request (it polls at once; the
  // check below fails without stop()'s wake-up only if the thread got there, which 200 ms allows).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto t0 = Clock::now();
  exporter_->stop(exporter_->ctx);
  started_ = false;
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  ::close(fd);
  EXPECT_LT(took.count(), 1500) << "stop() took " << took.count() << " ms";
}

}  // namespace
}  // namespace sluice::testing
