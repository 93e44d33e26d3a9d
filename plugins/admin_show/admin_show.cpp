// admin_show: the SHOW commands of PgBouncer's admin console, one admin command extension per
// command ("SHOW POOLS", ...), answering with PgBouncer 1.25.2's result headers (column names,
// order and type OIDs) and its text formatting of every value
// (../shared/reference/pgbouncer-behaviour.md, section 4.1).
//
// Data comes from the host API's list() and state() (ABI 0.2). A command first builds its whole
// result in memory and only then writes it, so a failure (a host without list(), a list the host
// refuses) reaches the console as one error and never as a half-written result.
//
// Permissions are the host's business: every SHOW here is allowed to stats users in PgBouncer
// (only SHOW FDS is admin-only, and sluice has no SHOW FDS), so request->is_admin is ignored.
#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sluice/sdk.hpp"

namespace sluice::plugins {
namespace {

constexpr const char* kInternalError = "XX000";
constexpr int64_t kUsecPerSec = 1000000;

// ---- Results
// --------------------------------------------------------------------------------------

using Value = std::optional<std::string>;  // nullopt: SQL NULL
using Row = std::vector<Value>;

struct Column {
  const char* name;
  uint32_t type_oid;
};

// A whole result, written only once complete.
struct Table {
  std::vector<Column> columns;
  std::vector<Row> rows;

