// The daemon's StateSource: SLUICE_LIST_* snapshots in PgBouncer's order.
#include "admin/state_source.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "config/param_table.hpp"
#include "pool/pool_manager.hpp"
#include "server/daemon_context.hpp"
#include "server/shard.hpp"

namespace sluice::admin {

namespace {

thread_local const SocketSnapshot* t_sockets = nullptr;

const char* nullable(const std::string& s) {
  return s.empty() ? nullptr : s.c_str();
}

sluice_status list_pools(DaemonContext& ctx, sluice_visit_fn visit, void* vctx) {
  auto pools = ctx.pools().all();  // ordered by (database, user)
  const auto rt = ctx.runtime();
  // The admin console's own pool comes first in name order only if it sorts first; PgBouncer
  // lists pools by (database, user), so merge it in.
  bool admin_done = false;
  auto admin_row = [&] {
    sluice_pool_info p{};
    p.struct_size = sizeof p;
    p.database = "pgbouncer";
    p.user = "pgbouncer";
    p.pool_mode = "statement";
    p.cl_active = ctx.console_clients.load();
    visit(vctx, &p);
    admin_done = true;
  };
  for (const auto& pool : pools) {
    const PoolSettings& s = pool->settings();
    if (!admin_done && s.database > "pgbouncer") admin_row();
    PoolCounters c = pool->counters(rt->server_check_delay);
    std::string balance;
    if (s.host.find(',') != std::string::npos)
      balance = s.balance_hosts ? "round-robin" : "disable";
    sluice_pool_info p{};
    p.struct_size = sizeof p;
    p.database = s.database.c_str();
    p.user = s.user.c_str();
    p.pool_mode = s.pool_mode_name.c_str();
    p.load_balance_hosts = nullable(balance);
    p.cl_waiting = c.waiting;
    p.cl_active = std::max(0, pool->clients() - c.waiting);
    p.sv_active = c.active;
    p.sv_idle = c.idle - c.used;
    p.sv_used = c.used;
    p.sv_login = c.login;
    p.maxwait_us = static_cast<int64_t>(c.max_wait_seconds * 1e6);
    visit(vctx, &p);
  }
  if (!admin_done) admin_row();
  return SLUICE_OK;
}

sluice_status list_databases(DaemonContext& ctx, sluice_visit_fn visit, void* vctx) {
  const auto rt = ctx.runtime();
  const config::Config& cfg = *rt->config;
  const int default_pool = static_cast<int>(cfg.integer("default_pool_size"));
  const int min_pool = static_cast<int>(cfg.integer("min_pool_size"));
  const int reserve = static_cast<int>(cfg.integer("reserve_pool_size"));
  const int lifetime = static_cast<int>(cfg.seconds("server_lifetime"));
  const int max_db = static_cast<int>(cfg.integer("max_db_connections"));
  const int max_db_clients = static_cast<int>(cfg.integer("max_db_client_connections"));
  // Configured databases, plus those the "*" entry created, plus the console.
  std::map<std::string, config::DatabaseEntry> dbs;
  for (const auto& [name, e] : cfg.databases()) {
    if (name != "*") dbs.emplace(name, e);
  }
  if (auto star = cfg.databases().find("*"); star != cfg.databases().end()) {
    for (const auto& p : ctx.pools().all()) {
      const std::string& name = p->settings().database;
      if (dbs.count(name)) continue;
      config::DatabaseEntry e = star->second;
      e.name = name;
      if (e.dbname.empty()) e.dbname = name;
      dbs.emplace(name, e);
    }
  }
  config::DatabaseEntry console;
  console.name = "pgbouncer";
  dbs.emplace("pgbouncer", console);
  for (const auto& [name, e] : dbs) {
    sluice_database_info d{};
    d.struct_size = sizeof d;
    d.name = name.c_str();
    std::string balance;
    if (name == "pgbouncer") {
      d.host = nullptr;
      d.port = static_cast<int32_t>(cfg.integer("listen_port"));
      d.database = "pgbouncer";
      d.force_user = "pgbouncer";
      d.pool_size = 2;
      d.server_lifetime = lifetime;
      d.pool_mode = "statement";
      d.current_client_connections = ctx.console_clients.load();
      visit(vctx, &d);
      continue;
    }
    d.host = e.host.empty() || e.host.front() == '/' ? nullptr : e.host.c_str();
    d.port = e.port;
    d.database = e.dbname.empty() ? name.c_str() : e.dbname.c_str();
    d.force_user = nullable(e.user);
    d.pool_size = e.pool_size >= 0 ? e.pool_size : default_pool;  // as RELOAD applied it
    d.min_pool_size = e.min_pool_size >= 0 ? e.min_pool_size : min_pool;
    d.reserve_pool_size = e.reserve_pool_size >= 0 ? e.reserve_pool_size : reserve;
    d.server_lifetime = e.server_lifetime >= 0 ? e.server_lifetime : lifetime;
    d.pool_mode = nullable(e.pool_mode);
    if (e.host.find(',') != std::string::npos)
      balance = e.load_balance_hosts.empty() ? "round-robin" : e.load_balance_hosts;
    d.load_balance_hosts = nullable(balance);
    d.max_connections = e.max_db_connections >= 0 ? e.max_db_connections : max_db;
    d.current_connections = ctx.pools().db_connections(name);
    d.max_client_connections =
        e.max_db_client_connections >= 0 ? e.max_db_client_connections : max_db_clients;
    d.current_client_connections = ctx.db_clients.count(name);
    d.paused = ctx.pools().paused(name) ? 1 : 0;
    d.disabled = ctx.pools().disabled(name) ? 1 : 0;
    visit(vctx, &d);
  }
  return SLUICE_OK;
}

sluice_status list_users(DaemonContext& ctx, sluice_visit_fn visit, void* vctx) {
  const auto rt = ctx.runtime();
  const config::Config& cfg = *rt->config;
  const int max_user = static_cast<int>(cfg.integer("max_user_connections"));
  const int max_user_clients = static_cast<int>(cfg.integer("max_user_client_connections"));
  std::set<std::string> names;
  for (const auto& [name, secret] : *rt->userlist) names.insert(name);
  for (const auto& [name, u] : cfg.users()) names.insert(name);
  for (const auto& name : names) {
    const config::UserEntry* u = nullptr;
    if (auto it = cfg.users().find(name); it != cfg.users().end()) u = &it->second;
    sluice_user_info i{};
    i.struct_size = sizeof i;
    i.name = name.c_str();
    i.pool_size = u ? u->pool_size : -1;
    i.reserve_pool_size = u ? u->reserve_pool_size : -1;
    i.pool_mode = u ? nullable(u->pool_mode) : nullptr;
    i.max_user_connections = u && u->max_user_connections >= 0 ? u->max_user_connections : max_user;
    i.current_connections = ctx.pools().user_connections(name);
    i.max_user_client_connections = u && u->max_user_client_connections >= 0
                                        ? u->max_user_client_connections
                                        : max_user_clients;
    i.current_client_connections = ctx.user_clients.count(name);
    visit(vctx, &i);
  }
  return SLUICE_OK;
}

sluice_status list_stats(DaemonContext& ctx, sluice_visit_fn visit, void* vctx) {
  auto rows = ctx.stats.snapshot(ctx.pools());
  if (std::none_of(rows.begin(), rows.end(),
                   [](const auto& r) { return r.database == "pgbouncer"; })) {
    DatabaseStats admin;
    admin.database = "pgbouncer";
    rows.push_back(admin);
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.database < b.database; });
  }
  for (const auto& r : rows) {
    sluice_stats_info s{};
    s.struct_size = sizeof s;
    s.database = r.database.c_str();
    s.totals = r.totals;
    s.averages = r.averages;
    visit(vctx, &s);
  }
  return SLUICE_OK;
}

