// Pool: idle list, FIFO wait queue and connection slots for one (database, user).
#include "pool/pool.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>

#include "admin/socket_row.hpp"
#include "pool/connection_budget.hpp"
#include "pool/server_login.hpp"
#include "pool/server_socket.hpp"
#include "server/tls_channel.hpp"

namespace sluice {

using Clock = std::chrono::steady_clock;

void Pool::complete_locked(Waiter& w) {
  // Parked: the coroutine is suspended and its handler stored (Park), so this side wakes it.
  // Otherwise Park has yet to run and, finding kCompleted, posts the handler itself.
  if (w.state_.exchange(Waiter::kCompleted, std::memory_order_acq_rel) == Waiter::kParked) {
    Waiter::Wake wake = std::move(*w.wake_);
    w.wake_.reset();
    asio::post(std::move(wake));  // `w` may be gone after
  }
}

void Pool::abandon(Waiter& w) {
  std::unique_ptr<ServerConnection> handed;
  {
    std::lock_guard lock(mu_);
    std::erase(waiters_, &w);
    handed = std::move(w.result_.server);  // delivered but never taken
  }
  w.pool_ = nullptr;
  if (handed) discard(std::move(handed));
}

Pool::Pool(PoolSettings settings, std::shared_ptr<ConnectionBudget> db_budget,
           std::shared_ptr<ConnectionBudget> user_budget, size_t shards)
    : settings_(std::move(settings)),
      db_budget_(std::move(db_budget)),
      user_budget_(std::move(user_budget)),
      stats_(shards) {
  limits_ = Limits::from(settings_);
  if (settings_.host.find(',') != std::string::npos) {
    size_t start = 0;
    for (;;) {
      size_t comma = settings_.host.find(',', start);
      std::string h = settings_.host.substr(start, comma - start);
      while (!h.empty() && h.front() == ' ') h.erase(0, 1);
      while (!h.empty() && h.back() == ' ') h.pop_back();
      if (!h.empty()) hosts_.push_back(h);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    host_down_until_.resize(hosts_.size());
  }
}

Pool::~Pool() = default;

bool Pool::try_reserve_slot_locked(bool reserve) {
  int total = active_ + login_ + static_cast<int>(idle_.size());
  int limit = limits_.pool_size + (reserve ? limits_.reserve_pool_size : 0);
  if (limits_.pool_size > 0 && total >= limit) return false;
  if (db_budget_ && !db_budget_->try_take()) return false;
  if (user_budget_ && !user_budget_->try_take()) {
    if (db_budget_) db_budget_->give_back();
    return false;
  }
  return true;
}

void Pool::free_slot_locked() {
  if (db_budget_) db_budget_->give_back();
  if (user_budget_) user_budget_->give_back();
}

std::unique_ptr<ServerConnection> Pool::take_idle_locked(const asio::io_context* io) {
  auto usable = [](const auto& c) { return !c->cancel_in_flight(); };
  std::deque<std::unique_ptr<ServerConnection>>::iterator it = idle_.end();
  if (limits_.round_robin) {
    it = std::find_if(idle_.begin(), idle_.end(), usable);
  } else {
    // The most recently released server, preferably one already registered with the caller's
    // event loop (no system call to link it); servers of other shards only when there is none.
    for (auto r = idle_.rbegin(); r != idle_.rend(); ++r) {
      if (!usable(*r)) continue;
      if (it == idle_.end()) it = std::prev(r.base());
      if (io && (*r)->socket && (*r)->socket->io == io) {
        it = std::prev(r.base());
        break;
      }
    }
  }
  if (it == idle_.end()) return nullptr;
  std::unique_ptr<ServerConnection> s = std::move(*it);
  // Usually the newest (LIFO) or the oldest (round robin): a pop, not deque's general erase.
  if (it == std::prev(idle_.end())) {
    idle_.pop_back();
  } else if (it == idle_.begin()) {
    idle_.pop_front();
  } else {
    idle_.erase(it);
  }
  idle_changed_locked();
  return s;
}

std::unique_ptr<ServerConnection> Pool::take_usable_idle_locked(const asio::io_context* io,
                                                                Clock::time_point now) {
  while (!paused_) {
    std::unique_ptr<ServerConnection> s = take_idle_locked(io);
    if (!s) break;
    if (expired(*s, now) || s->generation != generation_ || !s->idle_and_open()) {
      free_slot_locked();
      continue;  // destructor terminates it
    }
    ++active_;
    return s;
  }
  return nullptr;
}

std::unique_ptr<ServerConnection> Pool::try_acquire_idle(const asio::io_context* io,
                                                         Clock::time_point now) {
  std::lock_guard lock(mu_);
  return take_usable_idle_locked(io, now);
}

Awaitable<AcquireResult> Pool::acquire(double wait_timeout, const asio::io_context* io,
                                       const char* timeout_message) {
  Waiter w(co_await asio::this_coro::executor);
  if (enqueue(w, wait_timeout, io, timeout_message) == Step::kQueued) co_await wait(w);
  AcquireResult r = w.take();
  co_return r;
}

Awaitable<AcquireResult> Pool::wait_for_welcome(double wait_timeout, const asio::io_context* io,
                                                const char* timeout_message) {
  Waiter w(co_await asio::this_coro::executor);
  if (enqueue(w, wait_timeout, io, timeout_message, true) == Step::kQueued) co_await wait(w);
  AcquireResult r = w.take();
  co_return r;
}

Pool::Step Pool::enqueue(Waiter& w, double wait_timeout, const asio::io_context* io,
                         const char* timeout_message, bool welcome_only) {
  bool launch = false;
  {
    std::lock_guard lock(mu_);
    if (welcome_only && welcome_) return Step::kDone;  // known: no server needed
    const Clock::time_point now = Clock::now();
    if (std::unique_ptr<ServerConnection> s = take_usable_idle_locked(io, now)) {
      w.result_.server = std::move(s);
      return Step::kDone;
    }
    // server_login_retry: while logins keep failing and no server is up, fail fast with the
    // cached error rather than queueing clients behind a login that will fail again.
    if (login_failed_at_ && limits_.login_retry > 0 && active_ == 0 && login_ == 0 &&
        std::chrono::duration<double>(now - *login_failed_at_).count() < limits_.login_retry) {
      ServerError& e = *(w.result_.error = std::make_unique<ServerError>());
      e.sqlstate = login_error_.sqlstate.empty() ? "08P01" : login_error_.sqlstate;
      e.message = "server login has been failing, cached error: " + login_error_.message +
                  " (server_login_retry)";
      return Step::kDone;
    }
    launch = !paused_ && try_reserve_slot_locked();
    if (launch) ++login_;
    w.since_ = now;
    if (wait_timeout > 0) {
      w.deadline_ = w.since_ + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(wait_timeout));
    }
    w.result_.waited = true;
    w.timeout_message_ = timeout_message;
    w.welcome_only_ = welcome_only;
    w.pool_ = this;  // from here on ~Waiter leaves the queue unless the result is taken
    waiters_.push_back(&w);
  }
  if (launch) start_login(w.ex_);
  return Step::kQueued;
}

// wait()'s initiation: runs once the caller's coroutine is suspended. No lock: the handler is
// stored before the state says kParked (release), and complete_locked reads it only after seeing
// kParked (acquire); if the waiter was completed first, this side posts the handler.
struct Pool::Park {
  Waiter* w;
  void operator()(Waiter::Wake wake) const {
    w->wake_.emplace(std::move(wake));
    uint8_t expected = Waiter::kWaiting;
    if (!w->state_.compare_exchange_strong(expected, Waiter::kParked, std::memory_order_acq_rel)) {
      Waiter::Wake mine = std::move(*w->wake_);  // completed before the coroutine was suspended
      w->wake_.reset();
      asio::post(std::move(mine));
    }
  }
};

Awaitable<void> Pool::wait(Waiter& w) {
  return asio::async_initiate<const asio::use_awaitable_t<Executor>&, void()>(Park{&w},
                                                                              kUseAwaitable);
}

std::deque<Pool::Waiter*>::iterator Pool::pick_waiter_locked(const ServerConnection& server) {
  // The oldest waiter, unless one a little further back is on the shard the server's socket is
  // registered with: handing it there costs no system call, while moving the socket to another
  // shard costs three (epoll_ctl DEL and ADD, ioctl FIONBIO) plus a cross-thread wake-up. The
  // order stays FIFO within a shard; across shards a waiter is overtaken at most
  // kMaxOvertaken times, and only by one among the next kLocalityScan - 1.
  constexpr size_t kLocalityScan = 16;
  constexpr uint8_t kMaxOvertaken = 8;
  const auto front = waiters_.begin();
  const asio::io_context* io = server.socket ? server.socket->io : nullptr;
  if (!io || &(*front)->ex_.context() == io) return front;
  const size_t scan = std::min(waiters_.size(), kLocalityScan);
  for (size_t i = 0; i < scan; ++i) {
    Waiter* w = waiters_[i];
    if (&w->ex_.context() == io) {
      for (size_t j = 0; j < i; ++j) ++waiters_[j]->overtaken_;
      return waiters_.begin() + static_cast<std::ptrdiff_t>(i);
    }
    if (w->overtaken_ >= kMaxOvertaken) break;  // no more waiting for this one: FIFO
  }
  return front;
}

void Pool::deliver_locked(std::unique_ptr<ServerConnection> server, Clock::time_point now) {
  // A server with a cancel in flight waits in the idle list; the janitor hands it out later.
  if (!waiters_.empty() && !paused_ && !server->cancel_in_flight()) {
    const auto it = pick_waiter_locked(*server);
    Waiter* w = *it;
    if (it == waiters_.begin()) {
      waiters_.pop_front();  // the common case: the oldest
    } else {
      waiters_.erase(it);
    }
    ++active_;
    w->result_.server = std::move(server);
    complete_locked(*w);
    return;
  }
  server->last_used = now;
  idle_.push_back(std::move(server));
  idle_changed_locked();
}

void Pool::release(std::unique_ptr<ServerConnection> server) {
  std::lock_guard lock(mu_);
  --active_;
  if (server->generation != generation_) --retired_active_;
  const Clock::time_point now = Clock::now();
  if (server->close_needed || server->generation != generation_ || expired(*server, now)) {
    free_slot_locked();
    server.reset();
    return;
  }
  deliver_locked(std::move(server), now);
}

void Pool::discard(std::unique_ptr<ServerConnection> server) {
  const uint64_t server_generation = server->generation;
  server.reset();  // terminate outside the lock is fine too; it never blocks
  std::optional<Executor> launch_on;
  {
    std::lock_guard lock(mu_);
    --active_;
    if (server_generation != generation_) --retired_active_;
    free_slot_locked();
    // A freed slot may let a queued client get a fresh connection.
    if (!waiters_.empty() && !paused_ && try_reserve_slot_locked()) {
      ++login_;
      launch_on = waiters_.front()->ex_;
    }
  }
  if (launch_on) start_login(*launch_on);
}

int Pool::pick_host_locked(Clock::time_point now) {
  const size_t n = hosts_.size();
  size_t best = next_host_ % n;
  for (size_t k = 0; k < n; ++k) {
    size_t i = (next_host_ + k) % n;
    if (host_down_until_[i] <= now) {
      best = i;
      break;
    }
    if (host_down_until_[i] < host_down_until_[best]) best = i;  // all down: the soonest back
  }
  // round-robin moves on after every login; disable stays on a host until it fails.
  next_host_ = settings_.balance_hosts ? best + 1 : best;
  return static_cast<int>(best);
}

void Pool::set_scram_keys(const crypto::ScramKeys& keys) {
  std::lock_guard lock(mu_);
  scram_keys_ = keys;
}

void Pool::start_login(const Executor& ex) {
  int host = -1;
  if (!hosts_.empty()) {
    std::lock_guard lock(mu_);
    host = pick_host_locked(Clock::now());
  }
  asio::co_spawn(
      ex,
      [self = shared_from_this(), host, ex]() -> Awaitable<void> {
        PoolSettings s = self->settings_;
        if (host >= 0) s.host = self->hosts_[static_cast<size_t>(host)];
        {
          std::lock_guard lock(self->mu_);
          s.scram_keys = self->scram_keys_;
        }
        LoginResult r = co_await login_server(s);
        if (self->on_login_done(std::move(r), host)) self->start_login(ex);
      },
      asio::detached);
}

bool Pool::on_login_done(LoginResult r, int host) {
  std::lock_guard lock(mu_);
  --login_;
  const auto now = Clock::now();
  if (r.server) {
    login_failed_at_.reset();
    r.server->generation = generation_;
    if (host >= 0) host_down_until_[static_cast<size_t>(host)] = {};
    if (!welcome_) {
      welcome_ = r.server->params;
      complete_welcome_waiters_locked();  // before the server goes to a waiter for a server
    }
    deliver_locked(std::move(r.server), now);
    return false;
  }
  free_slot_locked();
  const ServerError& error = r.error;
  // "the database system is starting up" (57P03) is not a failing login: clients keep waiting and
  // the janitor tries again (PgBouncer does not forward 57P03 either).
  if (error.sqlstate == "57P03") return false;
  if (host >= 0 && r.connect_failed) {
    // Beyond PgBouncer: a host that refuses connections is skipped until server_login_retry has
    // passed, and the clients waiting meanwhile get a login on another host.
    auto i = static_cast<size_t>(host);
    double pause = std::max(limits_.login_retry, 1.0);
    host_down_until_[i] =
        now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(pause));
    if (!settings_.balance_hosts) next_host_ = i + 1;
    spdlog::warn("{}/{}: host {} skipped for {:g} s: {}", settings_.database, settings_.user,
                 hosts_[i], pause, error.message);
    bool other_up = false;
    for (auto t : host_down_until_) other_up = other_up || t <= now;
    if (other_up) {
      if (!waiters_.empty() && try_reserve_slot_locked()) {
        ++login_;
        return true;
      }
      return false;
    }
  }
  login_failed_at_ = now;
  login_error_ = error;
  // With no server at all, nobody will release one: fail every queued client with the server's
  // error (PgBouncer forwards the login error to the waiting clients).
  if (active_ == 0 && idle_.empty() && login_ == 0) {
    fail_waiters_locked(error);
  }
  return false;
}

