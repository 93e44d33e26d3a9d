// One pool of server connections for a (database, user) pair, shared by all shards: a client on any
// shard can be served by a server connection released by a client on another (one logical pool).
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "pool/pool_settings.hpp"
#include "pool/pool_stats.hpp"
#include "pool/server_connection.hpp"
#include "pool/welcome_view.hpp"
#include "server/asio.hpp"

namespace sluice {

class ConnectionBudget;

struct LoginResult;
struct SocketRow;

struct AcquireResult {
  std::unique_ptr<ServerConnection> server;  // null on error
  // Why there is no server; null when there is one (errors are rare: a pointer keeps the result,
  // and the waiter that holds it in a client's coroutine frame, small).
  std::unique_ptr<ServerError> error;
  bool timed_out = false;  // the wait_timeout passed (error: enqueue's timeout_message)
  bool waited = false;     // the caller was queued (no idle server at once)
  // The error, moved out (empty fields when none was set).
  ServerError take_error() { return error ? std::move(*error) : ServerError{}; }
};

struct PoolCounters {
  int active = 0;  // linked to a client
  int idle = 0;
  int used = 0;     // of idle: unused for at least the check delay given to counters()
  int login = 0;    // being established
  int waiting = 0;  // clients queued for a server
  double max_wait_seconds = 0;
};

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  Pool(PoolSettings settings, std::shared_ptr<ConnectionBudget> db_budget,
       std::shared_ptr<ConnectionBudget> user_budget, size_t shards = 1);
  ~Pool();

  // The pool's identity and how it logs in: fixed for its life. The limits below (sizes,
  // timeouts) are copied from it at creation and may change on RELOAD (update_limits).
  const PoolSettings& settings() const { return settings_; }
  void update_limits(const PoolSettings& s);
  int pool_size() const;  // current (after RELOAD)

  // Takes an idle server, opens a new one within the limits, or queues the caller (FIFO) for at
  // most `wait_timeout` seconds (0 = forever; checked by the janitor, three times a second, as in
  // PgBouncer). Runs on the caller's executor. An idle server whose socket is registered with `io`
  // (the caller's shard) is preferred. (enqueue + wait in a coroutine of its own.)
  // `timeout_message`: the error text when wait_timeout passes (a string literal).
  Awaitable<AcquireResult> acquire(double wait_timeout, const asio::io_context* io = nullptr,
                                   const char* timeout_message = "query_wait_timeout");
  // A login's wait for the pool's welcome (its first server's ParameterStatus values): returns
  // with neither a server nor an error once the welcome is known (at once if it is), every such
  // waiter together when the first server login succeeds, even while the pool is saturated or
  // paused (earlier than PgBouncer, which lets its wait-for-welcome clients in only while it has
  // an idle server, and not during PAUSE); with the error of a failed login, or
  // `timeout_message` after `wait_timeout` seconds. Queued like acquire (cl_waiting, a login
  // started within the limits).
  Awaitable<AcquireResult> wait_for_welcome(double wait_timeout, const asio::io_context* io,
                                            const char* timeout_message);

  class Waiter;
  enum class Step : uint8_t { kDone, kQueued };
  // acquire's steps for a caller that keeps the Waiter in its own coroutine frame (the relay's
  // link: one frame and no allocation fewer per queued transaction). enqueue, no coroutine:
  // kDone with w's result set (an idle server, or an error at once), or kQueued (a login may
  // have been started for it). After kQueued, `co_await wait(w)` once: it returns when w's
  // result is set. Then w.take() hands the result over.
  // `timeout_message`: the error text when wait_timeout passes (a string literal).
  // `welcome_only`: wait_for_welcome's waiter (kDone with no result once the welcome is known).
  Step enqueue(Waiter& w, double wait_timeout, const asio::io_context* io,
               const char* timeout_message = "query_wait_timeout", bool welcome_only = false);
  Awaitable<void> wait(Waiter& w);  // not a coroutine: the awaitable of one async_initiate
  // acquire's first step alone, with no coroutine: an idle server (counted active) or null.
  // `now`: the caller's recent clock reading (expiry is checked against it; one clock read less).
  std::unique_ptr<ServerConnection> try_acquire_idle(const asio::io_context* io,
                                                     std::chrono::steady_clock::time_point now);
  // Whether the pool had idle servers when last looked at, without its lock: false means a
  // caller may skip try_acquire_idle (its lock and search) and go straight to enqueue, which
  // looks again under the lock. A stale answer costs a detour, never a wrong result.
  bool maybe_idle() const { return idle_hint_.load(std::memory_order_relaxed) > 0; }

  // Gives a server back (idle list or the first waiter). Thread-safe.
  void release(std::unique_ptr<ServerConnection> server);
  // Closes a server that must not be reused and frees its slot. Thread-safe.
  void discard(std::unique_ptr<ServerConnection> server);

