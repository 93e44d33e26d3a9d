// Renders /metrics (see metrics_text.hpp). Names, types, labels and unit conversions follow
// pgbouncer_exporter 0.12.1's collector.go as the reference file lists them, so existing
// dashboards and alert rules work unchanged.
#include "metrics_text.hpp"

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exposition.hpp"

namespace sluice::plugins::prometheus {
namespace {

// Division (not * 1e-6) gives the correctly rounded decimal: 462050 us -> 0.46205, not
// 0.46204999999999996.
constexpr double kUsecPerSecond = 1e6;

struct PoolGauge {
  const char* name;
  const char* help;
  int32_t sluice_pool_info::*field;
};

// pgbouncer_pools_*: SHOW POOLS columns, labels database,user.
constexpr PoolGauge kPoolGauges[] = {
    {"pgbouncer_pools_client_active_connections",
     "Client connections that are linked to server connection and can process queries",
     &sluice_pool_info::cl_active},
    {"pgbouncer_pools_client_active_cancel_connections",
     "Client connections that have forwarded query cancellations to the server and are waiting for "
     "the server response.",
     &sluice_pool_info::cl_active_cancel_req},
    {"pgbouncer_pools_client_waiting_connections",
     "Client connections that have sent queries but have not yet got a server connection",
     &sluice_pool_info::cl_waiting},
    {"pgbouncer_pools_client_waiting_cancel_connections",
     "Client connections that have not forwarded query cancellations to the server yet.",
     &sluice_pool_info::cl_waiting_cancel_req},
    {"pgbouncer_pools_server_active_connections", "Server connections that are linked to a client",
     &sluice_pool_info::sv_active},
    {"pgbouncer_pools_server_active_cancel_connections",
     "Server connections that are currently forwarding a cancel request",
     &sluice_pool_info::sv_active_cancel},
    {"pgbouncer_pools_server_being_canceled_connections",
     "Servers that normally could become idle, but are waiting to do so until all in-flight cancel "
     "requests have completed that were sent to cancel a query on this server.",
     &sluice_pool_info::sv_being_canceled},
    {"pgbouncer_pools_server_idle_connections",
     "Server connections that are unused and immediately usable for client queries",
     &sluice_pool_info::sv_idle},
    {"pgbouncer_pools_server_used_connections",
     "Server connections that have been idle for more than server_check_delay, so they need "
     "server_check_query to run on them before they can be used again",
     &sluice_pool_info::sv_used},
    {"pgbouncer_pools_server_testing_connections",
     "Server connections that are currently running either server_reset_query or "
     "server_check_query",
     &sluice_pool_info::sv_tested},
    {"pgbouncer_pools_server_login_connections",
     "Server connections currently in the process of logging in", &sluice_pool_info::sv_login},
};

struct DatabaseGauge {
  const char* name;
  const char* help;
  int32_t sluice_database_info::*field;
};

// pgbouncer_databases_*: SHOW DATABASES columns.
constexpr DatabaseGauge kDatabaseGauges[] = {
    {"pgbouncer_databases_pool_size", "Maximum number of server connections",
     &sluice_database_info::pool_size},
    {"pgbouncer_databases_reserve_pool",
     "Maximum number of additional connections for this database",
     &sluice_database_info::reserve_pool_size},
    {"pgbouncer_databases_max_connections",
     "Maximum number of allowed connections for this database",
     &sluice_database_info::max_connections},
    {"pgbouncer_databases_current_connections", "Current number of connections for this database",
     &sluice_database_info::current_connections},
    {"pgbouncer_databases_paused", "1 if this database is currently paused, else 0",
     &sluice_database_info::paused},
    {"pgbouncer_databases_disabled", "1 if this database is currently disabled, else 0",
     &sluice_database_info::disabled},
};

struct StatsCounter {
  const char* name;
  const char* help;
  int64_t sluice_stats_counters::*field;
  bool usec;  // microseconds, exported as seconds
};

// pgbouncer_stats_totals_*: SHOW STATS_TOTALS columns. The exporter's queries_total (column
// `requests`) is absent from every PgBouncer >= 1.8, so it is not exported here either.
constexpr StatsCounter kStatsCounters[] = {
    {"pgbouncer_stats_totals_queries_pooled_total", "Total number of SQL queries pooled",
     &sluice_stats_counters::query_count, false},
    {"pgbouncer_stats_totals_queries_duration_seconds_total",
     "Total number of seconds spent by pgbouncer when actively connected to PostgreSQL, executing "
     "queries",
     &sluice_stats_counters::query_time_us, true},
    {"pgbouncer_stats_totals_received_bytes_total",
     "Total volume in bytes of network traffic received by pgbouncer",
     &sluice_stats_counters::bytes_received, false},
    {"pgbouncer_stats_totals_sent_bytes_total",
     "Total volume in bytes of network traffic sent by pgbouncer",
     &sluice_stats_counters::bytes_sent, false},
    {"pgbouncer_stats_totals_client_wait_seconds_total",
     "Time spent by clients waiting for a server in seconds", &sluice_stats_counters::wait_time_us,
     true},
    {"pgbouncer_stats_totals_sql_transactions_pooled_total",
     "Total number of SQL transactions pooled", &sluice_stats_counters::xact_count, false},
    {"pgbouncer_stats_totals_server_in_transaction_seconds_total",
     "Total number of seconds spent by pgbouncer when connected to PostgreSQL in a transaction, "
     "either idle in transaction or executing queries",
     &sluice_stats_counters::xact_time_us, true},
    {"pgbouncer_stats_totals_client_parses_total",
     "Total number of prepared statements created by clients",
     &sluice_stats_counters::client_parse_count, false},
    {"pgbouncer_stats_totals_server_parses_total",
     "Total number of prepared statements created on a server.",
     &sluice_stats_counters::server_parse_count, false},
    {"pgbouncer_stats_totals_binds_total",
     "Total number of prepared statements readied for execution by clients and forwarded to "
     "postgres",
     &sluice_stats_counters::bind_count, false},
    {"pgbouncer_stats_totals_server_assignments_total",
     "Total number of times a server was assigned to a client",
     &sluice_stats_counters::server_assignment_count, false},
};

// sluice_shard_*: the same counters per worker thread (ABI 0.4), to see how evenly the shards
// share the load.
constexpr StatsCounter kShardCounters[] = {
    {"sluice_shard_queries_total", "SQL queries pooled by the sessions of this worker thread",
     &sluice_stats_counters::query_count, false},
    {"sluice_shard_transactions_total",
     "SQL transactions pooled by the sessions of this worker thread",
     &sluice_stats_counters::xact_count, false},
    {"sluice_shard_query_duration_seconds_total",
     "Seconds the sessions of this worker thread spent executing queries on servers",
     &sluice_stats_counters::query_time_us, true},
    {"sluice_shard_client_wait_seconds_total",
     "Seconds clients of this worker thread waited for a server",
     &sluice_stats_counters::wait_time_us, true},
    {"sluice_shard_server_assignments_total",
     "Times a server was assigned to a client of this worker thread",
     &sluice_stats_counters::server_assignment_count, false},
    {"sluice_shard_received_bytes_total", "Bytes received from clients of this worker thread",
     &sluice_stats_counters::bytes_received, false},
    {"sluice_shard_sent_bytes_total", "Bytes sent to clients of this worker thread",
     &sluice_stats_counters::bytes_sent, false},
};

struct ListGauge {
  const char* name;
  const char* help;
  int32_t sluice_state_info::*field;
};

// pgbouncer_* from SHOW LISTS.
constexpr ListGauge kListGauges[] = {
    {"pgbouncer_databases", "Count of databases", &sluice_state_info::databases},
    {"pgbouncer_users", "Count of users", &sluice_state_info::users},
    {"pgbouncer_pools", "Count of pools", &sluice_state_info::pools},
    {"pgbouncer_free_clients", "Count of free clients", &sluice_state_info::free_clients},
    {"pgbouncer_used_clients", "Count of used clients", &sluice_state_info::used_clients},
    {"pgbouncer_login_clients", "Count of clients in login state",
     &sluice_state_info::login_clients},
    {"pgbouncer_free_servers", "Count of free servers", &sluice_state_info::free_servers},
    {"pgbouncer_used_servers", "Count of used servers", &sluice_state_info::used_servers},
    {"pgbouncer_cached_dns_names", "Count of DNS names in the cache",
     &sluice_state_info::dns_names},
    {"pgbouncer_cached_dns_zones", "Count of DNS zones in the cache",
     &sluice_state_info::dns_zones},
    {"pgbouncer_in_flight_dns_queries", "Count of in-flight DNS queries",
     &sluice_state_info::dns_queries},
};

struct HistogramFamily {
  sluice_histogram_kind kind;
  const char* name;
  const char* help;
};

// sluice_*_seconds histograms (ABI 0.4), label database.
constexpr HistogramFamily kHistogramFamilies[] = {
    {SLUICE_HISTOGRAM_CLIENT_WAIT, "sluice_client_wait_seconds",
     "Time clients waited for a server connection"},
    {SLUICE_HISTOGRAM_QUERY, "sluice_query_duration_seconds",
     "Time queries spent on a server (SHOW STATS query_time per query)"},
    {SLUICE_HISTOGRAM_TRANSACTION, "sluice_transaction_duration_seconds",
     "Time transactions spent on a server (SHOW STATS xact_time per transaction)"},
};

// One histogram as Prometheus wants it: cumulative _bucket{le} series ending with le="+Inf",
// then _sum and _count.
void write_histogram(Exposition& out, const std::string& name, const HistogramRow& h) {
  int64_t cumulative = 0;
  bool inf_written = false;
  for (size_t b = 0; b < h.counts.size() && b < h.upper_bounds_us.size(); ++b) {
    cumulative += h.counts[b];
    const bool inf = h.upper_bounds_us[b] == INT64_MAX;
    const std::string le =
        inf ? "+Inf" : format_value(static_cast<double>(h.upper_bounds_us[b]) / kUsecPerSecond);
    out.sample(name + "_bucket", {{"database", h.database}, {"le", le}}, cumulative);
    inf_written = inf_written || inf;
  }
  if (!inf_written)
    out.sample(name + "_bucket", {{"database", h.database}, {"le", "+Inf"}}, cumulative);
  out.sample(name + "_sum", {{"database", h.database}},
             static_cast<double>(h.sum_us) / kUsecPerSecond);
  out.sample(name + "_count", {{"database", h.database}}, cumulative);
}

Labels pool_labels(const PoolRow& p) {
  return {{"database", p.database}, {"user", p.user}};
}

Labels database_labels(const DatabaseRow& d) {
  return {{"name", d.name},
          {"host", d.host},
          {"port", std::to_string(d.info.port)},
          {"database", d.database},
          {"force_user", d.force_user},
          {"pool_mode", d.pool_mode}};
}

// A SHOW CONFIG value as a number; nullopt when absent or not numeric.
std::optional<double> config_number(const HostSnapshot& snap, const std::string& key) {
  auto it = snap.config.find(key);
  if (it == snap.config.end() || it->second.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str() || *end != '\0') return std::nullopt;
  return v;
}

}  // namespace

std::string render_metrics(const HostSnapshot& snap, const ProcessStats& process) {
  Exposition out;
  out.single("pgbouncer_up", "gauge", "The pgbouncer scrape succeeded",
             snap.errors.empty() ? 1.0 : 0.0);
  if (!snap.version.empty()) {
    out.family("pgbouncer_version_info", "gauge", "The pgbouncer version info");
    out.sample("pgbouncer_version_info", {{"version", snap.version}}, int64_t{1});
  }

  if (snap.state) {
    for (const auto& g : kListGauges)
      out.single(g.name, "gauge", g.help, static_cast<double>((*snap.state).*(g.field)));
  }

  if (auto v = config_number(snap, "max_client_conn"))
    out.single("pgbouncer_config_max_client_connections", "gauge",
               "Config maximum number of client connections", *v);
  if (auto v = config_number(snap, "max_user_connections"))
    out.single("pgbouncer_config_max_user_connections", "gauge",
               "Config maximum number of server connections per user", *v);
  // Not in pgbouncer_exporter: the global default, for "sv_idle > default_pool_size * 0.5".
  if (auto v = config_number(snap, "default_pool_size"))
    out.single("sluice_config_default_pool_size", "gauge",
               "Config default_pool_size: server connections per user/database pair", *v);

  // pgbouncer_exporter 0.12: SHOW CLIENTS rows grouped by these four columns.
  if (snap.clients_read) {
    out.family("pgbouncer_client_connections", "gauge",
               "Client connections by database, user, application_name and state");
    for (const auto& [key, n] : snap.client_connections)
      out.sample(
          "pgbouncer_client_connections",
          {{"database", key[0]}, {"user", key[1]}, {"application_name", key[2]}, {"state", key[3]}},
          n);
  }

  if (!snap.databases.empty()) {
    for (const auto& g : kDatabaseGauges) {
      out.family(g.name, "gauge", g.help);
      for (const auto& d : snap.databases)
        out.sample(g.name, database_labels(d), int64_t{d.info.*(g.field)});
    }
  }

  if (!snap.stats.empty()) {
    for (const auto& c : kStatsCounters) {
      out.family(c.name, "counter", c.help);
      for (const auto& s : snap.stats) {
        const int64_t raw = s.totals.*(c.field);
        const Labels labels = {{"database", s.database}};
        if (c.usec) {
          out.sample(c.name, labels, static_cast<double>(raw) / kUsecPerSecond);
        } else {
          out.sample(c.name, labels, raw);
        }
      }
    }
  }

  for (const auto& f : kHistogramFamilies) {
    bool started = false;
    for (const auto& h : snap.histograms) {
      if (h.kind != f.kind) continue;
      if (!started) out.family(f.name, "histogram", f.help);
      started = true;
      write_histogram(out, f.name, h);
    }
  }

  if (!snap.shards.empty()) {
    for (const auto& c : kShardCounters) {
      out.family(c.name, "counter", c.help);
      for (const auto& s : snap.shards) {
        const int64_t raw = s.totals.*(c.field);
        const Labels labels = {{"shard", std::to_string(s.shard)}};
        if (c.usec) {
          out.sample(c.name, labels, static_cast<double>(raw) / kUsecPerSecond);
        } else {
          out.sample(c.name, labels, raw);
        }
      }
    }
  }

  if (!snap.pools.empty()) {
    for (const auto& g : kPoolGauges) {
      out.family(g.name, "gauge", g.help);
      for (const auto& p : snap.pools)
        out.sample(g.name, pool_labels(p), int64_t{p.info.*(g.field)});
    }
    // The exporter reads SHOW POOLS `maxwait` only: whole seconds, so sub-second waits read 0.
    out.family(
        "pgbouncer_pools_client_maxwait_seconds", "gauge",
        "Age of oldest unserved client connection, in whole seconds (as pgbouncer_exporter)");
    for (const auto& p : snap.pools)
      out.sample("pgbouncer_pools_client_maxwait_seconds", pool_labels(p),
                 int64_t{p.info.maxwait_us / 1000000});
    out.family("sluice_pools_client_maxwait_seconds", "gauge",
               "Age of oldest unserved client connection in seconds, microsecond precision "
               "(maxwait + maxwait_us)");
    for (const auto& p : snap.pools)
      out.sample("sluice_pools_client_maxwait_seconds", pool_labels(p),
                 static_cast<double>(p.info.maxwait_us) / kUsecPerSecond);
  }

  write_process_stats(process, out);
  return out.text();
}

}  // namespace sluice::plugins::prometheus
