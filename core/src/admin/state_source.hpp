// What the host API's list() and state() answer (ABI 0.2): snapshots of pools, databases, users,
// statistics and configuration built from the daemon's shared state, and the client/server rows
// the admin console collected from every shard for the command it is running.
#pragma once

#include <string>
#include <vector>

#include "admin/socket_row.hpp"
#include "plugin/host_api.hpp"

namespace sluice {
class DaemonContext;

namespace admin {

// The PgBouncer version whose console sluice reproduces (server_version "1.25.2/bouncer").
inline const std::string kCompatibleVersion = "1.25.2";

// Client and server rows for SHOW CLIENTS/SERVERS/SOCKETS. A Scope makes a snapshot visible to
// list() on the current thread while an admin command runs.
struct SocketSnapshot {
  std::vector<SocketRow> clients, servers;
  class Scope {
   public:
    explicit Scope(const SocketSnapshot* s);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    const SocketSnapshot* previous_;
  };
  static const SocketSnapshot* current();
};

plugin::HostApiProvider::StateSource make_state_source(DaemonContext& ctx);

}  // namespace admin
}  // namespace sluice