  void write(sdk::ResultWriter& out) const {
    for (const Column& c : columns) out.add_column(c.name, c.type_oid);
    for (const Row& r : rows) {
      if (r.size() != columns.size()) throw std::logic_error("row width differs from the header");
      out.add_row(r);
    }
    out.set_command_tag("SHOW");
  }
};

// A failure reported to the console as an error (never a crash, never a partial result).
class ShowError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ---- Value formatting (everything is sent as text, as PgBouncer does)
// ------------------------------------------------------

Value int_text(int64_t v) {
  return std::to_string(v);
}

// A nullable text column: NULL stays NULL.
Value nullable(const char* s) {
  if (!s) return std::nullopt;
  return std::string(s);
}

// A text column PgBouncer never sends as NULL.
Value text(const char* s, const char* if_null = "") {
  return std::string(s ? s : if_null);
}

Value yes_no(bool b) {
  return std::string(b ? "yes" : "no");
}

// PgBouncer formats timestamps of SHOW CLIENTS/SERVERS as local time with the zone abbreviation
// ("%Y-%m-%d %H:%M:%S %Z"); a zero timestamp prints the current time.
Value timestamp_text(int64_t usec) {
  std::time_t secs = usec > 0 ? static_cast<std::time_t>(usec / kUsecPerSec) : std::time(nullptr);
  std::tm tm{};
  if (!localtime_r(&secs, &tm)) return std::string();
  char buf[128];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm);
  return std::string(buf, n);
}

// ptr/link: PgBouncer prints object addresses with %p ("0x55d0c1a2b3c0").
Value hex_text(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
  return std::string(buf);
}

// SHOW USERS pool_size / reserve_pool_size: "%9d" when set for the user, '' when not. The value is
// computed per row (PgBouncer 1.23-1.25.2 reused the previous user's value for an unset one; its
// master fixed that, and we follow the fix).
Value padded_size(int32_t v) {
  if (v < 0) return std::string();
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%9d", v);
  return std::string(buf);
}

// ---- Reading the host's state
// -------------------------------------------------------------------

bool offers_list(const sluice_host_api* api) {
  return sdk::Host(api).offers_list();
}

bool offers_state(const sluice_host_api* api) {
  return api && api->struct_size >= SLUICE_SIZE_THROUGH(sluice_host_api, state) && api->state;
}

// Calls `fn(const T&)` for every item of list `kind` (sdk::Host::visit: items are zero-extended
// copies whose strings live only during the visit; fn's exceptions are rethrown afterwards).
template <typename T, typename Fn>
void visit_list(const sluice_host_api* api, sluice_list_kind kind, const char* what, Fn&& fn) {
  if (!offers_list(api)) throw ShowError("the host does not offer list() (sluice ABI 0.2 needed)");
  if (!sdk::Host(api).visit<T>(kind, std::forward<Fn>(fn)))
    throw ShowError(std::string("the host cannot list ") + what);
}

sluice_state_info read_state(const sluice_host_api* api) {
  if (!offers_state(api))
    throw ShowError("the host does not offer state() (sluice ABI 0.2 needed)");
  sluice_state_info s{};
  s.struct_size = sizeof(s);
  api->state(api->host_ctx, &s);
  return s;
}

// ---- Shared column sets
// -----------------------------------------------------------------------------

// SHOW CLIENTS / SERVERS (and the first 21 of SHOW SOCKETS).
const std::vector<Column>& socket_columns() {
  static const std::vector<Column> kColumns = {
      {"type", SLUICE_TYPE_TEXT},
      {"user", SLUICE_TYPE_TEXT},
      {"database", SLUICE_TYPE_TEXT},
      {"replication", SLUICE_TYPE_TEXT},
      {"state", SLUICE_TYPE_TEXT},
      {"addr", SLUICE_TYPE_TEXT},
      {"port", SLUICE_TYPE_INT4},
      {"local_addr", SLUICE_TYPE_TEXT},
      {"local_port", SLUICE_TYPE_INT4},
      {"connect_time", SLUICE_TYPE_TEXT},
      {"request_time", SLUICE_TYPE_TEXT},
      {"wait", SLUICE_TYPE_INT4},
      {"wait_us", SLUICE_TYPE_INT4},
      {"close_needed", SLUICE_TYPE_INT4},
      {"ptr", SLUICE_TYPE_TEXT},
      {"link", SLUICE_TYPE_TEXT},
      {"remote_pid", SLUICE_TYPE_INT4},
      {"tls", SLUICE_TYPE_TEXT},
      {"application_name", SLUICE_TYPE_TEXT},
      {"prepared_statements", SLUICE_TYPE_INT4},
      {"id", SLUICE_TYPE_INT4},
  };
  return kColumns;
}

// The buffer columns SHOW SOCKETS / ACTIVE_SOCKETS add.
constexpr const char* kSocketBufferColumns[] = {
    "recv_pos", "pkt_pos", "pkt_remain", "send_pos", "send_remain", "pkt_avail", "send_avail"};

// One SHOW CLIENTS/SERVERS row; `state` is the state column as the command shows it.
Row socket_row(const sluice_socket_info& s, std::string state) {
  const int64_t wait = s.wait_us > 0 ? s.wait_us : 0;
  Row r;
  r.reserve(socket_columns().size() + std::size(kSocketBufferColumns));
  r.push_back(std::string(1, s.type));
  r.push_back(text(s.user, "(nouser)"));
  r.push_back(text(s.database, "(nodb)"));
  r.push_back(text(s.replication, "none"));
  r.push_back(std::move(state));
  r.push_back(text(s.addr));
  r.push_back(int_text(s.port));
  r.push_back(text(s.local_addr));
  r.push_back(int_text(s.local_port));
  r.push_back(timestamp_text(s.connect_time_us));
  r.push_back(timestamp_text(s.request_time_us));
  r.push_back(int_text(wait / kUsecPerSec));
  r.push_back(int_text(wait % kUsecPerSec));
  r.push_back(int_text(s.close_needed));
  r.push_back(hex_text(s.ptr));
  r.push_back(s.link ? hex_text(s.link) : std::string());
  r.push_back(int_text(s.remote_pid));
  r.push_back(text(s.tls));
  r.push_back(text(s.application_name));
  r.push_back(int_text(s.prepared_statements));
  r.push_back(int_text(s.id));
  return r;
}

// PgBouncer shows a socket of its "active" list that has no link as "idle" (1.25).
std::string listed_state(const sluice_socket_info& s) {
  std::string state = s.state ? s.state : "";
  if (state == "active" && !s.link) return "idle";
  return state;
}

// ---- The commands
// -------------------------------------------------------------------------------

Table show_help(const sluice_host_api*, sdk::ResultWriter& out) {
  // PgBouncer's list (admin.c, admin_show_help), without SHOW FDS, which sluice does not have.
  out.add_notice("Console usage",
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
  return {};  // no columns, no rows: only the notice and the SHOW tag
}

Table show_version(const sluice_host_api* api, sdk::ResultWriter&) {
  const sluice_state_info s = read_state(api);
  Table t{{{"version", SLUICE_TYPE_TEXT}}, {}};
  t.rows.push_back({text(s.version, "sluice")});
  return t;
}

Table show_state(const sluice_host_api* api, sdk::ResultWriter&) {
  const sluice_state_info s = read_state(api);
  // PgBouncer has one pause mode (none, pause, suspend): suspension wins over a pause.
  const bool suspended = s.suspended != 0;
  const bool paused = !suspended && s.paused != 0;
  Table t{{{"key", SLUICE_TYPE_TEXT}, {"value", SLUICE_TYPE_TEXT}}, {}};
  t.rows.push_back({std::string("active"), yes_no(!paused && !suspended)});
  t.rows.push_back({std::string("paused"), yes_no(paused)});
  t.rows.push_back({std::string("suspended"), yes_no(suspended)});
  return t;
}

Table show_config(const sluice_host_api* api, sdk::ResultWriter&) {
  Table t{{{"key", SLUICE_TYPE_TEXT},
           {"value", SLUICE_TYPE_TEXT},
           {"default", SLUICE_TYPE_TEXT},
           {"changeable", SLUICE_TYPE_TEXT}},
          {}};
  visit_list<sluice_config_info>(api, SLUICE_LIST_CONFIG, "config", [&](const auto& c) {
    t.rows.push_back(
        {text(c.key), nullable(c.value), nullable(c.default_value), yes_no(c.changeable != 0)});
  });
  return t;
}

Table show_databases(const sluice_host_api* api, sdk::ResultWriter&) {
  Table t{{{"name", SLUICE_TYPE_TEXT},
           {"host", SLUICE_TYPE_TEXT},
           {"port", SLUICE_TYPE_INT4},
           {"database", SLUICE_TYPE_TEXT},
           {"force_user", SLUICE_TYPE_TEXT},
           {"pool_size", SLUICE_TYPE_INT4},
           {"min_pool_size", SLUICE_TYPE_INT4},
           {"reserve_pool_size", SLUICE_TYPE_INT4},
           {"server_lifetime", SLUICE_TYPE_INT4},
           {"pool_mode", SLUICE_TYPE_TEXT},
           {"load_balance_hosts", SLUICE_TYPE_TEXT},
           {"max_connections", SLUICE_TYPE_INT4},
           {"current_connections", SLUICE_TYPE_INT4},
           {"max_client_connections", SLUICE_TYPE_INT4},
           {"current_client_connections", SLUICE_TYPE_INT4},
           {"paused", SLUICE_TYPE_INT4},
           {"disabled", SLUICE_TYPE_INT4}},
          {}};
  visit_list<sluice_database_info>(api, SLUICE_LIST_DATABASES, "databases", [&](const auto& d) {
    t.rows.push_back({text(d.name), nullable(d.host), int_text(d.port), nullable(d.database),
                      nullable(d.force_user), int_text(d.pool_size), int_text(d.min_pool_size),
                      int_text(d.reserve_pool_size), int_text(d.server_lifetime),
                      nullable(d.pool_mode), nullable(d.load_balance_hosts),
                      int_text(d.max_connections), int_text(d.current_connections),
                      int_text(d.max_client_connections), int_text(d.current_client_connections),
                      int_text(d.paused ? 1 : 0), int_text(d.disabled ? 1 : 0)});
  });
  return t;
}

Table show_users(const sluice_host_api* api, sdk::ResultWriter&) {
  // pool_size and reserve_pool_size are text columns in PgBouncer (see padded_size).
  Table t{{{"name", SLUICE_TYPE_TEXT},
           {"pool_size", SLUICE_TYPE_TEXT},
           {"reserve_pool_size", SLUICE_TYPE_TEXT},
           {"pool_mode", SLUICE_TYPE_TEXT},
           {"max_user_connections", SLUICE_TYPE_INT4},
           {"current_connections", SLUICE_TYPE_INT4},
           {"max_user_client_connections", SLUICE_TYPE_INT4},
           {"current_client_connections", SLUICE_TYPE_INT4}},
          {}};
  visit_list<sluice_user_info>(api, SLUICE_LIST_USERS, "users", [&](const auto& u) {
    t.rows.push_back({text(u.name), padded_size(u.pool_size), padded_size(u.reserve_pool_size),
                      nullable(u.pool_mode), int_text(u.max_user_connections),
                      int_text(u.current_connections), int_text(u.max_user_client_connections),
                      int_text(u.current_client_connections)});
  });
  return t;
}

Table show_pools(const sluice_host_api* api, sdk::ResultWriter&) {
  Table t{{{"database", SLUICE_TYPE_TEXT},
           {"user", SLUICE_TYPE_TEXT},
           {"cl_active", SLUICE_TYPE_INT4},
           {"cl_waiting", SLUICE_TYPE_INT4},
           {"cl_active_cancel_req", SLUICE_TYPE_INT4},
           {"cl_waiting_cancel_req", SLUICE_TYPE_INT4},
           {"sv_active", SLUICE_TYPE_INT4},
           {"sv_active_cancel", SLUICE_TYPE_INT4},
           {"sv_being_canceled", SLUICE_TYPE_INT4},
           {"sv_idle", SLUICE_TYPE_INT4},
           {"sv_used", SLUICE_TYPE_INT4},
           {"sv_tested", SLUICE_TYPE_INT4},
           {"sv_login", SLUICE_TYPE_INT4},
           {"maxwait", SLUICE_TYPE_INT4},
           {"maxwait_us", SLUICE_TYPE_INT4},
           {"pool_mode", SLUICE_TYPE_TEXT},
           {"load_balance_hosts", SLUICE_TYPE_TEXT}},
          {}};
  visit_list<sluice_pool_info>(api, SLUICE_LIST_POOLS, "pools", [&](const auto& p) {
    // maxwait: whole seconds; maxwait_us: the microseconds within the last second.
    const int64_t maxwait = p.maxwait_us > 0 ? p.maxwait_us : 0;
    t.rows.push_back({text(p.database), text(p.user), int_text(p.cl_active), int_text(p.cl_waiting),
                      int_text(p.cl_active_cancel_req), int_text(p.cl_waiting_cancel_req),
                      int_text(p.sv_active), int_text(p.sv_active_cancel),
                      int_text(p.sv_being_canceled), int_text(p.sv_idle), int_text(p.sv_used),
                      int_text(p.sv_tested), int_text(p.sv_login), int_text(maxwait / kUsecPerSec),
                      int_text(maxwait % kUsecPerSec), nullable(p.pool_mode),
                      nullable(p.load_balance_hosts)});
  });
  return t;
}

Table show_socket_kind(const sluice_host_api* api, sluice_list_kind kind, const char* what) {
  Table t{socket_columns(), {}};
  visit_list<sluice_socket_info>(
      api, kind, what, [&](const auto& s) { t.rows.push_back(socket_row(s, listed_state(s))); });
  return t;
}

Table show_clients(const sluice_host_api* api, sdk::ResultWriter&) {
  return show_socket_kind(api, SLUICE_LIST_CLIENTS, "clients");
}

Table show_servers(const sluice_host_api* api, sdk::ResultWriter&) {
  return show_socket_kind(api, SLUICE_LIST_SERVERS, "servers");
}

Table socket_header_with_buffers() {
  Table t{socket_columns(), {}};
  for (const char* name : kSocketBufferColumns) t.columns.push_back({name, SLUICE_TYPE_INT4});
  return t;
}

// SHOW SOCKETS names the pool list a socket is on. PgBouncer lists, per pool: cl_active (linked
// and idle clients), cl_waiting, sv_active, sv_idle, sv_used, sv_tested, sv_login; clients and
// servers of its cancel lists are not shown, nor are peer pools. Returns the rank of the list
// within a pool and its name, or nullopt for a socket PgBouncer would not show.
std::optional<std::pair<int, std::string>> socket_list_of(const sluice_socket_info& s) {
  const std::string_view state = s.state ? s.state : "";
  if (s.type == 'C') {
    if (state == "active" || state == "idle") return std::pair(0, std::string("cl_active"));
    if (state == "waiting") return std::pair(1, std::string("cl_waiting"));
    if (state == "login") return std::pair(7, std::string("cl_login"));
    return std::nullopt;  // active_cancel_req, waiting_cancel_req
  }
  if (state == "active") return std::pair(2, std::string("sv_active"));
  if (state == "idle") return std::pair(3, std::string("sv_idle"));
  if (state == "used") return std::pair(4, std::string("sv_used"));
  if (state == "tested") return std::pair(5, std::string("sv_tested"));
  if (state == "new" || state == "login") return std::pair(6, std::string("sv_login"));
  return std::nullopt;  // active_cancel, being_canceled
}

Table show_sockets(const sluice_host_api* api, sdk::ResultWriter&) {
  struct Entry {
    std::string database, user;
    int rank;
    Row row;
  };
  std::vector<Entry> entries;
  auto collect = [&](const sluice_socket_info& s) {
    auto list = socket_list_of(s);
    if (!list) return;
    Row row = socket_row(s, std::move(list->second));
    // sluice keeps no bytes buffered between reads, so every buffer position and amount is 0.
    for (size_t i = 0; i < std::size(kSocketBufferColumns); ++i) row.push_back(int_text(0));
    entries.push_back(
        {s.database ? s.database : "", s.user ? s.user : "", list->first, std::move(row)});
  };
  visit_list<sluice_socket_info>(api, SLUICE_LIST_CLIENTS, "clients", collect);
  visit_list<sluice_socket_info>(api, SLUICE_LIST_SERVERS, "servers", collect);
  // PgBouncer's order: pools by (database, user), then the lists of each pool in the order above.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.database != b.database) return a.database < b.database;
    if (a.user != b.user) return a.user < b.user;
    return a.rank < b.rank;
  });
  Table t = socket_header_with_buffers();
  for (Entry& e : entries) t.rows.push_back(std::move(e.row));
  return t;
}

