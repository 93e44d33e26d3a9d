// Daemon start-up, control thread and shutdown.
#include "server/daemon.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <future>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "admin/state_source.hpp"
#include "config/config.hpp"
#include "config/userlist.hpp"
#include "crypto/digest.hpp"
#include "memory/thread_cache.hpp"
#include "plugin/host_api.hpp"
#include "plugin/loader.hpp"
#include "plugin/registry.hpp"
#include "pool/pool_manager.hpp"
#include "server/daemon_context.hpp"
#include "server/listener.hpp"
#include "server/logging.hpp"
#include "server/shard.hpp"
#include "server/systemd_notify.hpp"
#include "server/tcp_options.hpp"
#include "session/cancel_registry.hpp"
#include "session/client_session.hpp"
#include "session/pool_route.hpp"

namespace sluice {

namespace {

using Clock = std::chrono::steady_clock;

// auth_file, and the hba and ident files when auth_type=hba (PgBouncer reads them only then).
AuthFiles load_auth_files(const config::Config& cfg) {
  AuthFiles files;
  const std::string& path = cfg.str("auth_file");
  files.userlist = path.empty()
                       ? std::make_shared<const config::Userlist>()
                       : std::make_shared<const config::Userlist>(config::load_userlist(path));
  if (cfg.str("auth_type") == "hba") {
    if (const std::string& hba = cfg.str("auth_hba_file"); !hba.empty())
      files.hba = std::make_shared<const config::HbaFile>(config::HbaFile::load(hba));
    if (const std::string& ident = cfg.str("auth_ident_file"); !ident.empty())
      files.ident = std::make_shared<const config::IdentFile>(config::IdentFile::load(ident));
  }
  return files;
}

void daemonize() {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) ::_exit(0);
  ::setsid();
  pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) ::_exit(0);
  int devnull = ::open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    if (devnull > 2) ::close(devnull);
  }
}

void switch_user(const std::string& user) {
  struct passwd* pw = ::getpwnam(user.c_str());
  if (!pw) throw std::runtime_error("could not find user '" + user + "' to switch to");
  if (::getuid() == pw->pw_uid) return;
  if (::initgroups(pw->pw_name, pw->pw_gid) != 0 || ::setgid(pw->pw_gid) != 0 ||
      ::setuid(pw->pw_uid) != 0)
    throw std::runtime_error("could not switch to user '" + user + "'");
}

class Daemon {
 public:
  explicit Daemon(const DaemonOptions& options) : options_(options) {}
  int run();

 private:
  std::string reload();
  std::string set_setting(const std::string& key, const std::string& value);
  // After RELOAD: pools whose server and login are unchanged take the new sizes and timeouts;
  // the others are retired (see PoolManager::retire).
  void reconfigure_pools(
      const RuntimeConfig& rt);  // "" on success, else why the old configuration stays
  void start_shutdown(bool immediate);
  void start_exporters();
  void stop_exporters();
  // SHUTDOWN WAIT_FOR_SERVERS / SIGINT: stop listening, pause every pool, drop the queued clients
  // ("server shutting down"), exit once every server is released.
  void start_shutdown_wait_for_servers();
  void janitor_tick();
  void dispatch(AcceptedConnection c);
  void start_session(Shard& shard, AcceptedConnection c);

  DaemonOptions options_;
  asio::io_context control_{1};
  plugin::HostApiProvider host_;
  PoolManager pools_;
  CancelRegistry cancels_;
  std::unique_ptr<DaemonContext> ctx_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<SignalSet> signals_;
  std::unique_ptr<SteadyTimer> janitor_;
  bool shutting_down_ = false;
  bool wait_for_servers_ = false;
  std::string pidfile_;
  std::vector<const sluice_metrics_exporter_vtable*> started_exporters_;
};