void Pool::describe_idle(std::vector<SocketRow>& rows, double check_delay) const {
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  for (const auto& s : idle_) {
    SocketRow r;
    r.type = 'S';
    r.user = settings_.user;
    r.database = settings_.database;
    r.state =
        std::chrono::duration<double>(now - s->last_used).count() >= check_delay ? "used" : "idle";
    r.addr = s->address.family == AF_UNIX ? "unix" : s->address.host;
    r.port = s->address.port;
    local_address(s->native_fd(), &r.local_addr, &r.local_port);
    if (s->tls) r.tls = s->tls->describe();
    r.connect_time_us = wall_us(s->connected_at);
    r.request_time_us = wall_us(s->last_used);
    r.close_needed = s->close_needed ? 1 : 0;
    r.ptr = s->id;
    r.remote_pid = static_cast<int32_t>(s->backend_pid);
    r.prepared_statements = static_cast<int32_t>(s->statements.size());
    if (const std::string* app = find_param(s->params, "application_name"))
      r.application_name = *app;
    r.id = static_cast<int64_t>(s->id);
    rows.push_back(std::move(r));
  }
}

void Pool::pause() {
  std::lock_guard lock(mu_);
  paused_ = true;
}

void Pool::set_paused(bool paused, const Executor& ex) {
  int launches = 0;
  {
    std::lock_guard lock(mu_);
    paused_ = paused;
    if (paused) return;
    // RESUME: idle servers first (not one with a cancel in flight: deliver_locked would put it
    // back, the janitor hands it out later), then one login per queued client within the limits.
    for (auto it = idle_.begin(); it != idle_.end() && !waiters_.empty();) {
      if ((*it)->cancel_in_flight()) {
        ++it;
        continue;
      }
      std::unique_ptr<ServerConnection> s = std::move(*it);
      it = idle_.erase(it);
      idle_changed_locked();
      deliver_locked(std::move(s), Clock::now());
    }
    for (size_t i = 0; i < waiters_.size() && try_reserve_slot_locked(); ++i) {
      ++login_;
      ++launches;
    }
  }
  for (int i = 0; i < launches; ++i) start_login(ex);
}