  // The pool's welcome (the ParameterStatus values of its first server login, set once and never
  // changed) as a login sends it, for the tracked list `names` (pool/welcome_view.hpp); null
  // until the welcome is known. Built at the first call for a list (compared by value: a RELOAD
  // may change track_extra_parameters) and kept as long as the pool, like the welcome.
  const WelcomeView* welcome_view(const std::vector<std::string>& names);

  PoolCounters counters(double check_delay = -1) const;
  // Janitor pass (three times a second): closes idle servers past server_idle_timeout or
  // server_lifetime, opens reserve servers for clients queued reserve_pool_timeout or more, and
  // keeps min_pool_size servers open. New logins run on `ex`. Thread-safe.
  void maintain(std::chrono::steady_clock::time_point now, const Executor& ex);

  // Logged-in clients of this pool (min_pool_size applies only to pools with clients).
  void add_client() { clients_.fetch_add(1, std::memory_order_relaxed); }
  void remove_client() { clients_.fetch_sub(1, std::memory_order_relaxed); }
  int clients() const { return clients_.load(std::memory_order_relaxed); }
  // SHOW SERVERS: rows for the idle servers ("idle", or "used" once idle for check_delay).
  void describe_idle(std::vector<SocketRow>& rows, double check_delay) const;
  // PAUSE: clients queue, servers are handed to nobody and closed once idle; RESUME serves the
  // queue again (logins started for it at once). Thread-safe.
  void set_paused(bool paused, const Executor& ex);
  void pause();  // set_paused(true, ...): needs no executor (it starts no login)
  bool paused() const;
  // SCRAM pass-through: keys from a client's SCRAM login against the verifier this pool's servers
  // log in with; used by logins from now on.
  void set_scram_keys(const crypto::ScramKeys& keys);
  // RECONNECT: servers logged in before now are closed when idle or given back.
  void reconnect();
  // WAIT_CLOSE: servers from before the last RECONNECT that are still open.
  int retired_open() const;
  // autodb_idle_timeout: seconds since the pool last had a client (0 while it has one).
  double unused_for(std::chrono::steady_clock::time_point now) const;
  // KILL, shutdown: every queued client gets `message` as its error at once. At shutdown, after
  // the shards' threads have stopped, this hands each queued client's suspended coroutine to its
  // event loop, which destroys it with the loop (nothing else owns it while it waits).
  void fail_waiters(const std::string& message);
  // query_wait_timeout / query_timeout of queued clients (maintain() does this too; a pool
  // retired by RELOAD gets only this). Thread-safe.
  void expire_waiters(std::chrono::steady_clock::time_point now);
  // True once a paused pool has no server at all (linked, logging in or idle).
  bool drained() const;
  PoolStats& stats() { return stats_; }
  const PoolStats& stats() const { return stats_; }

 private:
  struct Park;  // wait()'s initiation
  // A slot for a new server within pool_size (+ reserve_pool_size when `reserve`) and budgets.
  bool try_reserve_slot_locked(bool reserve = false);
  // The idle server acquire hands out (see there), removed from idle_; null when none is usable.
  std::unique_ptr<ServerConnection> take_idle_locked(const asio::io_context* io);
  // take_idle_locked until a server is usable (not expired, current, open), closing the others;
  // counts it active. Null when paused or none is left.
  std::unique_ptr<ServerConnection> take_usable_idle_locked(
      const asio::io_context* io, std::chrono::steady_clock::time_point now);
  void close_expired_locked(std::chrono::steady_clock::time_point now,
                            std::vector<std::unique_ptr<ServerConnection>>& doomed);
  void free_slot_locked();
  // Gives `server` to a queued client (pick_waiter_locked) or puts it in the idle list.
  // `now` becomes an idled server's last_used.
  void deliver_locked(std::unique_ptr<ServerConnection> server,
                      std::chrono::steady_clock::time_point now);
  // Which queued client gets `server` (waiters_ is not empty).
  std::deque<Waiter*>::iterator pick_waiter_locked(const ServerConnection& server);
  // Takes a queued client's waiter out of the queue with its result set: wakes it (posts its
  // coroutine to its own executor) if it is parked already, else wait()'s initiation finds it
  // completed and posts it itself.
  static void complete_locked(Waiter& w);
  // ~Waiter of a waiter whose result was not taken: out of the queue, and a server handed to it
  // but never taken is discarded.
  void abandon(Waiter& w);
  void expire_waiters_locked(std::chrono::steady_clock::time_point now);
  // The welcome is now known: wait_for_welcome's waiters leave the queue with no result.
  void complete_welcome_waiters_locked();
  // Every queued client gets `error` (fail_waiters, a login failing with no server up).
  void fail_waiters_locked(const ServerError& error);
  // Starts one server login (the caller has counted it in login_). Never under mu_.
  void start_login(const Executor& ex);
  // Returns true when another login should start at once (multi-host: the next host).
  bool on_login_done(LoginResult r, int host);
  // Multi-host: the host for the next login; hosts that refused recently are skipped.
  int pick_host_locked(std::chrono::steady_clock::time_point now);
  bool expired(const ServerConnection& s, std::chrono::steady_clock::time_point now) const;