sluice_status list_config(DaemonContext& ctx, sluice_visit_fn visit, void* vctx) {
  const auto rt = ctx.runtime();
  const config::Config& cfg = *rt->config;
  std::vector<const config::ParamDef*> defs;
  for (const auto& def : config::param_table()) defs.push_back(&def);
  std::sort(defs.begin(), defs.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const auto* def : defs) {
    std::string key(def->name);
    std::optional<std::string> value = cfg.raw(key);
    std::string dflt(def->default_value);
    sluice_config_info c{};
    c.struct_size = sizeof c;
    c.key = key.c_str();
    c.value = value ? value->c_str() : nullptr;
    c.default_value = def->has_null_default ? nullptr : dflt.c_str();
    c.changeable = def->reloadable ? 1 : 0;
    visit(vctx, &c);
  }
  return SLUICE_OK;
}

// Per-shard load (ABI 0.3): each pool keeps one block of counters per shard; add up block i of
// every pool for shard i. Relaxed loads only, as SHOW STATS.
sluice_status list_shards(DaemonContext& ctx, sluice_visit_fn visit, void* vctx) {
  const size_t n = ctx.shards.size();
  std::vector<sluice_stats_counters> sums(n);
  for (const auto& pool : ctx.pools().all()) {
    for (size_t i = 0; i < n; ++i) {
      const sluice_stats_counters c = pool->stats().shard_sum(i);
      sluice_stats_counters& t = sums[i];
      t.server_assignment_count += c.server_assignment_count;
      t.xact_count += c.xact_count;
      t.query_count += c.query_count;
      t.bytes_received += c.bytes_received;
      t.bytes_sent += c.bytes_sent;
      t.xact_time_us += c.xact_time_us;
      t.query_time_us += c.query_time_us;
      t.wait_time_us += c.wait_time_us;
      t.client_parse_count += c.client_parse_count;
      t.server_parse_count += c.server_parse_count;
      t.bind_count += c.bind_count;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    sluice_shard_info s{};
    s.struct_size = sizeof s;
    s.shard = static_cast<int32_t>(i);
    s.totals = sums[i];
    visit(vctx, &s);
  }
  return SLUICE_OK;
}

// Latency histograms (ABI 0.3) per database: each pool's buckets summed over its shards, then
// over the database's pools; the sums are the matching SHOW STATS time totals.
sluice_status list_histograms(DaemonContext& ctx, sluice_visit_fn visit, void* vctx) {
  static constexpr std::array<int64_t, kHistBuckets> kBounds = [] {
    std::array<int64_t, kHistBuckets> b{};
    for (size_t i = 0; i < kHistBoundsUs.size(); ++i) b[i] = kHistBoundsUs[i];
    b[kHistBuckets - 1] = INT64_MAX;
    return b;
  }();
  struct Kind {
    Hist hist;
    sluice_histogram_kind abi;
    int64_t sluice_stats_counters::*sum;
  };
  static constexpr Kind kKinds[] = {
      {Hist::kClientWait, SLUICE_HISTOGRAM_CLIENT_WAIT, &sluice_stats_counters::wait_time_us},
      {Hist::kQuery, SLUICE_HISTOGRAM_QUERY, &sluice_stats_counters::query_time_us},
      {Hist::kXact, SLUICE_HISTOGRAM_TRANSACTION, &sluice_stats_counters::xact_time_us}};
  struct Sums {
    std::array<std::array<int64_t, kHistBuckets>, std::size(kKinds)> counts{};
    sluice_stats_counters totals{};
  };
  std::map<std::string, Sums> dbs;  // ordered by database
  for (const auto& pool : ctx.pools().all()) {
    Sums& d = dbs[pool->settings().database];
    for (size_t k = 0; k < std::size(kKinds); ++k) {
      const auto h = pool->stats().histogram(kKinds[k].hist);
      for (size_t b = 0; b < kHistBuckets; ++b) d.counts[k][b] += h[b];
    }
    const sluice_stats_counters t = pool->stats().sum();
    for (const auto& kind : kKinds) d.totals.*kind.sum += t.*kind.sum;
  }
  for (const auto& [name, d] : dbs) {
    for (size_t k = 0; k < std::size(kKinds); ++k) {
      sluice_histogram_info h{};
      h.struct_size = sizeof h;
      h.database = name.c_str();
      h.kind = kKinds[k].abi;
      h.bucket_count = static_cast<uint32_t>(kHistBuckets);
      h.upper_bounds_us = kBounds.data();
      h.counts = d.counts[k].data();
      h.sum_us = d.totals.*kKinds[k].sum;
      visit(vctx, &h);
    }
  }
  return SLUICE_OK;
}

sluice_status list_sockets(const std::vector<SocketRow>* rows, sluice_visit_fn visit, void* vctx) {
  if (!rows) return SLUICE_ERROR;  // only inside an admin command that collected them
  for (const auto& r : *rows) {
    sluice_socket_info info = r.info();
    visit(vctx, &info);
  }
  return SLUICE_OK;
}

// CLIENTS/SERVERS asked from a thread that is no worker (an exporter's, ABI 0.5): every shard
// describes its sessions on its own thread, as SHOW CLIENTS does from the console's coroutine, and
// this thread waits, at most 2 s (a stopped shard never answers). nullopt on a worker thread (it
// would wait for itself) or on timeout.
std::optional<SocketSnapshot> snapshot_from_outside(DaemonContext& ctx) {
  for (Shard* sh : ctx.shards)
    if (sh->io().get_executor().running_in_this_thread()) return std::nullopt;
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    size_t done = 0;
    std::vector<SocketSnapshot> parts;  // per shard, so the rows keep the shard order
  };
  auto st = std::make_shared<Shared>();
  st->parts.resize(ctx.shards.size());
  for (size_t i = 0; i < ctx.shards.size(); ++i) {
    Shard* sh = ctx.shards[i];
    asio::post(sh->io(), [st, sh, i] {
      SocketSnapshot part;
      sh->sessions().for_each([&](ShardMember& m) { m.describe(part.clients, part.servers); });
      std::lock_guard lock(st->mu);
      st->parts[i] = std::move(part);
      ++st->done;
      st->cv.notify_all();
    });
  }
  SocketSnapshot out;
  {
    std::unique_lock lock(st->mu);
    if (!st->cv.wait_for(lock, std::chrono::seconds(2),
                         [&] { return st->done == st->parts.size(); }))
      return std::nullopt;
    for (auto& part : st->parts) {
      for (auto& r : part.clients) out.clients.push_back(std::move(r));
      for (auto& r : part.servers) out.servers.push_back(std::move(r));
    }
  }
  const double check_delay = ctx.runtime()->server_check_delay;
  for (const auto& p : ctx.pools().all()) p->describe_idle(out.servers, check_delay);
  return out;
}

