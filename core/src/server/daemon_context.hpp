// Services shared by every shard: the current configuration snapshot, pools, cancel keys, counters.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/hba_file.hpp"
#include "config/userlist.hpp"
#include "server/tcp_options.hpp"
#include "session/client_counters.hpp"
#include "stats/stats_tracker.hpp"

struct sluice_auth_method_vtable;  // sdk: an auth method plugin's table
struct ssl_ctx_st;  // OpenSSL's SSL_CTX (server/tls_context.hpp), kept out of this header

namespace sluice {
namespace plugin {
class Registry;
}
class PoolManager;
class CancelRegistry;
class Shard;

// Client timeouts in seconds (0 = off), global or with a [users] line's overrides applied.
struct SessionTimeouts {
  double query_timeout = 0;             // "query_timeout": a request runs (or waits) too long
  double query_wait_timeout = 120;      // "query_wait_timeout": queued for a server too long
  double query_wait_notify = 5;         // NOTICE to a client queued this long (once per wait)
  double client_idle_timeout = 0;       // "client_idle_timeout": no server, no request
  double idle_transaction_timeout = 0;  // "idle transaction timeout": idle in a transaction
  double transaction_timeout = 0;       // "transaction timeout": a transaction lasts too long
};

// An immutable view of configuration, auth file and plugin set. Replaced as a whole on RELOAD;
// sessions take a copy of the pointer at login and keep it.
struct RuntimeConfig {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const config::Userlist> userlist;
  std::shared_ptr<const config::HbaFile> hba;      // auth_type=hba only
  std::shared_ptr<const config::IdentFile> ident;  // auth_ident_file, when set
  std::shared_ptr<const plugin::Registry> plugins;
  // Parameters kept per client and applied to whichever server it gets (PgBouncer's varcache).
  std::vector<std::string> tracked_params;

  // Values the data path reads at every link, derived once instead of looked up by name.
  SessionTimeouts timeouts;
  std::map<std::string, SessionTimeouts, std::less<>> user_timeouts;  // users with overrides
  std::string server_check_query;  // "" = no check; ";" = the empty query ("<empty>")
  double server_check_delay = 30;
  std::string server_reset_query;
  bool server_reset_query_always = false;
  int64_t max_prepared_statements = 200;  // 0: not tracked
  TcpOptions tcp;                         // tcp_keepalive & co, for client and server sockets
  // Values every login (and logout) reads, derived once instead of looked up by name.
  int64_t max_client_conn = 100;
  double client_login_timeout = 0;  // seconds, 0 = off
  int max_db_client_connections = 0;
  int max_user_client_connections = 0;
  std::string auth_type;
  // auth_type's plugin, looked up once (null for hba and cert, which pick or need none).
  const sluice_auth_method_vtable* auth_method = nullptr;
  std::vector<std::string> ignore_startup_parameters;  // split_list of the key
  bool log_connections = true;
  bool log_disconnections = true;
  bool log_pooler_errors = true;
  // The global values route_pool starts from ([databases] and [users] entries may override them).
  struct PoolDefaults {
    std::string unix_socket_dir;
    int pool_size = 0;
    int min_pool_size = 0;
    int reserve_pool_size = 0;
    double reserve_pool_timeout = 0;
    bool round_robin = false;
    double login_retry = 0;
    double connect_timeout = 0;
    double idle_timeout = 0;
    double lifetime = 0;
    uint32_t max_packet_size = 0;
    std::string pool_mode;
    int max_db_connections = 0;
    int max_user_connections = 0;
  } pool_defaults;
  // Client TLS (client_tls_*): the context TLS clients are accepted with, nullptr when
  // client_tls_sslmode is disable. Built with the snapshot, so RELOAD re-reads the files.
  std::shared_ptr<ssl_ctx_st> client_tls;
  bool client_tls_required = false;  // require, verify-ca, verify-full (TCP clients only)
  // Server TLS (server_tls_*): nullptr when server_tls_sslmode is disable.
  std::shared_ptr<ssl_ctx_st> server_tls;
  bool server_tls_required = false;     // require and above: a server answering 'N' fails
  bool server_tls_verify_host = false;  // verify-full: the certificate must name the host
  std::string server_tls_id;            // the server_tls_* values: a RELOAD that changes them
                                        // retires the pools (new connections use the new ones)

  const SessionTimeouts& timeouts_for(std::string_view user) const {
    if (user_timeouts.empty()) return timeouts;
    auto it = user_timeouts.find(user);
    return it == user_timeouts.end() ? timeouts : it->second;
  }
};

// Refuses configurations this build cannot honour rather than failing every login later (or, for
// TLS, silently serving in plain text): an auth_type or pool_mode no loaded plugin provides,
// abstract-socket server addresses. Throws
// std::runtime_error naming the key and its origin.
void check_supported(const RuntimeConfig& runtime);

// The files auth reads besides the config: auth_file, and auth_hba_file/auth_ident_file.
struct AuthFiles {
  std::shared_ptr<const config::Userlist> userlist;
  std::shared_ptr<const config::HbaFile> hba;
  std::shared_ptr<const config::IdentFile> ident;
};

// Builds a snapshot, deriving what sessions would otherwise recompute at every login.
std::shared_ptr<const RuntimeConfig> make_runtime(std::shared_ptr<const config::Config> config,
                                                  AuthFiles auth,
                                                  std::shared_ptr<const plugin::Registry> plugins);

class DaemonContext {
 public:
  DaemonContext(std::shared_ptr<const RuntimeConfig> runtime, PoolManager& pools,
                CancelRegistry& cancels)
      : runtime_(std::move(runtime)), pools_(pools), cancels_(cancels) {
    max_prepared_statements.store(runtime_->max_prepared_statements);
  }

  std::shared_ptr<const RuntimeConfig> runtime() const {
    std::lock_guard lock(mu_);
    return runtime_;
  }
  void set_runtime(std::shared_ptr<const RuntimeConfig> r) {
    std::lock_guard lock(mu_);
    max_prepared_statements.store(r->max_prepared_statements, std::memory_order_relaxed);
    runtime_ = std::move(r);
  }
  PoolManager& pools() { return pools_; }
  CancelRegistry& cancels() { return cancels_; }

  // The current snapshot's max_prepared_statements, read at every link without the lock.
  std::atomic<int64_t> max_prepared_statements{200};
  std::atomic<int> client_count{0};  // logged-in and logging-in clients (max_client_conn)
  std::atomic<uint64_t> next_id{1};  // connection ids for logs
  std::atomic<bool> shutting_down{false};
  std::atomic<bool> suspended{false};   // SUSPEND: relays stop reading until RESUME
  ClientCounters db_clients;            // per [databases] name (max_db_client_connections)
  ClientCounters user_clients;          // per login user (max_user_client_connections)
  StatsTracker stats;                   // SHOW STATS periods, driven by the janitor
  std::atomic<int> console_clients{0};  // logged in to the admin console
  std::vector<Shard*> shards;           // set once before serving (SHOW CLIENTS visits every shard)
  // RELOAD from the admin console: "" on success, else the error (the old config stays).
  std::function<std::string()> reload;
  // SET key = value from the admin console: "" on success, else the error.
  std::function<std::string(const std::string&, const std::string&)> set_setting;
  // SHUTDOWN from the admin console; runs on the control thread.
  enum class ShutdownMode { kImmediate, kWaitForClients, kWaitForServers };
  std::function<void(ShutdownMode)> shutdown;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const RuntimeConfig> runtime_;
  PoolManager& pools_;
  CancelRegistry& cancels_;
};

}  // namespace sluice