Pool::Limits Pool::Limits::from(const PoolSettings& s) {
  Limits l;
  l.pool_size = s.pool_size;
  l.min_pool_size = s.min_pool_size;
  l.reserve_pool_size = s.reserve_pool_size;
  l.reserve_pool_timeout = s.reserve_pool_timeout;
  l.idle_timeout = s.idle_timeout;
  l.lifetime = s.lifetime;
  l.login_retry = s.login_retry;
  l.round_robin = s.round_robin;
  return l;
}

void Pool::update_limits(const PoolSettings& s) {
  std::lock_guard lock(mu_);
  limits_ = Limits::from(s);
}

int Pool::pool_size() const {
  std::lock_guard lock(mu_);
  return limits_.pool_size;
}

void Pool::reconnect() {
  std::vector<std::unique_ptr<ServerConnection>> doomed;
  {
    std::lock_guard lock(mu_);
    ++generation_;
    retired_active_ = active_;
    for (auto& s : idle_) {
      doomed.push_back(std::move(s));
      free_slot_locked();
    }
    idle_.clear();
    idle_changed_locked();
  }
}

double Pool::unused_for(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  if (unused_since_ == Clock::time_point{}) return 0;
  return std::chrono::duration<double>(now - unused_since_).count();
}

int Pool::retired_open() const {
  std::lock_guard lock(mu_);
  return retired_active_;
}