Table show_active_sockets(const sluice_host_api* api, sdk::ResultWriter&) {
  // PgBouncer lists only sockets with bytes in their I/O buffer. sluice holds no buffered bytes
  // between reads (a chunk is written on before the next read), so there are never any rows. The
  // lists are still read so a host without list() gets the same error as for SHOW SOCKETS.
  visit_list<sluice_socket_info>(api, SLUICE_LIST_CLIENTS, "clients", [](const auto&) {});
  visit_list<sluice_socket_info>(api, SLUICE_LIST_SERVERS, "servers", [](const auto&) {});
  return socket_header_with_buffers();
}

// The eleven counters of sluice_stats_counters in PgBouncer's column order.
std::vector<Value> counter_values(const sluice_stats_counters& c) {
  return {
      int_text(c.server_assignment_count), int_text(c.xact_count),   int_text(c.query_count),
      int_text(c.bytes_received),          int_text(c.bytes_sent),   int_text(c.xact_time_us),
      int_text(c.query_time_us),           int_text(c.wait_time_us), int_text(c.client_parse_count),
      int_text(c.server_parse_count),      int_text(c.bind_count)};
}

Table stats_table(const sluice_host_api* api, const std::vector<const char*>& names, bool totals,
                  bool averages) {
  Table t{{{"database", SLUICE_TYPE_TEXT}}, {}};
  for (const char* n : names) t.columns.push_back({n, SLUICE_TYPE_NUMERIC});
  visit_list<sluice_stats_info>(api, SLUICE_LIST_STATS, "stats", [&](const auto& s) {
    Row r{text(s.database)};
    if (totals)
      for (auto& v : counter_values(s.totals)) r.push_back(std::move(v));
    if (averages)
      for (auto& v : counter_values(s.averages)) r.push_back(std::move(v));
    t.rows.push_back(std::move(r));
  });
  return t;
}

