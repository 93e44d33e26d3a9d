// Which pooler the sub-commands talk to, and as whom: from the flags (-h, -p, -U, --timeout) and
// the configuration file the daemon runs with (listen_addr, listen_port, unix_socket_dir,
// admin_users, auth_file, pidfile; SLUICE_*/PGBOUNCER_* environment overrides apply as for the
// daemon).
#pragma once

#include <optional>
#include <string>

#include "cli/console_client.hpp"
#include "config/config.hpp"
#include "config/userlist.hpp"

namespace sluice::cli {

// The flags shared by every sub-command.
struct TargetFlags {
  std::string config_path;  // optional positional
  std::string host;         // -h: host name/address, or a Unix socket directory
  int port = 0;             // -p
  std::string user;         // -U
  double timeout = 5;       // --timeout, seconds, for each whole command
};

class Target {
 public:
  // Throws config::ConfigError for an unreadable config (the auth_file is optional).
  explicit Target(const TargetFlags& flags);

  const Endpoint& endpoint() const { return endpoint_; }
  const std::string& user() const { return user_; }
  const config::Config* config() const { return config_ ? &*config_ : nullptr; }
  Clock::time_point deadline() const { return deadline_; }
  void restart_deadline();

  // PGPASSWORD for the -U user, else the auth_file secret of `user` (not a SCRAM secret), else "".
  std::string password_for(const std::string& user) const;
  // A login to `database` as `user` (default: the console user) at the endpoint.
  LoginParams login(const std::string& database, const std::string& user = {}) const;

 private:
  Endpoint endpoint_;
  std::string user_;
  double timeout_;
  Clock::time_point deadline_;
  std::optional<config::Config> config_;
  config::Userlist userlist_;
};

}  // namespace sluice::cli