int Daemon::run() {
  // Start-up: every failure here is fatal and explained.
  std::shared_ptr<const config::Config> cfg;
  try {
    cfg = std::make_shared<const config::Config>(config::load_config(options_.config_path));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FATAL %s\n", e.what());
    return 1;
  }
  LogOptions log_opts{options_.verbose + static_cast<int>(cfg->integer("verbose")), options_.quiet,
                      cfg->str("logfile")};
  try {
    setup_logging(log_opts);
    if (options_.daemonize) {
      if (cfg->str("pidfile").empty()) throw std::runtime_error("daemon mode (-d) needs pidfile");
      if (cfg->str("logfile").empty()) throw std::runtime_error("daemon mode (-d) needs logfile");
    }
    pidfile_ = cfg->str("pidfile");
    if (!pidfile_.empty()) {
      // Like PgBouncer: refuse to start over the pidfile of a running instance.
      std::ifstream existing(pidfile_);
      long pid = 0;
      if (existing >> pid && pid > 0 && pid != ::getpid() &&
          ::kill(static_cast<pid_t>(pid), 0) == 0) {
        std::string file = pidfile_;
        pidfile_.clear();  // not ours: leave it
        throw std::runtime_error("pidfile " + file + " exists and process " + std::to_string(pid) +
                                 " is running: is another instance up?");
      }
    }
    AuthFiles auth = load_auth_files(*cfg);
    crypto::warm_up_digests();
    host_.set_config_lookup([this](std::string_view key) -> std::optional<std::string> {
      auto rt = ctx_ ? ctx_->runtime() : nullptr;
      if (!rt) return std::nullopt;
      return rt->config->raw(key);
    });
    std::string plugin_dir = cfg->str("plugin_dir");
    if (plugin_dir.empty()) plugin_dir = options_.default_plugin_dir;
    auto registry = plugin::load_plugins(plugin_dir, cfg->plugin_list(), host_);
    ctx_ = std::make_unique<DaemonContext>(make_runtime(cfg, std::move(auth), registry), pools_,
                                           cancels_);

    check_supported(*ctx_->runtime());
    host_.set_state_source(admin::make_state_source(*ctx_));
    ctx_->set_setting = [this](const std::string& key, const std::string& value) {
      std::promise<std::string> done;
      auto result = done.get_future();
      asio::post(control_, [&] { done.set_value(set_setting(key, value)); });
      return result.get();
    };
    ctx_->shutdown = [this](DaemonContext::ShutdownMode mode) {
      asio::post(control_, [this, mode] {
        if (mode == DaemonContext::ShutdownMode::kWaitForServers) {
          start_shutdown_wait_for_servers();
        } else {
          start_shutdown(mode == DaemonContext::ShutdownMode::kImmediate);
        }
      });
    };
    // RELOAD from the admin console runs here, on the control thread, like SIGHUP's.
    ctx_->reload = [this]() -> std::string {
      std::promise<std::string> done;
      auto result = done.get_future();
      asio::post(control_, [this, &done] { done.set_value(reload()); });
      return result.get();
    };
    long long workers = cfg->integer("workers");
    unsigned n = workers > 0 ? static_cast<unsigned>(workers)
                             : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>(i));
    pools_.set_shards(n);
    for (auto& s : shards_) ctx_->shards.push_back(s.get());

    // Shard 0 accepts (see listener.hpp); the control thread stays out of the connect path.
    std::vector<asio::io_context*> targets;
    for (auto& s : shards_) targets.push_back(&s->io());
    listener_ =
        std::make_unique<Listener>(shards_.front()->io(), std::move(targets),
                                   [this](AcceptedConnection c) { dispatch(std::move(c)); });
    listener_->open(cfg->str("listen_addr"), static_cast<uint16_t>(cfg->integer("listen_port")),
                    cfg->str("unix_socket_dir"), static_cast<int>(cfg->integer("unix_socket_mode")),
                    static_cast<int>(cfg->integer("listen_backlog")));
    // Fork only now, so that every start-up error above reaches the shell with exit status 1.
    if (options_.daemonize) {
      control_.notify_fork(asio::execution_context::fork_prepare);
      for (auto& s : shards_) s->io().notify_fork(asio::execution_context::fork_prepare);
      daemonize();
      control_.notify_fork(asio::execution_context::fork_child);
      for (auto& s : shards_) s->io().notify_fork(asio::execution_context::fork_child);
    }
    if (!pidfile_.empty()) std::ofstream(pidfile_) << ::getpid() << "\n";
    std::string user = options_.user.empty() ? cfg->str("user") : options_.user;
    if (!user.empty()) switch_user(user);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    if (!pidfile_.empty()) ::unlink(pidfile_.c_str());
    return 1;
  }

  ::signal(SIGPIPE, SIG_IGN);
  signals_ = std::make_unique<SignalSet>(control_, SIGHUP, SIGINT, SIGTERM);
  signals_->add(SIGQUIT);
  signals_->add(SIGUSR1);
  signals_->add(SIGUSR2);
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec,
                                                                      int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      spdlog::info("got SIGHUP, re-reading config");
      systemd::notify_reloading();
      reload();
      systemd::notify_ready();
    } else if (sig == SIGUSR1) {
      // PgBouncer's PAUSE: clients queue, servers close once released.
      spdlog::info("got SIGUSR1, pausing all activity");
      pools_.set_paused("", true, control_.get_executor());
    } else if (sig == SIGUSR2) {
      spdlog::info("got SIGUSR2, resuming all activity");
      pools_.set_paused("", false, control_.get_executor());
    } else if (sig == SIGTERM) {
      spdlog::info("got SIGTERM, shutting down, waiting for clients");
      start_shutdown(shutting_down_);  // a second SIGTERM exits at once
    } else {
      if (sig == SIGINT && !wait_for_servers_) {
        // PgBouncer 1.23+: SIGINT = SHUTDOWN WAIT_FOR_SERVERS; a second one exits at once.
        spdlog::info("got SIGINT, shutting down, waiting for servers");
        start_shutdown_wait_for_servers();
      } else {
        spdlog::info("got {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGQUIT");
        start_shutdown(true);
      }
    }
    if (signals_) signals_->async_wait(on_signal);
  };
  signals_->async_wait(on_signal);

  // Only the control thread takes the daemon's signals: threads started here inherit a mask that
  // blocks them. Else two signals sent back to back (SIGUSR1 then SIGUSR2: PAUSE, RESUME) could be
  // taken by two threads at once and handled in the wrong order.
  {
    sigset_t handled, old_mask;
    sigemptyset(&handled);
    for (int sig : {SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&handled, sig);
    pthread_sigmask(SIG_BLOCK, &handled, &old_mask);
    for (auto& s : shards_) s->start();
    start_exporters();
    // Asio starts a resolver's worker thread at its first resolve, with the mask of the thread
    // that resolves: start the control loop's now (its logins, for min_pool_size and RESUME,
    // resolve server hosts there). The shards' ones inherit their threads' blocked mask.
    TcpResolver warm(control_);
    warm.async_resolve(
        "127.0.0.1", "0",
        asio::ip::resolver_base::numeric_host | asio::ip::resolver_base::numeric_service,
        [](const boost::system::error_code&, const TcpResolver::results_type&) {});
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  }
  janitor_ = std::make_unique<SteadyTimer>(control_);
  janitor_tick();
  spdlog::info("process up: sluice {}, {} worker thread(s)", SLUICE_VERSION_STRING, shards_.size());
  for (const auto& d : listener_->descriptions()) spdlog::info("listening on {}", d);
  systemd::notify_ready();  // Type=notify: listening, pidfile written, user switched

  control_.run();

  stop_exporters();  // before the shards: an exporter may be reading their state
  for (auto& s : shards_) s->stop(true);
  for (auto& s : shards_) s->join();
  // A queued client's coroutine is owned by its pool entry only: hand each to its (stopped) event
  // loop, which destroys it with the shard.
  for (auto& p : pools_.all()) p->fail_waiters("server shutting down");
  for (auto& p : pools_.retired()) p->fail_waiters("server shutting down");
  if (!pidfile_.empty()) ::unlink(pidfile_.c_str());
  spdlog::info("shutdown complete");
  return 0;
}