Table show_stats(const sluice_host_api* api, sdk::ResultWriter&) {
  return stats_table(api,
                     {"total_server_assignment_count",
                      "total_xact_count",
                      "total_query_count",
                      "total_received",
                      "total_sent",
                      "total_xact_time",
                      "total_query_time",
                      "total_wait_time",
                      "total_client_parse_count",
                      "total_server_parse_count",
                      "total_bind_count",
                      "avg_server_assignment_count",
                      "avg_xact_count",
                      "avg_query_count",
                      "avg_recv",
                      "avg_sent",
                      "avg_xact_time",
                      "avg_query_time",
                      "avg_wait_time",
                      "avg_client_parse_count",
                      "avg_server_parse_count",
                      "avg_bind_count"},
                     true, true);
}

Table show_stats_totals(const sluice_host_api* api, sdk::ResultWriter&) {
  return stats_table(api,
                     {"server_assignment_count", "xact_count", "query_count", "bytes_received",
                      "bytes_sent", "xact_time", "query_time", "wait_time", "client_parse_count",
                      "server_parse_count", "bind_count"},
                     true, false);
}

Table show_stats_averages(const sluice_host_api* api, sdk::ResultWriter&) {
  // Only the last three carry the avg_ prefix in PgBouncer.
  return stats_table(api,
                     {"server_assignment_count", "xact_count", "query_count", "bytes_received",
                      "bytes_sent", "xact_time", "query_time", "wait_time",
                      "avg_client_parse_count", "avg_server_parse_count", "avg_bind_count"},
                     false, true);
}

