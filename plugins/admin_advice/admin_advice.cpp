// admin_advice: the admin command SHOW ADVICE [<max_connections>]. Reads the pooler's pools,
// databases and settings through the host API (list() and config_get(), as admin_show does),
// runs the rules of advice_rules.cpp and answers one row per recommendation. PostgreSQL's
// max_connections cannot be read from here (the console talks to no server), so it is the
// optional argument; `sluice advise` asks the server and passes it.
//
// Columns: database, user, severity, setting, current, suggested, reason (all text; "" for
// "not about one database/user" and for "no suggestion"). docs/admin-console.md documents them.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "advice_rules.hpp"
#include "sluice/sdk.hpp"

namespace sluice::plugins {
namespace {

class AdviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename T, typename Fn>
void visit_list(const sluice_host_api* api, sluice_list_kind kind, const char* what, Fn&& fn) {
  const sdk::Host host(api);
  if (!host.offers_list())
    throw AdviceError("the host does not offer list() (sluice ABI 0.2 needed)");
  if (!host.visit<T>(kind, std::forward<Fn>(fn)))
    throw AdviceError(std::string("the host cannot list ") + what);
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

int64_t config_int(const sdk::Host& host, const char* key, int64_t fallback) {
  const std::optional<std::string> v = host.config(key);
  if (!v) return fallback;
  return parse_int(*v).value_or(fallback);
}

advice::Input read_input(const sdk::Host& host) {
  advice::Input in;
  in.settings.default_pool_size = config_int(host, "default_pool_size", 20);
  in.settings.reserve_pool_size = config_int(host, "reserve_pool_size", 0);
  in.settings.max_client_conn = config_int(host, "max_client_conn", 100);
  in.settings.max_db_connections = config_int(host, "max_db_connections", 0);
  visit_list<sluice_pool_info>(host.raw(), SLUICE_LIST_POOLS, "pools", [&](const auto& p) {
    advice::PoolSample s;
    s.database = p.database ? p.database : "";
    s.user = p.user ? p.user : "";
    s.cl_active = p.cl_active;
    s.cl_waiting = p.cl_waiting;
    s.sv_active = p.sv_active;
    s.sv_idle = p.sv_idle;
    s.sv_used = p.sv_used;
    s.sv_login = p.sv_login;
    s.maxwait_us = p.maxwait_us;
    in.pools.push_back(std::move(s));
  });
  visit_list<sluice_database_info>(host.raw(), SLUICE_LIST_DATABASES, "databases",
                                   [&](const auto& d) {
                                     advice::DatabaseSample s;
                                     s.name = d.name ? d.name : "";
                                     s.pool_size = d.pool_size;
                                     s.reserve_pool_size = d.reserve_pool_size;
                                     s.max_connections = d.max_connections;
                                     s.current_connections = d.current_connections;
                                     in.databases.push_back(std::move(s));
                                   });
  return in;
}

class ShowAdvice final : public sdk::AdminCommand {
 public:
  explicit ShowAdvice(sdk::Host host) : host_(host) {}

  void execute(const sluice_admin_request& request, sdk::ResultWriter& out) override {
    std::vector<advice::Advice> rows;
    try {
      advice::Input in = read_input(host_);
      if (request.argument) {
        const auto n = parse_int(request.argument);
        if (!n || *n <= 0) {
          out.set_error("08P01",
                        "SHOW ADVICE: the argument is PostgreSQL's max_connections, a "
                        "positive integer");
          return;
        }
        in.server_max_connections = *n;
      }
      rows = advice::advise(in);
    } catch (const AdviceError& e) {
      const std::string message = std::string("SHOW ADVICE: ") + e.what();
      host_.warning(message);
      out.set_error("XX000", message.c_str());
      return;
    }
    for (const char* c :
         {"database", "user", "severity", "setting", "current", "suggested", "reason"})
      out.add_column(c, SLUICE_TYPE_TEXT);
    for (const auto& a : rows) {
      const std::optional<std::string> values[] = {a.database, a.user,      a.severity, a.setting,
                                                   a.current,  a.suggested, a.reason};
      out.add_row(values);
    }
    out.set_command_tag("SHOW");
  }

 private:
  sdk::Host host_;
};

void init(sdk::Registrar& r) {
  r.add_admin_command("SHOW ADVICE", std::make_unique<ShowAdvice>(r.host()));
}

}  // namespace
}  // namespace sluice::plugins

SLUICE_PLUGIN("admin_advice", "1.0.0", ::sluice::plugins::init)