// On the accepting shard's thread. The socket is already registered with its target shard, which
// starts the session itself: at once when that is this thread, else through a post.
void Daemon::dispatch(AcceptedConnection c) {
  Shard& shard = *shards_[c.shard];
  if (shard.io().get_executor().running_in_this_thread()) {
    start_session(shard, std::move(c));
    return;
  }
  asio::post(shard.io(),
             [this, &shard, c = std::move(c)]() mutable { start_session(shard, std::move(c)); });
}

void Daemon::start_session(Shard& shard, AcceptedConnection c) {
  if (c.family != AF_UNIX) apply_tcp_options(c.sock.native_handle(), ctx_->runtime()->tcp);
  auto session = std::make_shared<ClientSession>(shard, *ctx_, std::move(c.sock),
                                                 ClientOrigin{c.addr, c.port, c.family == AF_UNIX});
  ClientSession::start(session);
}

std::string Daemon::reload() {
  auto old = ctx_->runtime();
  try {
    auto cfg = std::make_shared<const config::Config>(config::load_config(options_.config_path));
    AuthFiles auth = load_auth_files(*cfg);
    for (auto key : config::changed_keys(*old->config, *cfg)) {
      const auto* def = config::find_param(key);
      if (def && !def->reloadable)
        spdlog::warn("{} cannot be changed by RELOAD; restart to apply it", key);
    }
    if (cfg->plugin_list() != old->config->plugin_list() ||
        cfg->str("plugin_dir") != old->config->str("plugin_dir"))
      spdlog::warn("plugins/plugin_dir changed: restart to load a different plugin set");
    auto next = make_runtime(cfg, std::move(auth), old->plugins);
    check_supported(*next);
    // Reopen the logfile (logrotate moves it away, then sends SIGHUP, as for PgBouncer).
    reopen_logfile(LogOptions{options_.verbose + static_cast<int>(cfg->integer("verbose")),
                              options_.quiet || options_.daemonize, cfg->str("logfile")});
    ctx_->set_runtime(next);
    reconfigure_pools(*next);
    spdlog::info("configuration reloaded");
    return {};
  } catch (const std::exception& e) {
    spdlog::error("RELOAD failed, keeping the old configuration: {}", e.what());
    // Still reopen the old logfile, so that a rotation is not lost to a broken config.
    try {
      reopen_logfile(
          LogOptions{options_.verbose + static_cast<int>(old->config->integer("verbose")),
                     options_.quiet || options_.daemonize, old->config->str("logfile")});
    } catch (const std::exception& e2) {
      spdlog::error("cannot reopen logfile: {}", e2.what());
    }
    return e.what();
  }
}

