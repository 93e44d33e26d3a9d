// Target: the flags and the daemon's configuration turned into an endpoint and a login.
#include "cli/target.hpp"

#include <cstdlib>

namespace sluice::cli {

namespace {

// The daemon's address as a local client reaches it: listen_addr's first entry (a wildcard means
// this host), else the Unix socket in unix_socket_dir when only that is configured.
std::string default_host(const config::Config& c) {
  const std::vector<std::string> addrs = config::split_list(c.str("listen_addr"));
  if (!addrs.empty()) {
    const std::string& a = addrs.front();
    if (a == "*" || a == "0.0.0.0") return "127.0.0.1";
    if (a == "::") return "::1";
    return a;
  }
  const std::string& dir = c.str("unix_socket_dir");
  return dir.empty() ? "127.0.0.1" : dir;
}

}  // namespace

Target::Target(const TargetFlags& flags) : timeout_(flags.timeout) {
  restart_deadline();
  if (!flags.config_path.empty()) config_ = config::load_config(flags.config_path);
  if (config_) {
    endpoint_.host = default_host(*config_);
    endpoint_.port = static_cast<uint16_t>(config_->integer("listen_port"));
    const std::string& auth_file = config_->str("auth_file");
    if (!auth_file.empty()) {
      try {
        userlist_ = config::load_userlist(auth_file);
      } catch (const config::ConfigError&) {
        // Not readable by this user (or missing): passwords then come from PGPASSWORD only.
      }
    }
  }
  if (!flags.host.empty()) endpoint_.host = flags.host;
  if (flags.port > 0) endpoint_.port = static_cast<uint16_t>(flags.port);
  user_ = flags.user;
  if (user_.empty() && config_) {
    // PgBouncer's console takes admin_users (and stats_users for SHOW): use the first one.
    for (const char* key : {"admin_users", "stats_users"}) {
      const auto users = config::split_list(config_->str(key));
      if (!users.empty()) {
        user_ = users.front();
        break;
      }
    }
  }
  if (user_.empty()) user_ = "pgbouncer";
}

void Target::restart_deadline() {
  deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(timeout_ > 0 ? timeout_ : 1e6));
}

std::string Target::password_for(const std::string& user) const {
  if (user == user_) {
    if (const char* pw = std::getenv("PGPASSWORD"); pw && *pw) return pw;
  }
  auto it = userlist_.find(user);
  if (it == userlist_.end() || it->second.starts_with("SCRAM-SHA-256$")) return {};
  return it->second;
}

LoginParams Target::login(const std::string& database, const std::string& user) const {
  LoginParams p;
  p.endpoint = endpoint_;
  p.user = user.empty() ? user_ : user;
  p.database = database;
  p.password = password_for(p.user);
  return p;
}

}  // namespace sluice::cli