// SHOW TOTALS: the counters summed over every database. The per-second averages add up; the time
// averages (per transaction, per query, per server assignment) are re-weighted by each database's
// rate of that event, which gives PgBouncer's global delta-time / delta-count.
Table show_totals(const sluice_host_api* api, sdk::ResultWriter&) {
  sluice_stats_counters total{};
  sluice_stats_counters avg{};
  // Weighted sums for the time averages.
  long double xact_time_w = 0, query_time_w = 0, wait_time_w = 0;
  visit_list<sluice_stats_info>(api, SLUICE_LIST_STATS, "stats", [&](const auto& s) {
    const sluice_stats_counters& t = s.totals;
    total.server_assignment_count += t.server_assignment_count;
    total.xact_count += t.xact_count;
    total.query_count += t.query_count;
    total.bytes_received += t.bytes_received;
    total.bytes_sent += t.bytes_sent;
    total.xact_time_us += t.xact_time_us;
    total.query_time_us += t.query_time_us;
    total.wait_time_us += t.wait_time_us;
    total.client_parse_count += t.client_parse_count;
    total.server_parse_count += t.server_parse_count;
    total.bind_count += t.bind_count;
    const sluice_stats_counters& a = s.averages;
    avg.server_assignment_count += a.server_assignment_count;
    avg.xact_count += a.xact_count;
    avg.query_count += a.query_count;
    avg.bytes_received += a.bytes_received;
    avg.bytes_sent += a.bytes_sent;
    xact_time_w += static_cast<long double>(a.xact_time_us) * a.xact_count;
    query_time_w += static_cast<long double>(a.query_time_us) * a.query_count;
    wait_time_w += static_cast<long double>(a.wait_time_us) * a.server_assignment_count;
    avg.client_parse_count += a.client_parse_count;
    avg.server_parse_count += a.server_parse_count;
    avg.bind_count += a.bind_count;
  });
  auto per = [](long double weighted, int64_t count) -> int64_t {
    return count > 0 ? static_cast<int64_t>(weighted / count) : 0;
  };
  avg.xact_time_us = per(xact_time_w, avg.xact_count);
  avg.query_time_us = per(query_time_w, avg.query_count);
  avg.wait_time_us = per(wait_time_w, avg.server_assignment_count);

  static constexpr const char* kNames[] = {"server_assignment_count",
                                           "xact_count",
                                           "query_count",
                                           "client_bytes",
                                           "server_bytes",
                                           "xact_time",
                                           "query_time",
                                           "wait_time",
                                           "ps_client_parse_count",
                                           "ps_server_parse_count",
                                           "ps_bind_count"};
  Table t{{{"name", SLUICE_TYPE_TEXT}, {"value", SLUICE_TYPE_NUMERIC}}, {}};
  const auto totals = counter_values(total);
  const auto averages = counter_values(avg);
  for (size_t i = 0; i < std::size(kNames); ++i)
    t.rows.push_back({std::string("total_") + kNames[i], totals[i]});
  for (size_t i = 0; i < std::size(kNames); ++i)
    t.rows.push_back({std::string("avg_") + kNames[i], averages[i]});
  return t;
}