std::string Daemon::set_setting(const std::string& key, const std::string& value) {
  auto old = ctx_->runtime();
  try {
    auto cfg =
        std::make_shared<const config::Config>(config::with_setting(*old->config, key, value));
    // SET keeps the files read at the last (re)load, unless it changes how auth reads them.
    AuthFiles auth{old->userlist, old->hba, old->ident};
    if (key.starts_with("auth_")) {
      AuthFiles fresh = load_auth_files(*cfg);
      auth.hba = std::move(fresh.hba);
      auth.ident = std::move(fresh.ident);
    }
    auto next = make_runtime(cfg, std::move(auth), old->plugins);
    check_supported(*next);
    ctx_->set_runtime(next);
    reconfigure_pools(*next);
    spdlog::info("SET {} = {}", key, value);
    return {};
  } catch (const config::ConfigError& e) {
    return e.message();
  } catch (const std::exception& e) {
    return e.what();
  }
}

void Daemon::reconfigure_pools(const RuntimeConfig& rt) {
  for (const auto& pool : pools_.all()) {
    const PoolSettings& current = pool->settings();
    config::DatabaseEntry entry;
    if (find_database_entry(*rt.config, current.database, &entry)) {
      PoolRoute r = route_pool(rt, entry, current.user);
      // A user auth_query found is not in auth_file: its pool keeps the secret it logs in with.
      if (r.settings.password.empty() && !r.settings.forced_user &&
          rt.userlist->find(current.user) == rt.userlist->end())
        r.settings.password = current.password;
      if (r.settings.pool_mode && same_pool_identity(current, r.settings)) {
        pool->update_limits(r.settings);
        continue;
      }
    }
    spdlog::info("{}/{}: server or login settings changed, new clients get a new pool",
                 current.database, current.user);
    pools_.retire(pool);
    pool->reconnect();
  }
}