void Pool::fail_waiters(const std::string& message) {
  std::lock_guard lock(mu_);
  fail_waiters_locked({"08P01", message});
}

void Pool::complete_welcome_waiters_locked() {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    Waiter* w = *it;
    if (!w->welcome_only_) {
      ++it;
      continue;
    }
    it = waiters_.erase(it);
    complete_locked(*w);
  }
}

void Pool::fail_waiters_locked(const ServerError& error) {
  std::deque<Waiter*> failed;
  failed.swap(waiters_);
  for (Waiter* w : failed) {
    w->result_.error = std::make_unique<ServerError>(error);
    complete_locked(*w);
  }
}

void Pool::expire_waiters(Clock::time_point now) {
  std::lock_guard lock(mu_);
  expire_waiters_locked(now);
}

void Pool::expire_waiters_locked(Clock::time_point now) {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    Waiter* w = *it;
    if (w->deadline_ > now) {
      ++it;
      continue;
    }
    it = waiters_.erase(it);
    w->result_.error = std::make_unique<ServerError>(ServerError{"08P01", w->timeout_message_});
    w->result_.timed_out = true;
    complete_locked(*w);
  }
}

bool Pool::paused() const {
  std::lock_guard lock(mu_);
  return paused_;
}

bool Pool::drained() const {
  std::lock_guard lock(mu_);
  return active_ == 0 && login_ == 0 && idle_.empty();
}