Table show_lists(const sluice_host_api* api, sdk::ResultWriter&) {
  const sluice_state_info s = read_state(api);
  Table t{{{"list", SLUICE_TYPE_TEXT}, {"items", SLUICE_TYPE_INT4}}, {}};
  const std::pair<const char*, int32_t> rows[] = {{"databases", s.databases},
                                                  {"users", s.users},
                                                  {"peers", s.peers},
                                                  {"pools", s.pools},
                                                  {"peer_pools", s.peer_pools},
                                                  {"free_clients", s.free_clients},
                                                  {"used_clients", s.used_clients},
                                                  {"login_clients", s.login_clients},
                                                  {"free_servers", s.free_servers},
                                                  {"used_servers", s.used_servers},
                                                  {"dns_names", s.dns_names},
                                                  {"dns_zones", s.dns_zones},
                                                  {"dns_queries", s.dns_queries},
                                                  {"dns_pending", s.dns_pending}};
  for (const auto& [name, items] : rows) t.rows.push_back({std::string(name), int_text(items)});
  return t;
}

Table show_mem(const sluice_host_api*, sdk::ResultWriter&) {
  // PgBouncer lists its slab allocator caches (user_cache, pool_cache, ...). sluice allocates with
  // the C++ allocator and has no slab caches, so the header comes with no rows.
  return {{{"name", SLUICE_TYPE_TEXT},
           {"size", SLUICE_TYPE_INT4},
           {"used", SLUICE_TYPE_INT4},
           {"free", SLUICE_TYPE_INT4},
           {"memtotal", SLUICE_TYPE_INT4}},
          {}};
}

