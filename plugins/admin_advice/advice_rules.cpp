// The pool-tuning rules of SHOW ADVICE; see advice_rules.hpp.
#include "advice_rules.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace sluice::advice {

namespace {

constexpr const char* kAdminDatabase = "pgbouncer";  // the console's virtual database

std::string num(int64_t v) {
  return std::to_string(v);
}

std::string seconds_text(int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", static_cast<double>(us) / 1e6);
  return buf;
}

const DatabaseSample* find_db(const Input& in, const std::string& name) {
  for (const auto& d : in.databases)
    if (d.name == name) return &d;
  return nullptr;
}

// Which setting limits a pool's servers, and its value: the database's max_db_connections when
// that budget is used up, else its pool size (default_pool_size unless [databases] sets one).
struct Limit {
  std::string setting;
  int64_t value;
};

Limit pool_limit(const Input& in, const std::string& database) {
  const DatabaseSample* d = find_db(in, database);
  const int64_t pool_size = d && d->pool_size > 0 ? d->pool_size : in.settings.default_pool_size;
  if (d && d->max_connections > 0 && d->current_connections >= d->max_connections &&
      d->max_connections < pool_size)
    return {"max_db_connections", d->max_connections};
  return {pool_size == in.settings.default_pool_size ? "default_pool_size" : "pool_size",
          pool_size};
}

void pool_rules(const Input& in, const PoolSample& p, std::vector<Advice>& out) {
  const Limit limit = pool_limit(in, p.database);
  // Raise by at least as many servers as clients wait (and by one when only maxwait says so).
  const int64_t raised = limit.value + std::max<int64_t>(p.cl_waiting, 1);
  if (p.cl_waiting > 0) {
    out.push_back({p.database, p.user, "warning", limit.setting, num(limit.value), num(raised),
                   num(p.cl_waiting) + " client(s) waiting for a server (cl_waiting > 0) with " +
                       num(p.sv_active) + " server(s) active and " + limit.setting + " " +
                       num(limit.value)});
  }
  if (p.maxwait_us > kMaxwaitWarnUs) {
    out.push_back({p.database, p.user, "warning", limit.setting, num(limit.value), num(raised),
                   "the oldest waiting client has waited " + seconds_text(p.maxwait_us) +
                       " (maxwait > 5 s): the pool is too small for the load"});
  }
  // Shrink only a pool nobody waits on, and only when it would actually get smaller.
  const int64_t pool_size = limit.value;
  if (p.cl_waiting == 0 && (p.sv_idle > kIdleServersMany || p.sv_idle * 2 > pool_size)) {
    const int64_t smaller = std::max<int64_t>(1, pool_size - p.sv_idle / 2);
    if (smaller < pool_size) {
      out.push_back({p.database, p.user, "info", limit.setting, num(pool_size), num(smaller),
                     num(p.sv_idle) + " of " + num(pool_size) +
                         " server(s) idle (sv_idle > 15 or above half the pool): the pool is "
                         "larger than the load needs"});
    }
  }
}

void reserve_rule(const DatabaseSample& d, std::vector<Advice>& out) {
  const int64_t p = d.pool_size;
  if (p <= 0) return;
  // Aim for 30-50 % of the pool; integer bounds floor(0.3 p) .. ceil(0.5 p).
  const int64_t low = p * 3 / 10;
  const int64_t high = (p + 1) / 2;
  const int64_t r = d.reserve_pool_size;
  if (r >= low && r <= high) return;
  const int64_t suggested = r < low ? (p * 3 + 9) / 10 : p / 2;
  out.push_back({d.name, "", "info", "reserve_pool_size", num(r), num(suggested),
                 "reserve_pool_size is " + num(r * 100 / p) + " % of pool_size " + num(p) +
                     "; 30-50 % lets bursts through without holding servers open"});
}

void client_conn_rule(const Input& in, std::vector<Advice>& out) {
  int64_t clients = 0;
  for (const auto& p : in.pools) clients += p.cl_active + p.cl_waiting;
  const int64_t max = in.settings.max_client_conn;
  if (max <= 0 || clients * 100 < kClientConnNearPercent * max) return;
  const int64_t suggested = std::max<int64_t>(max * 2, (clients * 3 + 1) / 2);
  out.push_back({"", "", "warning", "max_client_conn", num(max), num(suggested),
                 num(clients) + " client connection(s) in use, at least 80 % of max_client_conn " +
                     num(max) + "; size it as services x connections per service + overhead"});
}

void server_connections_rule(const Input& in, std::vector<Advice>& out) {
  // Servers the pooler may open, summed over databases (all taken to share one PostgreSQL):
  // max_db_connections where set, else (pool_size + reserve_pool_size) per pool of the database.
  std::map<std::string, int64_t> pools_per_db;
  for (const auto& p : in.pools) ++pools_per_db[p.database];
  int64_t total = 0;
  int64_t databases = 0;
  for (const auto& d : in.databases) {
    if (d.name == kAdminDatabase) continue;
    ++databases;
    const int64_t pools = std::max<int64_t>(1, pools_per_db[d.name]);
    total +=
        d.max_connections > 0 ? d.max_connections : (d.pool_size + d.reserve_pool_size) * pools;
  }
  if (databases == 0) return;
  const std::string current = num(in.settings.max_db_connections);
  if (!in.server_max_connections) {
    out.push_back({"", "", "info", "max_db_connections", current, "",
                   "the pools may open " + num(total) +
                       " server connection(s); PostgreSQL's max_connections is not known here "
                       "(run SHOW ADVICE <max_connections>, or sluice advise, to compare)"});
    return;
  }
  const int64_t usable = *in.server_max_connections - kServerReservedConnections;
  if (total <= usable) return;
  const int64_t per_db = std::max<int64_t>(1, usable / databases);
  out.push_back({"", "", "warning", "max_db_connections", current, num(per_db),
                 "the pools may open " + num(total) +
                     " server connection(s) but PostgreSQL's max_connections " +
                     num(*in.server_max_connections) + " leaves " + num(usable) + " (minus " +
                     num(kServerReservedConnections) + " superuser_reserved_connections)"});
}

}  // namespace

std::vector<Advice> advise(const Input& in) {
  std::vector<Advice> out;
  for (const auto& p : in.pools) {
    if (p.database == kAdminDatabase) continue;
    pool_rules(in, p, out);
  }
  for (const auto& d : in.databases) {
    if (d.name == kAdminDatabase) continue;
    reserve_rule(d, out);
  }
  client_conn_rule(in, out);
  server_connections_rule(in, out);
  return out;
}

}  // namespace sluice::advice