  PoolSettings settings_;
  struct Limits {
    int pool_size = 0, min_pool_size = 0, reserve_pool_size = 0;
    double reserve_pool_timeout = 0, idle_timeout = 0, lifetime = 0, login_retry = 0;
    bool round_robin = false;
    static Limits from(const PoolSettings& s);
  };
  Limits limits_;  // guarded by mu_
  std::shared_ptr<ConnectionBudget> db_budget_;
  std::shared_ptr<ConnectionBudget> user_budget_;
  mutable std::mutex mu_;
  // Back is the most recently released: taken from the back (LIFO) or front (round robin).
  std::deque<std::unique_ptr<ServerConnection>> idle_;
  std::atomic<int> idle_hint_{0};  // idle_.size() after its last change (maybe_idle)
  void idle_changed_locked() {
    idle_hint_.store(static_cast<int>(idle_.size()), std::memory_order_relaxed);
  }
  // Queued clients, oldest first. A Waiter lives in its client's coroutine frame; it leaves this
  // queue (under mu_) before it is woken, or when that frame is destroyed.
  std::deque<Waiter*> waiters_;
  int active_ = 0;
  int login_ = 0;
  std::optional<ParamList> welcome_;
  std::vector<std::unique_ptr<WelcomeView>> welcome_views_;  // one per tracked list seen
  std::atomic<int> clients_{0};
  bool paused_ = false;
  std::chrono::steady_clock::time_point unused_since_{};  // no client since; {} = has clients
  uint64_t generation_ = 0;
  std::optional<crypto::ScramKeys> scram_keys_;
  int retired_active_ = 0;  // linked servers of an older generation
  PoolStats stats_;
  // server_login_retry: the last failed login, until a login succeeds.
  std::optional<std::chrono::steady_clock::time_point> login_failed_at_;
  ServerError login_error_;
  // Multi-host databases (host=a,b): the hosts, when each may be tried again, and the cursor.
  std::vector<std::string> hosts_;
  std::vector<std::chrono::steady_clock::time_point> host_down_until_;
  size_t next_host_ = 0;
};

// A client's place in a pool's wait queue (Pool::enqueue, Pool::wait), in the client's coroutine
// frame. Completed, under the pool's mutex, by whoever hands it a server or an error
// (deliver_locked, expire_waiters, fail_waiters, a failed login): it leaves the queue, gets its
// result and is woken by one post of its coroutine (no timer). The result is ordered before the
// resumption by that post, or, when the waiter is completed before its coroutine has parked, by
// the atomic state the parking side then finds (it posts the handler itself). A Waiter destroyed
// while queued, or completed but not taken (its frame destroyed with its event loop at
// shutdown), leaves the queue and gives back the server handed to it.
class Pool::Waiter {
 public:
  explicit Waiter(const Executor& e) : ex_(e) {}
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  ~Waiter() {
    if (pool_) pool_->abandon(*this);
  }
  // Whether the result (once enqueue said kDone or wait returned) is a server, not an error.
  bool has_server() const { return result_.server != nullptr; }
  // The result, once enqueue said kDone or wait returned; the waiter is then done with the pool.
  AcquireResult take() {
    pool_ = nullptr;
    return std::move(result_);
  }

 private:
  friend class Pool;
  // The coroutine's completion handler while it is suspended in wait().
  using Wake = asio::async_result<asio::use_awaitable_t<Executor>, void()>::handler_type;
  Executor ex_;           // logins started for it run here
  Pool* pool_ = nullptr;  // set while queued and until its result is taken
  std::chrono::steady_clock::time_point since_;
  std::chrono::steady_clock::time_point deadline_ =
      std::chrono::steady_clock::time_point::max();  // query_wait_timeout (janitor)
  // kWaiting until completed (kCompleted) or suspended with its handler stored (kParked),
  // whichever comes first; then kCompleted.
  static constexpr uint8_t kWaiting = 0, kParked = 1, kCompleted = 2;
  std::atomic<uint8_t> state_{kWaiting};
  uint8_t overtaken_ = 0;      // times a later waiter got a server first (pick_waiter_locked)
  bool welcome_only_ = false;  // wait_for_welcome: done once the pool's welcome is known
  const char* timeout_message_ = "query_wait_timeout";
  AcquireResult result_;
  std::optional<Wake> wake_;  // once the coroutine is suspended
};

}  // namespace sluice