Table show_dns_hosts(const sluice_host_api*, sdk::ResultWriter&) {
  // PgBouncer lists its asynchronous DNS cache. sluice resolves without a cache of its own (and the
  // host API has no list of resolved names), so there are no rows.
  return {{{"hostname", SLUICE_TYPE_TEXT}, {"ttl", SLUICE_TYPE_INT8}, {"addrs", SLUICE_TYPE_TEXT}},
          {}};
}

Table show_dns_zones(const sluice_host_api*, sdk::ResultWriter&) {
  // Zones exist only with PgBouncer's c-ares/evdns dns_zone_check_period; sluice has none.
  return {
      {{"zonename", SLUICE_TYPE_TEXT}, {"serial", SLUICE_TYPE_INT8}, {"count", SLUICE_TYPE_INT4}},
      {}};
}

Table show_peers(const sluice_host_api*, sdk::ResultWriter&) {
  // sluice has no peering ([peers]); the host API has no list of peers either.
  return {{{"peer_id", SLUICE_TYPE_INT4},
           {"host", SLUICE_TYPE_TEXT},
           {"port", SLUICE_TYPE_INT4},
           {"pool_size", SLUICE_TYPE_INT4}},
          {}};
}

Table show_peer_pools(const sluice_host_api*, sdk::ResultWriter&) {
  // PgBouncer's docs call the first column "database"; its code sends "peer_id".
  return {{{"peer_id", SLUICE_TYPE_INT4},
           {"cl_active_cancel_req", SLUICE_TYPE_INT4},
           {"cl_waiting_cancel_req", SLUICE_TYPE_INT4},
           {"sv_active_cancel", SLUICE_TYPE_INT4},
           {"sv_login", SLUICE_TYPE_INT4}},
          {}};
}