// Metrics exporters run their own threads, so they start only after the fork (threads do not
// survive it) and the user switch. A failed exporter is logged and left out; the pooler runs on.
void Daemon::start_exporters() {
  for (const auto* vt : ctx_->runtime()->plugins->exporters()) {
    char error[512] = {};
    if (vt->start(vt->ctx, error, sizeof error) == SLUICE_OK) {
      started_exporters_.push_back(vt);
    } else {
      spdlog::error("metrics exporter failed to start: {}", error[0] ? error : "(no reason given)");
    }
  }
}

void Daemon::stop_exporters() {
  for (auto it = started_exporters_.rbegin(); it != started_exporters_.rend(); ++it)
    (*it)->stop((*it)->ctx);
  started_exporters_.clear();
}

void Daemon::start_shutdown(bool immediate) {
  if (!shutting_down_) systemd::notify_stopping();
  if (listener_) listener_->close();
  shutting_down_ = true;
  ctx_->shutting_down = true;
  if (immediate) {
    if (signals_) signals_->cancel();
    signals_.reset();
    if (janitor_) janitor_->cancel();
    control_.stop();
  }
}

void Daemon::start_shutdown_wait_for_servers() {
  wait_for_servers_ = true;
  start_shutdown(false);
  pools_.set_paused("", true, control_.get_executor());
  for (auto& p : pools_.all()) p->fail_waiters("server shutting down");
}

void Daemon::janitor_tick() {
  auto now = Clock::now();
  auto runtime = ctx_->runtime();
  const double autodb_idle = runtime->config->seconds("autodb_idle_timeout");
  for (auto& pool : pools_.retired()) pool->expire_waiters(now);
  for (auto& pool : pools_.all()) {
    pool->maintain(now, control_.get_executor());
    // Databases made from "*" are forgotten once unused for autodb_idle_timeout.
    if (pool->settings().autodb && autodb_idle > 0 && pool->unused_for(now) > autodb_idle) {
      spdlog::info("{}/{}: autodb_idle_timeout, freeing the pool", pool->settings().database,
                   pool->settings().user);
      pools_.retire(pool);
      pool->reconnect();  // closes its idle servers
    }
  }
  if (ctx_->stats.tick(now, pools_, runtime->config->seconds("stats_period"),
                       runtime->config->boolean("log_stats"))) {
    // systemd's STATUS= shows the stats line, with "μs" as PgBouncer writes it there.
    std::string status = stats_log_line(ctx_->stats.global_averages());
    for (size_t at = status.find(" us"); at != std::string::npos; at = status.find(" us", at))
      status.replace(at, 3, " \u03bcs");
    systemd::notify("STATUS=" + status);
  }
  // Client timeouts: each shard visits its own sessions on its own thread. There, too, the
  // thread's cache of freed blocks gives back what it did not use since the last tick.
  for (auto& shard : shards_) {
    asio::post(shard->io(), [runtime, sh = shard.get()] {
      JanitorTick tick{Clock::now(), runtime.get()};
      sh->sessions().for_each([&](ShardMember& m) { m.on_janitor(tick); });
      memory::trim_thread_cache();
    });
  }
  memory::trim_thread_cache();
  if (shutting_down_ &&
      (ctx_->client_count.load() == 0 || (wait_for_servers_ && pools_.drained("")))) {
    start_shutdown(true);
    return;
  }
  // PgBouncer's janitor runs three times a second.
  janitor_->expires_after(std::chrono::milliseconds(333));
  janitor_->async_wait([this](boost::system::error_code ec) {
    if (!ec) janitor_tick();
  });
}

}  // namespace

int run_daemon(const DaemonOptions& options) {
  Daemon d(options);
  return d.run();
}

}  // namespace sluice