sluice_status list_sockets_anywhere(DaemonContext& ctx, bool clients, sluice_visit_fn visit,
                                    void* vctx) {
  if (t_sockets)
    return list_sockets(clients ? &t_sockets->clients : &t_sockets->servers, visit, vctx);
  const auto snap = snapshot_from_outside(ctx);
  if (!snap) return SLUICE_ERROR;
  return list_sockets(clients ? &snap->clients : &snap->servers, visit, vctx);
}

}  // namespace

SocketSnapshot::Scope::Scope(const SocketSnapshot* s) : previous_(t_sockets) {
  t_sockets = s;
}
SocketSnapshot::Scope::~Scope() {
  t_sockets = previous_;
}
const SocketSnapshot* SocketSnapshot::current() {
  return t_sockets;
}

plugin::HostApiProvider::StateSource make_state_source(DaemonContext& ctx) {
  plugin::HostApiProvider::StateSource src;
  src.list = [&ctx](sluice_list_kind kind, sluice_visit_fn visit, void* vctx) -> sluice_status {
    switch (kind) {
      case SLUICE_LIST_POOLS:
        return list_pools(ctx, visit, vctx);
      case SLUICE_LIST_DATABASES:
        return list_databases(ctx, visit, vctx);
      case SLUICE_LIST_USERS:
        return list_users(ctx, visit, vctx);
      case SLUICE_LIST_STATS:
        return list_stats(ctx, visit, vctx);
      case SLUICE_LIST_CONFIG:
        return list_config(ctx, visit, vctx);
      case SLUICE_LIST_SHARDS:
        return list_shards(ctx, visit, vctx);
      case SLUICE_LIST_HISTOGRAMS:
        return list_histograms(ctx, visit, vctx);
      case SLUICE_LIST_CLIENTS:
        return list_sockets_anywhere(ctx, true, visit, vctx);
      case SLUICE_LIST_SERVERS:
        return list_sockets_anywhere(ctx, false, visit, vctx);
      default:
        return SLUICE_ERROR;
    }
  };
  src.state = [&ctx](sluice_state_info* out) {
    static const std::string kVersion =
        "PgBouncer " + kCompatibleVersion + " (sluice " SLUICE_VERSION_STRING ")";
    const uint32_t size = out->struct_size;
    sluice_state_info s{};
    s.struct_size = size;
    s.version = kVersion.c_str();
    s.shutting_down = ctx.shutting_down.load() ? 1 : 0;
    s.paused = ctx.pools().paused("") ? 1 : 0;
    s.suspended = ctx.suspended.load() ? 1 : 0;
    const auto rt = ctx.runtime();
    s.databases = static_cast<int32_t>(rt->config->databases().size()) + 1;  // + "pgbouncer"
    std::set<std::string> users;
    for (const auto& [n, secret] : *rt->userlist) users.insert(n);
    for (const auto& [n, u] : rt->config->users()) users.insert(n);
    s.users = static_cast<int32_t>(users.size());
    s.peers = static_cast<int32_t>(rt->config->peers().size());
    auto pools = ctx.pools().all();
    s.pools = static_cast<int32_t>(pools.size()) + 1;
    s.used_clients = ctx.client_count.load();
    for (const auto& p : pools) {
      PoolCounters c = p->counters();
      s.used_servers += c.active + c.idle + c.login;
    }
    std::memcpy(out, &s, std::min<size_t>(size, sizeof s));
  };
  return src;
}

}  // namespace sluice::admin