const WelcomeView* Pool::welcome_view(const std::vector<std::string>& names) {
  std::lock_guard lock(mu_);
  if (!welcome_) return nullptr;
  for (const auto& v : welcome_views_)
    if (v->names == names) return v.get();
  welcome_views_.push_back(std::make_unique<WelcomeView>(make_welcome_view(*welcome_, names)));
  return welcome_views_.back().get();
}

PoolCounters Pool::counters(double check_delay) const {
  std::lock_guard lock(mu_);
  PoolCounters c;
  if (check_delay >= 0) {
    const auto now = Clock::now();
    for (const auto& s : idle_) {
      if (std::chrono::duration<double>(now - s->last_used).count() >= check_delay) ++c.used;
    }
  }
  c.active = active_;
  c.idle = static_cast<int>(idle_.size());
  c.login = login_;
  c.waiting = static_cast<int>(waiters_.size());
  if (!waiters_.empty()) {
    c.max_wait_seconds =
        std::chrono::duration<double>(Clock::now() - waiters_.front()->since_).count();
  }
  return c;
}

bool Pool::expired(const ServerConnection& s, Clock::time_point now) const {
  using std::chrono::duration;
  // server_lifetime = 0 means "use once" (PgBouncer).
  if (limits_.lifetime <= 0) return true;
  return duration<double>(now - s.connected_at).count() > limits_.lifetime;
}

