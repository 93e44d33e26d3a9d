// Reads the pooler's state through the host API into owned copies (see host_reader.hpp).
#include "host_reader.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <type_traits>

#include "sluice/sdk.hpp"

namespace sluice::plugins::prometheus {
namespace {

std::string str(const char* s) {
  return s ? std::string(s) : std::string();
}

// Calls fn(const T&) per item; exceptions are kept and reported after list() returns, never
// thrown through the host's frames. Returns "" or what went wrong.
template <typename T, typename Fn>
std::string visit_list(const sluice_host_api* api, sluice_list_kind kind, const char* what,
                       Fn&& fn) {
  const sdk::Host host(api);
  if (!host.offers_list()) return "the host does not offer list() (sluice ABI 0.2 needed)";
  try {
    if (!host.visit<T>(kind, std::forward<Fn>(fn)))
      return std::string("the host cannot list ") + what;
  } catch (const std::exception& e) {
    return std::string("reading ") + what + ": " + e.what();
  } catch (...) {
    return std::string("reading ") + what + ": unknown error";
  }
  return {};
}

void note(std::vector<std::string>& errors, std::string e) {
  if (!e.empty()) errors.push_back(std::move(e));
}

}  // namespace

std::vector<PoolRow> read_pools(const sluice_host_api* api, std::string* error) {
  std::vector<PoolRow> rows;
  std::string e =
      visit_list<sluice_pool_info>(api, SLUICE_LIST_POOLS, "pools", [&](const sluice_pool_info& p) {
        PoolRow r;
        r.database = str(p.database);
        r.user = str(p.user);
        r.info = p;
        r.info.database = r.info.user = nullptr;
        r.info.pool_mode = nullptr;
        r.info.load_balance_hosts = nullptr;
        rows.push_back(std::move(r));
      });
  if (error) *error = std::move(e);
  return rows;
}

std::vector<DatabaseRow> read_databases(const sluice_host_api* api, std::string* error) {
  std::vector<DatabaseRow> rows;
  std::string e = visit_list<sluice_database_info>(
      api, SLUICE_LIST_DATABASES, "databases", [&](const sluice_database_info& d) {
        DatabaseRow r;
        r.name = str(d.name);
        r.host = str(d.host);
        r.unix_socket = d.host == nullptr;
        r.database = str(d.database);
        r.force_user = str(d.force_user);
        r.pool_mode = str(d.pool_mode);
        r.info = d;
        r.info.name = r.info.host = r.info.database = r.info.force_user = nullptr;
        r.info.pool_mode = r.info.load_balance_hosts = nullptr;
        rows.push_back(std::move(r));
      });
  if (error) *error = std::move(e);
  return rows;
}

std::optional<sluice_state_info> read_state(const sluice_host_api* api) {
  if (!api || api->struct_size < SLUICE_SIZE_THROUGH(sluice_host_api, state) || !api->state)
    return std::nullopt;
  sluice_state_info s{};
  s.struct_size = sizeof(s);
  api->state(api->host_ctx, &s);
  return s;
}

HostSnapshot read_host(const sluice_host_api* api) {
  HostSnapshot snap;
  std::string e;
  snap.pools = read_pools(api, &e);
  note(snap.errors, std::move(e));
  snap.databases = read_databases(api, &e);
  note(snap.errors, std::move(e));
  note(snap.errors, visit_list<sluice_stats_info>(
                        api, SLUICE_LIST_STATS, "stats", [&](const sluice_stats_info& s) {
                          snap.stats.push_back({str(s.database), s.totals});
                        }));
  note(snap.errors, visit_list<sluice_config_info>(api, SLUICE_LIST_CONFIG, "config",
                                                   [&](const sluice_config_info& c) {
                                                     snap.config[str(c.key)] = str(c.value);
                                                   }));
  // Per-shard load is ABI 0.4: an older host does not know the list kind, which is no failure.
  if (api && api->abi_minor >= 4) {
    note(snap.errors, visit_list<sluice_shard_info>(api, SLUICE_LIST_SHARDS, "shards",
                                                    [&](const sluice_shard_info& s) {
                                                      snap.shards.push_back({s.shard, s.totals});
                                                    }));
    note(snap.errors,
         visit_list<sluice_histogram_info>(
             api, SLUICE_LIST_HISTOGRAMS, "histograms", [&](const sluice_histogram_info& h) {
               HistogramRow r;
               r.database = str(h.database);
               r.kind = h.kind;
               if (h.bucket_count > 0 && h.upper_bounds_us && h.counts) {
                 r.upper_bounds_us.assign(h.upper_bounds_us, h.upper_bounds_us + h.bucket_count);
                 r.counts.assign(h.counts, h.counts + h.bucket_count);
               }
               r.sum_us = h.sum_us;
               snap.histograms.push_back(std::move(r));
             }));
  }
  // SHOW CLIENTS from this thread is ABI 0.5 (the host asks every worker and waits).
  if (api && api->abi_minor >= 5) {
    snap.clients_read = true;
    note(snap.errors, visit_list<sluice_socket_info>(
                          api, SLUICE_LIST_CLIENTS, "clients", [&](const sluice_socket_info& c) {
                            ++snap.client_connections[{str(c.database), str(c.user),
                                                       str(c.application_name), str(c.state)}];
                          }));
  }
  if (auto s = read_state(api)) {
    snap.version = str(s->version);
    s->version = nullptr;
    snap.state = *s;
  } else {
    snap.errors.emplace_back("the host does not offer state() (sluice ABI 0.2 needed)");
  }
  return snap;
}

}  // namespace sluice::plugins::prometheus
