// The relay: forwards bytes client <-> server in big chunks, parsing only message headers, plus
// the few bodies it must see (ReadyForQuery, ParameterStatus, Terminate). Asks the pool-mode plugin
// at each ReadyForQuery whether the client keeps its server.
#include <spdlog/spdlog.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>

#include "pool/server_login.hpp"
#include "pool/server_query.hpp"
#include "pool/server_socket.hpp"
#include "protocol/backend_messages.hpp"
#include "protocol/message_parsers.hpp"
#include "server/message_io.hpp"
#include "server/nonblocking_io.hpp"
#include "server/shard.hpp"
#include "server/spawn_now.hpp"
#include "server/tls_channel.hpp"
#include "session/cancel_registry.hpp"
#include "session/client_session.hpp"

namespace sluice {

namespace {
using Clock = std::chrono::steady_clock;

std::string quote_literal(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

bool resets_statements(std::string_view sql) {
  std::string upper(sql);
  for (char& c : upper) c = static_cast<char>(::toupper(static_cast<unsigned char>(c)));
  return upper.find("DISCARD ALL") != std::string::npos ||
         upper.find("DEALLOCATE ALL") != std::string::npos;
}

int64_t micros(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

std::span<const uint8_t> span_of(const std::byte* p, size_t n) {
  return {reinterpret_cast<const uint8_t*>(p), n};
}
}  // namespace

ClientSession::ClientSession(Shard& shard, DaemonContext& ctx, Socket socket, ClientOrigin origin)
    : shard_(shard),
      ctx_(ctx),
      client_(std::move(socket)),
      origin_(std::move(origin)),
      id_(next_connection_id()),
      connected_at_(Clock::now()),
      runtime_(ctx.runtime()) {
  shard_.sessions().add(this);
}

// ShardMember's operations (server/session_list.hpp): every member is a ClientSession.
void shard_member_on_janitor(ShardMember& m, const JanitorTick& tick) {
  static_cast<ClientSession&>(m).on_janitor(tick);
}
void shard_member_describe(const ShardMember& m, std::vector<SocketRow>& clients,
                           std::vector<SocketRow>& servers) {
  static_cast<const ClientSession&>(m).describe(clients, servers);
}
bool shard_member_admin_kill(ShardMember& m, const std::string& database, uint64_t id) {
  return static_cast<ClientSession&>(m).admin_kill(database, id);
}

ClientSession::~ClientSession() {
  shard_.sessions().remove(this);
  if (cancel_pid_ || cancel_key_) ctx_.cancels().remove(cancel_pid_, cancel_key_);
  if (counted_) --ctx_.client_count;
  if (db_counted_) ctx_.db_clients.give_back(database_);
  if (user_counted_) ctx_.user_clients.give_back(user_);
  if (pool_) pool_->remove_client();
  if (console_) --ctx_.console_clients;
  // PgBouncer: when the admin that issued SUSPEND goes away, everything resumes.
  if (suspender_) ctx_.suspended = false;
}

std::string ClientSession::prefix() const {
  std::string who = user_.empty() ? std::string() : database_ + "/" + user_;
  std::string from = origin_.is_unix ? "unix" : origin_.addr + ":" + std::to_string(origin_.port);
  return fmt::format("C-{:#x}: {}@{} ", id_, who, from);
}

void ClientSession::start(const std::shared_ptr<ClientSession>& self) {
  asio::co_spawn(self->client_.get_executor(), run(self), asio::detached);
}

// The login coroutine, under client_login_timeout (which the shard's janitor enforces, as
// PgBouncer's does: on_janitor). A logged-in client then waits for its first bytes with no
// coroutine at all (wait_for_first_bytes): an idle client costs its session object and one
// pending wait.
Awaitable<void> ClientSession::run(std::shared_ptr<ClientSession> self) {
  boost::system::error_code ec;
  self->client_.non_blocking(true, ec);
  self->logging_in_ = true;
  bool logged_in = false;
  try {
    logged_in = co_await self->login();
  } catch (const std::exception& e) {
    if (self->close_reason_.empty()) self->close_reason_ = std::string("login failed: ") + e.what();
  }
  self->logging_in_ = false;
  // A login that was waiting on something else than the client (a server for the welcome, an
  // auth_query) may have finished after its time was up: it fails all the same.
  if (self->login_timed_out_) logged_in = false;
  self->login_secrets_.reset();
  if (logged_in && !self->console_) {
    // Prepared statements are tracked where a client's next transaction may run on another
    // server. Decided once: a RELOAD must not start or stop tracking in the middle of a session.
    const auto* mode = self->pool_->settings().pool_mode;
    self->track_statements_ =
        self->ctx_.max_prepared_statements.load(std::memory_order_relaxed) > 0 &&
        !(mode->flags & SLUICE_POOL_FLAG_RESET_ON_RELEASE);
    // Listed, and under client_idle_timeout, from now on (as when client_loop starts).
    self->relaying_ = true;
    self->last_active_ = Clock::now();
    wait_for_first_bytes(self);
    co_return;
  }
  if (logged_in) {
    try {
      co_await self->console_loop();
    } catch (const std::exception& e) {
      spdlog::warn("{}session error: {}", self->prefix(), e.what());
    }
  }
  co_await self->end_session();
}

namespace {
// An allocator that is not std::allocator, so that Asio allocates an operation for a handler that
// names it at its exact size with operator new, instead of handing it the thread's cached block
// (whatever size the last recycled operation had: often a 200-byte write operation).
template <class T>
struct ExactAllocator {
  using value_type = T;
  ExactAllocator() = default;
  template <class U>
  explicit ExactAllocator(const ExactAllocator<U>& /*other*/) noexcept {}
  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  template <class U>
  bool operator==(const ExactAllocator<U>& /*other*/) const noexcept {
    return true;
  }
};
}  // namespace

// Pending for as long as a logged-in client stays idle: kept small (a shared_ptr, and an operation
// of its exact size).
struct ClientSession::FirstBytesHandler {
  std::shared_ptr<ClientSession> self;
  using allocator_type = ExactAllocator<void>;
  allocator_type get_allocator() const noexcept { return {}; }
  void operator()(boost::system::error_code ec) const {
    // Cancelled (a timeout or KILL ended the session) or a socket error: no relay to run.
    const bool relay = !ec && !self->client_gone_;
    // At once: the client's bytes are there (no post through the scheduler first).
    spawn_now(self->client_.get_executor(), relay_loop(self, relay));
  }
};

void ClientSession::wait_for_first_bytes(const std::shared_ptr<ClientSession>& self) {
  // A TLS client may have bytes OpenSSL already took from the socket: nothing to wait for.
  if (self->client_tls_ && self->client_tls_->has_pending()) {
    FirstBytesHandler{self}({});
    return;
  }
  self->client_.async_wait(self->client_tls_ ? self->client_tls_->read_wait() : Socket::wait_read,
                           FirstBytesHandler{self});
}

Awaitable<void> ClientSession::relay_loop(std::shared_ptr<ClientSession> self, bool run_loop) {
  if (run_loop) {
    bool hibernated = false;
    try {
      hibernated = co_await self->client_loop();
    } catch (const std::exception& e) {
      spdlog::warn("{}session error: {}", self->prefix(), e.what());
    }
    if (hibernated) {
      hibernate(self);
      co_return;
    }
  }
  co_await self->end_session();
}

void ClientSession::hibernate(const std::shared_ptr<ClientSession>& self) {
  // The parked server side ends with its handler (Asio posts the unwinding of its frame); the next
  // link starts a new one. Nothing waits on the timer: no link, no client write.
  self->wakeup_.release();
  // What a fresh start would rebuild the same way; a message half received stays where it is.
  if (self->client_scanner_ && self->client_scanner_->at_boundary())
    self->client_scanner_.release();
  if (Prepared* ps = self->ps_.get(); ps && ps->statements.empty() && ps->replies.empty() &&
                                      ps->framer.at_boundary() && ps->retry == Retry::Off &&
                                      ps->held.size == 0 && !ps->segment_open)
    self->ps_.reset();
  spdlog::debug("{}idle: relay hibernates", self->prefix());
  wait_for_first_bytes(self);
}

Awaitable<void> ClientSession::end_session() {
  // A timeout ended the session: both loops are done, so the FATAL cannot interleave.
  if (fatal_pending_) {
    co_await send_fatal("08P01", close_reason_);
    boost::system::error_code ec;
    client_.shutdown(asio::socket_base::shutdown_both, ec);
  }
  if (runtime_->log_disconnections && !user_.empty()) {
    auto age = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - connected_at_);
    spdlog::info("{}closing because: {} (age={}s)", prefix(),
                 close_reason_.empty() ? "client close request" : close_reason_.str(), age.count());
  }
}

void ClientSession::note_client_message(char type, Clock::time_point now) {
  if (type != 'Q' && type != 'S' && type != 'F') return;
  if (outstanding_++ == 0) {
    request_started_ = now;
    if (tx_status_ == 'I') xact_started_ = now;  // an implicit or a new transaction
  }
}

void ClientSession::close_client(const std::string& reason) {
  if (close_reason_.empty()) close_reason_ = reason;
  client_gone_ = true;
  boost::system::error_code ec;
  client_.shutdown(asio::socket_base::shutdown_both, ec);
  client_.cancel(ec);
}

void ClientSession::request_cancel(std::shared_ptr<ClientSession> target) {
  const Executor executor = target->client_.get_executor();
  asio::post(executor, [self = std::move(target)] {
    if (!self->server_) return;  // idle client: nothing to cancel
    auto& s = *self->server_;
    if (!s.cancels) s.cancels = std::make_shared<std::atomic<int>>(0);
    s.cancels->fetch_add(1, std::memory_order_acq_rel);
    asio::co_spawn(
        self->client_.get_executor(),
        send_cancel_request(s.address, s.backend_pid, s.backend_key,
                            self->runtime_->config->seconds("cancel_wait_timeout"), s.cancels),
        asio::detached);
  });
}

// SUSPEND: what has arrived stays in the kernel's buffers until RESUME. Rare, so a poll.
Awaitable<void> ClientSession::wait_while_suspended() {
  SteadyTimer poll(shard_.io());
  while (ctx_.suspended.load(std::memory_order_relaxed) && !client_gone_) {
    poll.expires_after(std::chrono::milliseconds(50));
    boost::system::error_code ec;
    co_await poll.async_wait(asio::redirect_error(kUseAwaitable, ec));
  }
}

bool ClientSession::client_hung_up() {
  char byte;
  ssize_t n = ::recv(client_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return false;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
  return true;  // EOF or a socket error
}

std::string ClientSession::tracked_param_sets() {
  // Usually the server already has this client's values (all clients of an application tend to
  // have the same): one string comparison instead of a lookup per tracked name.
  const std::vector<std::string>& names = runtime_->tracked_params;
  if (!client_key_valid_) {
    TrackedKey key;
    client_params_.visit([&](std::string_view name, std::optional<std::string_view> value) {
      key.add(name, value);
    });
    client_key_ = key.value();
    client_key_valid_ = true;
  }
  if (!server_->tracked_key_valid) {
    server_->tracked_key = tracked_key(server_->params, names);
    server_->tracked_key_valid = true;
  }
  if (server_->tracked_key == client_key_) return {};
  std::string sql;
  for (const auto& name : names) {
    const auto want = find_param(client_params_, name);
    if (!want) continue;
    const std::string* have = find_param(server_->params, name);
    // want->data() is NUL-terminated (ClientParams).
    if (have && ::strcasecmp(have->c_str(), want->data()) == 0) continue;
    sql += "SET " + name + "=" + quote_literal(*want) + ";";
  }
  return sql;
}

// A queued client can wait a long time, and a busy pool can have thousands of them: each holds its
// request (usually a few dozen bytes), not a 32 KB buffer. One copy of the request per queued
// transaction; a client that gets an idle server at once never parks.
std::unique_ptr<std::byte[]> ClientSession::park_request(BufferPool::Lease& buf, size_t n) {
  auto parked = std::make_unique_for_overwrite<std::byte[]>(n);
  std::memcpy(parked.get(), buf.data(), n);
  if (ps_) {
    // Pieces in the chunk move with it; those in the framer's own copy of a message stay.
    const auto* from = reinterpret_cast<const uint8_t*>(buf.data());
    const auto* to = reinterpret_cast<const uint8_t*>(parked.get());
    for (auto& p : ps_->pieces) {
      const uint8_t* at = p.bytes.data();
      if (std::less_equal<>()(from, at) && std::less<>()(at, from + n))
        p.bytes = {to + (at - from), p.bytes.size()};
    }
  }
  buf.reset();
  return parked;
}

bool ClientSession::link_server_now(std::string& sql, Clock::time_point start) {
  if (client_gone_) return false;
  // No idle server a moment ago (clients queueing): queue_for_server's enqueue looks again under
  // the pool's lock.
  if (!pool_->maybe_idle()) return false;
  // `start` (the request's arrival, microseconds ago) serves as the time now: no wait happened.
  std::unique_ptr<ServerConnection> s = pool_->try_acquire_idle(&shard_.io(), start);
  if (!s) return false;
  link_waited_ = false;
  if (!attach_server(std::move(s), start, start)) return false;
  sql = link_queries(start);
  return sql.empty();
}

bool ClientSession::attach_server(std::unique_ptr<ServerConnection> server,
                                  Clock::time_point wait_start, Clock::time_point now) {
  stats_->add(Stat::kServerAssignments, 1);
  stats_->add_time(Stat::kWaitTimeUs, micros(now - wait_start));
  server_ = std::move(server);
  if (ps_)
    ps_->capacity = static_cast<size_t>(
        std::max<int64_t>(1, ctx_.max_prepared_statements.load(std::memory_order_relaxed)));
  // No system call when the server last served this shard (the pool prefers such a server).
  try {
    server_sock_ = &server_socket_on(*server_, shard_);
  } catch (const std::exception& e) {
    // Registering the descriptor with this shard failed (epoll: no memory, max_user_watches).
    spdlog::warn("{}server socket not usable here ({}), retrying", prefix(), e.what());
    server_sock_ = nullptr;
    pool_->discard(std::move(server_));
    return false;
  }
  return true;
}

std::string ClientSession::link_queries(Clock::time_point now) {
  // A server idle for longer than server_check_delay is checked before use (PgBouncer's
  // server_check_query; "<empty>" means an empty query).
  std::string sql;
  if (!runtime_->server_check_query.empty()) {
    double idle_for = std::chrono::duration<double>(now - server_->last_used).count();
    if (idle_for >= runtime_->server_check_delay) sql = runtime_->server_check_query;
  }
  sql += tracked_param_sets();
  return sql;
}

bool ClientSession::queue_for_server(Pool::Waiter& w, Clock::time_point start) {
  const SessionTimeouts& t = runtime_->timeouts_for(user_);
  // query_timeout also bounds the wait for a server (PgBouncer applies it to queued clients).
  // The error text is fixed now: a RELOAD during the wait must not change which timeout it names.
  double wait = t.query_wait_timeout;
  const char* timeout_message = "query_wait_timeout";
  if (t.query_timeout > 0 && (wait <= 0 || t.query_timeout < wait)) {
    wait = t.query_timeout;
    timeout_message = "query_timeout";
  }
  if (pool_->enqueue(w, wait, &shard_.io(), timeout_message) != Pool::Step::kQueued) return false;
  waiting_since_ = start;
  wait_notified_ = false;
  return true;
}

ClientSession::LinkStep ClientSession::take_server(Pool::Waiter& w, Clock::time_point start,
                                                   Clock::time_point now) {
  waiting_since_ = kNever;
  if (!w.has_server()) return LinkStep::kFailed;  // the error stays in `w` for refuse_link
  AcquireResult r = w.take();
  link_waited_ = r.waited;
  return attach_server(std::move(r.server), start, now) ? LinkStep::kAttached : LinkStep::kRetry;
}

// A coroutine of its own, so that the error's strings are not in the callers' frames.
Awaitable<void> ClientSession::refuse_link(Pool::Waiter& w) {
  AcquireResult r = w.take();
  ServerError error = r.take_error();
  if (error.sqlstate.empty()) error.sqlstate = "08P01";
  co_await send_fatal(error.sqlstate, error.message);
}

// Takes a server from the pool and makes it look like this client's: tracked parameters are set.
Awaitable<bool> ClientSession::link_server(std::string sql, Clock::time_point start, int attempts) {
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (client_gone_) {
      if (server_) {  // taken by the client loop, which may have waited (KILL meanwhile)
        server_sock_ = nullptr;
        pool_->release(std::move(server_));
      }
      co_return false;
    }
    // link_server_now may have taken an idle server that needs `sql`: go on with it.
    if (!server_) {
      const Clock::time_point wait_start = attempt == 0 ? start : Clock::now();
      Pool::Waiter waiter(shard_.io().get_executor());
      if (queue_for_server(waiter, wait_start)) co_await pool_->wait(waiter);
      const Clock::time_point taken = Clock::now();
      const LinkStep step = take_server(waiter, wait_start, taken);
      if (step == LinkStep::kFailed) {
        co_await refuse_link(waiter);
        co_return false;
      }
      if (step == LinkStep::kRetry) continue;
      sql = link_queries(taken);
    }
    if (sql.empty()) co_return true;
    try {
      QueryOutcome q =
          co_await run_server_query(*server_sock_, server_->tls.get(), sql, server_->params,
                                    pool_->settings().max_packet_size);
      server_->tracked_key_valid = false;  // the SETs' ParameterStatus changed its values
      if (!q.error && q.tx_status == 'I') co_return true;
      spdlog::warn("{}invalid server parameter: {}", prefix(), q.error ? q.error->message : "");
      server_sock_ = nullptr;
      pool_->discard(std::move(server_));
      std::string_view code = q.error ? std::string_view(q.error->sqlstate) : "08P01";
      co_await send_fatal(code, "invalid server parameter");
      co_return false;
    } catch (const std::exception& e) {
      // The server went away while idle in the pool: try another one.
      spdlog::info("{}server closed while idle ({}), retrying", prefix(), e.what());
      server_sock_ = nullptr;
      pool_->discard(std::move(server_));
    }
  }
  co_await send_fatal("08P01", "server conn crashed?");
  co_return false;
}

Awaitable<bool> ClientSession::client_loop() {
  auto self = shared_from_this();
  const uint32_t max_packet = runtime_->pool_defaults.max_packet_size;
  // Kept across hibernation when it holds part of a message.
  if (!client_scanner_) client_scanner_.emplace("X", max_packet);
  relaying_ = true;
  last_active_ = Clock::now();
  // The server side of the relay, to resume (parked) or start (the session's first link) once the
  // request that linked it is written.
  ServerSideDue server_side_due;
  // The relay starts when the client's socket has just become readable (wait_for_first_bytes):
  // the first read needs no wait. Waiting anyway cost a trip through the scheduler, and Asio
  // re-arms the descriptor for every wait (an epoll_ctl). A read that finds nothing after all
  // (say a TLS record not yet whole) comes back here and waits.
  bool readable = true;
  for (;;) {
    boost::system::error_code ec;
    // Idle clients wait for readability without holding a buffer (DESIGN.md §9). A TLS client
    // may have bytes OpenSSL already took from the socket: then there is nothing to wait for.
    const bool wait =
        !std::exchange(readable, false) && (!client_tls_ || !client_tls_->has_pending());
    if (wait) {
      idle_waiting_ = true;  // the janitor may end this wait to hibernate (on_janitor)
      co_await client_.async_wait(client_tls_ ? client_tls_->read_wait() : Socket::wait_read,
                                  asio::redirect_error(kUseAwaitable, ec));
      idle_waiting_ = false;
    }
    if (client_gone_) break;
    if (hibernate_) {
      hibernate_ = false;
      if (ec == asio::error::operation_aborted) co_return true;
      // The client's bytes came before the cancel: no hibernation, they are read now.
    }
    if (ec) break;
    if (ctx_.suspended.load(std::memory_order_relaxed)) co_await wait_while_suspended();
    if (client_gone_) break;
    BufferPool::Lease buf = shard_.buffers().take();
    std::unique_ptr<std::byte[]> parked;  // the request, when the client queued for a server
    size_t n = client_tls_ ? client_tls_->read_some(buf.data(), buf.size(), ec)
                           : nbio::recv_some(client_.native_handle(), buf.data(), buf.size(), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
    if (ec) break;  // EOF or reset: the client went away
    const Clock::time_point now = Clock::now();
    last_active_ = now;
    if (track_statements_ && !ps_) ps_ = std::make_unique<Prepared>(max_packet);
    stats_->add(Stat::kBytesReceived, static_cast<int64_t>(n));
    bool terminate = false;
    size_t forward = n;
    bool ok;
    if (ps_) {
      ok = frame_client_chunk(span_of(buf.data(), n), terminate, forward);
    } else {
      ok = client_scanner_->scan(
          span_of(buf.data(), n),
          [&](char type, std::span<const uint8_t>) {
            if (type == 'X') terminate = true;
            return protocol::ScanAction::Stop;
          },
          [&](char type, uint32_t) {
            if (type == 'P') {
              stats_->add(Stat::kClientParses, 1);
              stats_->add(Stat::kServerParses, 1);  // not tracked: each one is sent
            } else if (type == 'B') {
              stats_->add(Stat::kBinds, 1);
            }
            note_client_message(type, now);
          });
      if (ok && terminate) {
        // Terminate is for the pooler, not the server: forward what came before it.
        forward = client_scanner_->consumed() >= 5 ? client_scanner_->consumed() - 5 : 0;
        if (client_scanner_->consumed() < 5 && server_) server_->close_needed = true;
      }
    }
    if (!ok) {
      // Named first: no conditional std::string expression inside co_await (g++ 12).
      const std::string reason =
          "invalid packet: " + (ps_ ? ps_->framer.error() : client_scanner_->error());
      co_await send_fatal("08P01", reason);
      close_client(close_reason_);
      break;
    }
    if (forward > 0) {
      // A server being given back (its reset query in flight) is not ours any more: wait until
      // the server loop has finished with it, then link again.
      // So is a request that may be retried: the next one waits until the retry is decided.
      while (server_loop_running_ && (unlinking_ || (ps_ && ps_->retry != Retry::Off))) {
        wakeup_->timer.expires_at(Clock::time_point::max());
        co_await wakeup_->timer.async_wait(asio::redirect_error(kUseAwaitable, ec));
      }
      ec = {};
      if (!server_) {
        // Closing statements needs no server: the pooler answers itself.
        std::string answer;
        if (ps_ && answer_closes_locally(answer)) {
          if (client_tls_) {
            co_await tls_write_all(client_, *client_tls_, as_bytes(answer), ec);
          } else {
            co_await asio::async_write(client_, asio::buffer(answer),
                                       asio::redirect_error(kUseAwaitable, ec));
          }
          if (ec) {
            close_client("client unexpected eof");
            break;
          }
          if (terminate) break;
          continue;
        }
        // Usually an idle server is at hand: linked without a coroutine frame.
        std::string link_sql;
        bool linked = link_server_now(link_sql, now);
        bool refused = false;
        int link_tries = 3;  // link_server's attempts: 2 after one here
        if (!linked && !server_ && !client_gone_) {
          // No idle server (a busy pool): queue in this frame rather than in link_server's, one
          // coroutine frame fewer per queued transaction. link_server takes what is left: SETs
          // or server_check_query to run, a server unusable here.
          Pool::Waiter waiter(shard_.io().get_executor());
          if (queue_for_server(waiter, now)) {
            parked = park_request(buf, n);
            co_await pool_->wait(waiter);
          }
          const Clock::time_point taken = Clock::now();
          const LinkStep step = take_server(waiter, now, taken);
          if (step == LinkStep::kFailed) {
            co_await refuse_link(waiter);
            refused = true;
          } else if (step == LinkStep::kAttached) {
            link_sql = link_queries(taken);
            linked = link_sql.empty();
          } else {
            link_tries = 2;
          }
        }
        if (!linked && !refused) {
          // link_server can wait too (SETs to run; a retry queues again after a server unusable
          // here or gone while idle): the request does not keep the buffer meanwhile.
          if (!parked) parked = park_request(buf, n);
          linked = co_await link_server(std::move(link_sql), link_tries == 3 ? now : Clock::now(),
                                        link_tries);
        }
        if (!linked) {
          close_client(close_reason_);
          break;
        }
        // The client may have given up (or timed out) while queued for a server: then its
        // request must not run.
        // Only a client that was queued can have left meanwhile: skip the syscall otherwise.
        if (client_gone_ || (link_waited_ && client_hung_up())) {
          server_sock_ = nullptr;
          pool_->release(std::move(server_));
          if (!client_gone_) close_client("client disconnected while waiting for a server");
          break;
        }
        server_scanner_.emplace(ps_ ? "ZSCE" : "ZS", pool_->settings().max_packet_size);
        if (!wakeup_) wakeup_.emplace(shard_.io());
        server_loop_running_ = true;
        if (wakeup_->server_parked) {
          // The server coroutine of an earlier link. Over plain sockets it is resumed in place
          // once this request is written (below: no post, no trip through the scheduler);
          // otherwise, or when the write has to wait, one post resumes it.
          ServerWake wake = std::move(*wakeup_->server_parked);
          wakeup_->server_parked.reset();
          if (!client_tls_ && !server_->tls) {
            server_side_due.wake.emplace(std::move(wake));
          } else {
            post_server_wake(std::move(wake), self);
          }
        } else if (!client_tls_ && !server_->tls) {
          server_side_due.start = true;  // as a wake-up: started in place after the write (below)
        } else {
          asio::co_spawn(shard_.io(), server_side(self), asio::detached);
        }
      }
      std::span<const uint8_t> send = span_of(parked ? parked.get() : buf.data(), forward);
      std::string rewritten;
      if (ps_) {
        protocol::RewriteError error;
        if (!rewrite_pieces(rewritten, send, error)) {
          continue_server_side(server_side_due, self, false);
          spdlog::warn("{}{}", prefix(), error.message);
          // The server may hold half a request of this client: it is not given back.
          server_->close_needed = true;
          co_await send_fatal(error.sqlstate, error.message);
          close_client(close_reason_);
          break;
        }
      }
      if (TlsChannel* tls = server_->tls.get(); tls && !send.empty()) {
        client_writing_ = true;
        co_await tls_write_all(*server_sock_, *tls, send, ec);
        client_writing_ = false;
        if (finish_waiting_) wakeup_->timer.cancel();
        send = {};
      }
      // Most writes complete at once on a non-blocking socket: only the rest goes async.
      size_t done = send.empty() ? 0
                                 : nbio::send_some(server_sock_->native_handle(), send.data(),
                                                   send.size(), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
      // Nothing suspended this coroutine since the link: resuming or starting the server side
      // here, on this thread, is what the post would have done a moment later. A write that must
      // wait leaves it to the scheduler, so that the server's replies are read meanwhile.
      continue_server_side(server_side_due, self, !ec && done == send.size());
      if (!ec && done < send.size()) {
        client_writing_ = true;
        co_await asio::async_write(*server_sock_,
                                   asio::buffer(send.data() + done, send.size() - done),
                                   asio::redirect_error(kUseAwaitable, ec));
        client_writing_ = false;
        if (finish_waiting_) wakeup_->timer.cancel();
      }
      if (ec && server_sock_ && !server_broken_) {
        server_broken_ = true;
        if (server_->tls) server_->tls->detach();
        // Shut down, not closed: the descriptor is closed with the ServerConnection
        // (pool/server_socket.hpp); the server loop's pending read fails now.
        server_sock_->shutdown(asio::socket_base::shutdown_both, ec);
        server_sock_->cancel(ec);
      }
    }
    if (terminate) break;
  }
  client_gone_ = true;
  // Let the server loop finish the link (reset and release, or close) and wait for it.
  if (server_loop_running_) {
    if (server_sock_) {
      boost::system::error_code ec;
      server_sock_->cancel(ec);
    }
    while (server_loop_running_) {
      wakeup_->timer.expires_at(Clock::time_point::max());
      boost::system::error_code ec;
      co_await wakeup_->timer.async_wait(asio::redirect_error(kUseAwaitable, ec));
    }
  }
  co_return false;
}

void ClientSession::post_server_wake(ServerWake wake, std::shared_ptr<ClientSession> self) {
  asio::post(client_.get_executor(),
             [wake = std::move(wake), self = std::move(self)]() mutable { wake(std::move(self)); });
}

void ClientSession::continue_server_side(ServerSideDue& due,
                                         const std::shared_ptr<ClientSession>& self,
                                         bool in_place) {
  if (due.wake) {
    ServerWake wake = std::move(*due.wake);
    due.wake.reset();
    if (in_place) {
      std::move(wake)(self);
    } else {
      post_server_wake(std::move(wake), self);
    }
  }
  if (std::exchange(due.start, false)) {
    if (in_place) {
      spawn_now(shard_.io().get_executor(), server_side(self));
    } else {
      asio::co_spawn(shard_.io(), server_side(self), asio::detached);
    }
  }
}

// The server side of the relay, started at the session's first link: serves each link with
// server_loop, whose big frame exists only during the link, and parks in between with a small one.
Awaitable<void> ClientSession::server_side(std::shared_ptr<ClientSession> self) {
  for (;;) {
    bool failed = false;
    try {
      co_await server_loop(self.get());
    } catch (const std::exception& e) {
      // Unexpected (say no memory): end the link and the client rather than leave the client loop
      // waiting for a server side that is gone. The server's state is unknown: it is closed.
      spdlog::error("{}server side of the relay failed: {}", self->prefix(), e.what());
      failed = true;
    }
    if (failed) {
      self->server_broken_ = true;
      if (self->server_) co_await self->finish_server(false);  // closed, its link state reset
      if (!self->client_gone_) self->close_client("server side of the relay failed");
      self->server_loop_running_ = false;
      self->wakeup_->timer.cancel();
      co_return;
    }
    if (self->client_gone_) co_return;  // the client loop is ending: there is no next link
    // Parked until the client loop links the next server (it posts the handler, with the session).
    // Meanwhile this frame holds no reference to the session: a session that ends (its client loop
    // threw, or the daemon stops) destroys the parked handler, and so this coroutine, with itself.
    const auto& token = kUseAwaitable;
    self = co_await asio::async_initiate<decltype(token), void(std::shared_ptr<ClientSession>)>(
        [&self](ServerWake wake) {
          self->wakeup_->server_parked.emplace(std::move(wake));
          self.reset();  // may end the session, and so this coroutine (Asio posts its unwinding)
        },
        token);
  }
}

Awaitable<void> ClientSession::server_loop(ClientSession* self) {
  bool reusable = true;
  // Where servers go back to the pool after each transaction, a plain server is read with
  // async_read_some into a leased buffer rather than waited for, then read: Asio 1.74 re-arms
  // epoll (EPOLL_CTL_MOD) for every async_wait, while a read queued after a short read costs no
  // system call. Such a server holds a buffer only during a transaction. In session-like modes a
  // server stays linked while its client idles: it waits without a buffer (DESIGN.md §9).
  const bool read_waiting =
      !(self->pool_->settings().pool_mode->flags & SLUICE_POOL_FLAG_RESET_ON_RELEASE);
  for (;;) {
    boost::system::error_code ec;
    TlsChannel* const server_tls = self->server_->tls.get();
    // Header bytes held back from the last chunk (prepared statements) go in front.
    Prepared* const ps = self->ps_.get();  // set before the link when statements are tracked
    const size_t held = ps ? ps->held.size : 0;
    BufferPool::Lease buf;
    auto take_buffer = [&] {
      buf = self->shard_.buffers().take();
      if (held > 0) std::memcpy(buf.data(), ps->held.bytes.data(), held);
    };
    size_t n = 0;
    if (!server_tls && read_waiting) {
      take_buffer();
      n = co_await self->server_sock_->async_read_some(
          asio::buffer(buf.data() + held, buf.size() - held),
          asio::redirect_error(kUseAwaitable, ec));
      // Bytes read for a client that is gone: nobody will look at them, so the server is not
      // known to be idle and clean any more (say an asynchronous ParameterStatus or NOTICE).
      if (self->client_gone_ && n > 0) reusable = false;
    } else {
      if (!server_tls) {
        co_await self->server_sock_->async_wait(Socket::wait_read,
                                                asio::redirect_error(kUseAwaitable, ec));
      } else if (!server_tls->has_pending()) {
        co_await self->server_sock_->async_wait(server_tls->read_wait(),
                                                asio::redirect_error(kUseAwaitable, ec));
      }
      if (!ec && !self->client_gone_ && self->ctx_.suspended.load(std::memory_order_relaxed))
        co_await self->wait_while_suspended();  // SUSPEND: nothing is read until RESUME
      if (!ec && !self->client_gone_) {
        take_buffer();
        n = server_tls ? server_tls->read_some(buf.data() + held, buf.size() - held, ec)
                       : self->server_sock_->read_some(
                             asio::buffer(buf.data() + held, buf.size() - held), ec);
      }
    }
    if (self->client_gone_) break;
    if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
    if (ec) {
      self->server_broken_ = true;
      break;
    }
    // SUSPEND (reads that were queued before it): what was read is held until RESUME.
    if (self->ctx_.suspended.load(std::memory_order_relaxed)) co_await self->wait_while_suspended();
    if (self->client_gone_) break;
    self->stats_->add(Stat::kBytesSent, static_cast<int64_t>(n));
    n += held;
    if (ps) ps->held.size = 0;
    sluice_pool_decision decision{sizeof(sluice_pool_decision), SLUICE_POOL_KEEP, nullptr};
    bool ready_at_end = false;
    Clock::time_point now{};  // read at the first ReadyForQuery of this chunk
    // The retry of a request (client_prepared.cpp): what this chunk showed.
    bool disarm = false;         // an answer that is not a retriable error: give up the retry
    bool retry_ready = false;    // the failed request's ReadyForQuery came, status 'I'
    bool retry_give_up = false;  // ... but not in a state to retry
    auto on_message = [&](char type, std::span<const uint8_t> body) {
      if (type == 'S') {
        if (auto p = protocol::parse_parameter_status(body)) {
          set_param(self->server_->params, p->first, p->second);
          self->server_->tracked_key_valid = false;
          if (const std::string* t = self->tracked_name(p->first)) {
            set_param(self->client_params_, *t, p->second);
            self->client_key_valid_ = false;
          }
        }
        return;
      }
      if (type == 'C') {  // 'C' and 'E' collected only while prepared statements are tracked
        self->note_command_complete(body);
        return;
      }
      if (type == 'E') {
        if (ps && ps->retry == Retry::Armed && !disarm) {
          if (self->retriable_error(body)) {
            ps->retry = Retry::Swallowing;
          } else {
            disarm = true;
          }
        }
        return;
      }
      // 'Z' ReadyForQuery: one per Query/Sync/FunctionCall the client sent.
      auto st = protocol::parse_ready_for_query(body);
      if (ps && ps->retry == Retry::Swallowing && !retry_ready && !retry_give_up) {
        if (st && *st == 'I') {
          // The failed request ends here: it runs again, so it is still outstanding. (Only
          // asynchronous messages can follow, the client's next request waits: they are dropped.)
          self->note_segment_done();
          retry_ready = true;
          return;
        }
        retry_give_up = true;  // an ordinary ReadyForQuery then
      }
      self->tx_status_ = st ? *st : 'E';
      if (self->outstanding_ > 0) --self->outstanding_;
      if (ps) self->note_segment_done();
      if (now == Clock::time_point{}) now = Clock::now();
      self->ready_at_ = now;
      // SHOW STATS: a query (a whole pipelined batch) ends when nothing is outstanding; a
      // transaction ends at ReadyForQuery 'I'.
      if (self->outstanding_ == 0 && self->request_started_ != kNever) {
        self->stats_->add(Stat::kQueries, 1);
        self->stats_->add_time(Stat::kQueryTimeUs, micros(now - self->request_started_));
        self->request_started_ = kNever;
      }
      if (self->tx_status_ == 'I') {
        if (self->xact_started_ != kNever) {
          self->stats_->add(Stat::kXacts, 1);
          self->stats_->add_time(Stat::kXactTimeUs, micros(now - self->xact_started_));
        }
        self->xact_started_ = kNever;
      }
      sluice_ready_event ev{sizeof(sluice_ready_event), self->tx_status_, self->outstanding_, 0};
      decision = {sizeof(sluice_pool_decision), SLUICE_POOL_KEEP, nullptr};
      const auto* mode = self->pool_->settings().pool_mode;
      // A failing pool-mode plugin fails closed: the client is closed, not left linked.
      if (mode->on_ready_for_query(mode->ctx, &ev, &decision) != SLUICE_OK &&
          decision.action != SLUICE_POOL_CLOSE_CLIENT)
        decision = {sizeof(sluice_pool_decision), SLUICE_POOL_CLOSE_CLIENT,
                    "internal error in pool mode plugin"};
      ready_at_end = true;
    };
    auto on_boundary = [&](char type, uint32_t) {
      ready_at_end = false;
      // Before the error only answers that change nothing may come: ParseComplete, BindComplete,
      // CloseComplete, ParameterDescription, RowDescription, NoData, ParameterStatus, notices.
      if (ps && ps->retry == Retry::Armed && type != 'E' &&
          std::string_view("123tTnSN").find(type) == std::string_view::npos)
        disarm = true;
    };
    bool ok;
    std::string error;
    if (ps) {
      auto r = protocol::filter_replies(
          std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf.data()), n), *self->server_scanner_,
          ps->replies, &self->server_->statements, ps->held, on_message, on_boundary);
      ok = r.ok;
      n = r.kept;
      if (!ok) error = r.error;
    } else {
      ok = self->server_scanner_->scan(span_of(buf.data(), n), on_message, on_boundary);
      if (!ok) error = self->server_scanner_->error();
    }
    if (!ok) {
      spdlog::warn("{}server sent a malformed packet: {}", self->prefix(), error);
      self->server_broken_ = true;
      break;
    }
    if (ps && ps->retry != Retry::Off) {
      ps->retry_held.append(reinterpret_cast<const char*>(buf.data()), n);
      const bool armed = ps->retry == Retry::Armed;
      if (retry_ready) {
        // Nothing of the request ran: prepare its statements again and send it again, once.
        std::string again = self->retry_request_bytes();
        spdlog::info("{}stale prepared statement: request prepared again and retried",
                     self->prefix());
        // The retry ends only once the request is written: until then the client loop must not
        // write its next one to the same socket.
        if (TlsChannel* tls = self->server_->tls.get()) {
          co_await tls_write_all(*self->server_sock_, *tls, as_bytes(again), ec);
        } else {
          co_await asio::async_write(*self->server_sock_, asio::buffer(again),
                                     asio::redirect_error(kUseAwaitable, ec));
        }
        self->end_retry();
        if (ec) {
          self->server_broken_ = true;
          break;
        }
        continue;
      }
      const bool keep_holding = (armed && !disarm) || (!armed && !retry_ready && !retry_give_up);
      if (keep_holding && ps->retry_held.size() <= kMaxRetryBytes) continue;
      // No retry: the client gets everything held back, as it came.
      std::string answers = std::move(ps->retry_held);
      self->end_retry();
      if (self->client_tls_) {
        co_await tls_write_all(self->client_, *self->client_tls_, as_bytes(answers), ec);
      } else {
        co_await asio::async_write(self->client_, asio::buffer(answers),
                                   asio::redirect_error(kUseAwaitable, ec));
      }
      if (ec) {
        self->close_client("client unexpected eof");
        break;
      }
      n = 0;
    }
    if (self->client_tls_) {
      if (n > 0)
        co_await tls_write_all(self->client_, *self->client_tls_, span_of(buf.data(), n), ec);
      n = 0;
    }
    size_t done = n == 0 ? 0 : nbio::send_some(self->client_.native_handle(), buf.data(), n, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
    if (!ec && done < n) {
      co_await asio::async_write(self->client_, asio::buffer(buf.data() + done, n - done),
                                 asio::redirect_error(kUseAwaitable, ec));
    }
    if (ec) {
      self->close_client("client unexpected eof");
      break;
    }
    if (ready_at_end && decision.action == SLUICE_POOL_CLOSE_CLIENT) {
      reusable = false;
      co_await self->send_fatal(
          "08P01", decision.error_message ? decision.error_message : "closed by pool mode");
      self->close_client(self->close_reason_);
      break;
    }
    if (ready_at_end && decision.action == SLUICE_POOL_RELEASE && self->outstanding_ == 0 &&
        !self->client_writing_ && self->client_at_boundary() &&
        self->server_scanner_->at_boundary() &&
        (!ps || (ps->replies.empty() && ps->held.size == 0))) {
      break;  // the pool mode released the server at a clean boundary
    }
  }
  if (self->server_broken_ && !self->client_gone_) {
    co_await self->send_fatal("08P01", "server conn crashed?");
    self->close_client(self->close_reason_);
  }
  // Usually nothing has to wait or run on the server first: no coroutine frame then.
  if (!self->finish_server_now(reusable && !self->server_broken_))
    co_await self->finish_server(reusable && !self->server_broken_);
  self->server_loop_running_ = false;
  self->wakeup_->timer.cancel();
}

// The client loop may be in the middle of a write to the server's socket: wait for it to end.
// unlinking_ is set first, so the client loop starts no new write.
Awaitable<void> ClientSession::wait_client_write_done(bool cancel_writes) {
  finish_waiting_ = true;
  while (client_writing_) {
    boost::system::error_code ec;
    if (cancel_writes && server_sock_) server_sock_->cancel(ec);
    wakeup_->timer.expires_at(Clock::time_point::max());
    co_await wakeup_->timer.async_wait(asio::redirect_error(kUseAwaitable, ec));
  }
  finish_waiting_ = false;
}

bool ClientSession::server_releasable() const {
  return tx_status_ == 'I' && outstanding_ == 0 && client_at_boundary() &&
         server_scanner_->at_boundary() &&
         (!ps_ || (ps_->replies.empty() && ps_->held.size == 0)) && !server_->close_needed;
}

bool ClientSession::reset_query_due() const {
  // Session-like modes reset at every release; others only with server_reset_query_always.
  return !runtime_->server_reset_query.empty() &&
         ((pool_->settings().pool_mode->flags & SLUICE_POOL_FLAG_RESET_ON_RELEASE) ||
          runtime_->server_reset_query_always);
}

bool ClientSession::finish_server_now(bool reusable) {
  if (client_writing_) return false;
  reusable = reusable && server_releasable();
  if (reusable && reset_query_due()) return false;
  unlinking_ = true;
  end_link(reusable);
  return true;
}

// Ends the link: the server goes back to the pool when it is idle at a message boundary (after
// server_reset_query where the pool mode asks for it), or is closed.
Awaitable<void> ClientSession::finish_server(bool reusable) {
  unlinking_ = true;
  if (client_writing_) co_await wait_client_write_done(!reusable);
  if (reusable && server_releasable()) {
    if (reset_query_due()) {
      const std::string& reset_query = runtime_->server_reset_query;
      try {
        QueryOutcome q =
            co_await run_server_query(*server_sock_, server_->tls.get(), reset_query,
                                      server_->params, pool_->settings().max_packet_size);
        server_->tracked_key_valid = false;
        if (q.error || q.tx_status != 'I') reusable = false;
        // DISCARD ALL (the default) or DEALLOCATE ALL drops the prepared statements.
        if (resets_statements(reset_query)) server_->statements.clear();
      } catch (const std::exception&) {
        reusable = false;
      }
    }
  } else {
    reusable = false;
  }
  end_link(reusable);
}

void ClientSession::end_link(bool reusable) {
  // The socket stays registered with this shard while the server idles (pool/server_socket.hpp).
  server_sock_ = nullptr;  // (never closed through Asio: a broken server is only shut down)
  if (reusable) {
    pool_->release(std::move(server_));
  } else {
    pool_->discard(std::move(server_));
  }
  outstanding_ = 0;
  tx_status_ = 'I';
  request_started_ = xact_started_ = kNever;
  unlinking_ = false;
  reset_prepared_link();
  server_scanner_.reset();  // back to nullopt: idle sessions hold no server-side state
}

}  // namespace sluice