// ---- Registration
// -------------------------------------------------------------------------------

using ShowFn = Table (*)(const sluice_host_api*, sdk::ResultWriter&);

class ShowCommand final : public sdk::AdminCommand {
 public:
  ShowCommand(sdk::Host host, std::string name, ShowFn fn)
      : host_(host), name_(std::move(name)), fn_(fn) {}

  void execute(const sluice_admin_request& request, sdk::ResultWriter& out) override {
    // The console hands a word after the item (`SHOW POOLS x`) to the extension; PgBouncer's SHOWs
    // take none, so refuse it with PgBouncer's text for a command outside its grammar.
    if (request.argument) {
      const std::string message = std::string("invalid command '") +
                                  (request.command ? request.command : "") + "', use SHOW HELP;";
      out.set_error("08P01", message.c_str());
      return;
    }
    Table table;
    try {
      table = fn_(host_.raw(), out);
    } catch (const ShowError& e) {
      const std::string message = name_ + ": " + e.what();
      host_.warning(message);
      out.set_error(kInternalError, message.c_str());
      return;
    }
    table.write(out);
  }

 private:
  sdk::Host host_;
  std::string name_;
  ShowFn fn_;
};

struct Entry {
  const char* name;
  ShowFn fn;
};

constexpr Entry kCommands[] = {
    {"SHOW HELP", &show_help},
    {"SHOW VERSION", &show_version},
    {"SHOW STATE", &show_state},
    {"SHOW CONFIG", &show_config},
    {"SHOW DATABASES", &show_databases},
    {"SHOW USERS", &show_users},
    {"SHOW POOLS", &show_pools},
    {"SHOW CLIENTS", &show_clients},
    {"SHOW SERVERS", &show_servers},
    {"SHOW SOCKETS", &show_sockets},
    {"SHOW ACTIVE_SOCKETS", &show_active_sockets},
    {"SHOW STATS", &show_stats},
    {"SHOW STATS_TOTALS", &show_stats_totals},
    {"SHOW STATS_AVERAGES", &show_stats_averages},
    {"SHOW TOTALS", &show_totals},
    {"SHOW LISTS", &show_lists},
    {"SHOW MEM", &show_mem},
    {"SHOW DNS_HOSTS", &show_dns_hosts},
    {"SHOW DNS_ZONES", &show_dns_zones},
    {"SHOW PEERS", &show_peers},
    {"SHOW PEER_POOLS", &show_peer_pools},
};

void init(sdk::Registrar& r) {
  for (const Entry& e : kCommands)
    r.add_admin_command(e.name, std::make_unique<ShowCommand>(r.host(), e.name, e.fn));
}

}  // namespace
}  // namespace sluice::plugins

SLUICE_PLUGIN("admin_show", "1.0.0", ::sluice::plugins::init)