void Pool::close_expired_locked(Clock::time_point now,
                                std::vector<std::unique_ptr<ServerConnection>>& doomed) {
  // stable_partition keeps the LIFO/FIFO order of the servers that stay.
  auto keep = std::stable_partition(idle_.begin(), idle_.end(), [&](const auto& s) {
    bool idle_too_long =
        limits_.idle_timeout > 0 &&
        std::chrono::duration<double>(now - s->last_used).count() > limits_.idle_timeout;
    return !(idle_too_long || expired(*s, now));
  });
  for (auto it = keep; it != idle_.end(); ++it) {
    doomed.push_back(std::move(*it));
    free_slot_locked();
  }
  idle_.erase(keep, idle_.end());
  idle_changed_locked();
}

void Pool::maintain(Clock::time_point now, const Executor& ex) {
  using std::chrono::duration;
  std::vector<std::unique_ptr<ServerConnection>> doomed;
  int launches = 0;
  bool from_reserve = false;
  {
    std::lock_guard lock(mu_);
    expire_waiters_locked(now);
    close_expired_locked(now, doomed);
    if (clients_.load(std::memory_order_relaxed) > 0 || !waiters_.empty()) {
      unused_since_ = {};
    } else if (unused_since_ == Clock::time_point{}) {
      unused_since_ = now;
    }
    if (paused_) {
      // PAUSE: servers are closed as soon as their clients give them back.
      for (auto& s : idle_) {
        doomed.push_back(std::move(s));
        free_slot_locked();
      }
      idle_.clear();
      idle_changed_locked();
    }
    // Idle servers whose cancel has finished go to clients that queued meanwhile.
    while (!waiters_.empty() && !paused_) {
      auto it = std::find_if(idle_.begin(), idle_.end(),
                             [](const auto& c) { return !c->cancel_in_flight(); });
      if (it == idle_.end()) break;
      std::unique_ptr<ServerConnection> s = std::move(*it);
      idle_.erase(it);
      idle_changed_locked();
      deliver_locked(std::move(s), now);
    }
    bool retry_wait =
        login_failed_at_ && duration<double>(now - *login_failed_at_).count() < limits_.login_retry;
    // Clients queued with no login under way (a login failed with 57P03, or a server was
    // discarded while a budget was full): start one.
    if (!waiters_.empty() && !paused_ && login_ == 0 && !retry_wait && try_reserve_slot_locked()) {
      ++login_;
      ++launches;
    }
    // reserve_pool_size: a client queued for reserve_pool_timeout gets an extra server.
    if (!waiters_.empty() && !paused_ && limits_.reserve_pool_size > 0 &&
        limits_.reserve_pool_timeout > 0 && login_ == 0 &&
        duration<double>(now - waiters_.front()->since_).count() >= limits_.reserve_pool_timeout &&
        try_reserve_slot_locked(true)) {
      ++login_;
      ++launches;
      from_reserve = true;
    }
    // min_pool_size: kept open for pools with clients (or a forced user), one login at a time,
    // and not while logins keep failing (server_login_retry).
    int total = active_ + login_ + static_cast<int>(idle_.size());
    int min = limits_.min_pool_size;
    if (limits_.pool_size > 0) min = std::min(min, limits_.pool_size);
    if (min > 0 && total < min && login_ == 0 && !retry_wait && !paused_ &&
        (clients_.load(std::memory_order_relaxed) > 0 || settings_.forced_user) &&
        try_reserve_slot_locked()) {
      ++login_;
      ++launches;
    }
  }
  for (auto& s : doomed) {
    spdlog::debug("closing idle server {} (server_idle_timeout/server_lifetime)",
                  s->address.display());
  }
  if (from_reserve)
    spdlog::info("{}/{}: taking connection from reserve_pool", settings_.database, settings_.user);
  for (int i = 0; i < launches; ++i) start_login(ex);
}

}  // namespace sluice
