// One client connection: login (startup, auth, routing), then the relay to a pooled server.
// Both coroutines of a session (client->server and server->client) run on the session's shard, so
// session state needs no locks; the session object lives while the client coroutine, or the server
// coroutine while it serves a link, holds it (a parked server coroutine dies with the session).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "pool/pool.hpp"
#include "pool/server_connection.hpp"
#include "protocol/frontend_framer.hpp"
#include "protocol/reply_filter.hpp"
#include "protocol/statement_rewriter.hpp"
#include "protocol/stream_scanner.hpp"
#include "server/asio.hpp"
#include "server/buffer_pool.hpp"
#include "server/daemon_context.hpp"
#include "server/session_list.hpp"
#include "session/client_params.hpp"
#include "session/heap_optional.hpp"
#include "session/lazy_string.hpp"
#include "sluice/abi.h"

namespace sluice {

class Shard;
class TlsChannel;
namespace admin {
struct ConsoleCommand;
class ResultBuilder;
}  // namespace admin
struct Message;

struct ClientOrigin {
  std::string addr;  // IP text, or "unix"
  uint16_t port = 0;
  bool is_unix = false;
};

// What auth_query said about a login user missing from auth_file (session/auth_query.cpp).
struct AuthQueryResult {
  enum class Kind { NotConfigured, Found, NoSuchUser, Failed };
  Kind kind = Kind::NotConfigured;
  std::string secret;  // Found: the stored secret (plaintext, md5 or SCRAM verifier)
  std::string error;   // Failed: the text for the client
};

class ClientSession : public std::enable_shared_from_this<ClientSession>, public ShardMember {
 public:
  ClientSession(Shard& shard, DaemonContext& ctx, Socket socket, ClientOrigin origin);
  ~ClientSession();

  // Starts the session's coroutine on its shard.
  static void start(const std::shared_ptr<ClientSession>& self);
  // Forwards a cancel to the target's linked server, if any. Thread-safe: posts to the target's
  // shard and moves the caller's reference there, so that if it is the last one the session is
  // destroyed on its own shard (it unlinks itself from that shard's unlocked SessionList).
  static void request_cancel(std::shared_ptr<ClientSession> target);
  // Timeouts of a logged-in client (client_timeouts.cpp); runs on the session's shard.
  void on_janitor(const JanitorTick& tick);
  void describe(std::vector<SocketRow>& clients, std::vector<SocketRow>& servers) const;
  bool admin_kill(const std::string& database, uint64_t id);

 private:
  // Login, then (console) the console loop, or the wait for a client's first bytes.
  static Awaitable<void> run(std::shared_ptr<ClientSession> self);
  // A logged-in client waits for its first bytes with a plain handler (no coroutine frame), which
  // then starts relay_loop.
  static void wait_for_first_bytes(const std::shared_ptr<ClientSession>& self);
  struct FirstBytesHandler;  // its handler (client_relay.cpp)
  // The relay (client_loop unless the session already ended while idle), then end_session.
  static Awaitable<void> relay_loop(std::shared_ptr<ClientSession> self, bool run_loop);
  // The pending FATAL of a timeout or KILL, and the log_disconnections line.
  Awaitable<void> end_session();
  // The server side of the relay: started at the session's first link, it serves that link
  // (server_loop, until the server is given back), then parks in wakeup_->server_parked until the
  // client loop hands it the next one (resumed in place once the request is written, or with one
  // post; no new coroutine), and ends with the client.
  static Awaitable<void> server_side(std::shared_ptr<ClientSession> self);
  static Awaitable<void> server_loop(ClientSession* self);
  // The parked server coroutine's completion handler; resumed with the session for the next link.
  using ServerWake = asio::async_result<asio::use_awaitable_t<Executor>,
                                        void(std::shared_ptr<ClientSession>)>::handler_type;
  // Resumes the parked server side with a post to this session's executor.
  void post_server_wake(ServerWake wake, std::shared_ptr<ClientSession> self);
  // What the client loop owes the server side once a link's request is written: resume the parked
  // coroutine (`wake`) or start it (`start`, the session's first link).
  struct ServerSideDue {
    std::optional<ServerWake> wake;
    bool start = false;
  };
  // Settles `due`: in place when `in_place` (the request went out whole, nothing suspended the
  // client loop since the link), else through the scheduler (a post, or co_spawn). Empty after.
  void continue_server_side(ServerSideDue& due, const std::shared_ptr<ClientSession>& self,
                            bool in_place);

  // Login phase (client_login.cpp). Returns false when the client must be closed.
  Awaitable<bool> login();
  Awaitable<bool> authenticate(const std::string& user, const std::string& database);
  std::string finish_authentication(const sluice_auth_output& out, const char* secret);
  bool peer_allowed(const std::string& user, const std::string& map);
  Awaitable<AuthQueryResult> run_auth_query(const std::string& user, const std::string& database);
  std::optional<uid_t> peer_uid();
  Awaitable<bool> route_and_welcome();
  // route_and_welcome's wait for the pool's first server: false when the client was refused.
  Awaitable<bool> wait_for_welcome();
  Awaitable<void> handle_cancel(uint32_t pid, uint32_t key);
  Awaitable<void> send_fatal(std::string_view sqlstate, std::string_view message);
  // SSLRequest answered 'S': the TLS handshake on the client socket. False when it failed.
  Awaitable<bool> start_client_tls();
  // auth_type=cert, or an hba cert line: the verified client certificate's CN must be the user
  // (or map to it through auth_ident_file `map`).
  Awaitable<bool> authenticate_cert(const std::string& user, const std::string& map);

  // Admin console (client_console.cpp): the virtual database "pgbouncer".
  Awaitable<bool> console_welcome();
  Awaitable<void> console_loop();
  // Runs one console command into `result` (client_console.cpp).
  Awaitable<void> console_execute(const std::string& query, admin::ResultBuilder& result);
  // The extended query protocol on the console (client_console_extended.cpp): Parse, Bind,
  // Describe, Execute, Close, Sync, Flush. Returns false when the client must be closed.
  Awaitable<bool> console_extended(Message& first);
  // DISABLE, ENABLE, RECONNECT, WAIT_CLOSE, KILL, KILL_CLIENT, SHUTDOWN; nullopt for others.
  Awaitable<bool> console_control(const admin::ConsoleCommand& cmd, admin::ResultBuilder& result);
  // Runs admin_kill on every shard; returns how many sessions it ended.
  Awaitable<int> kill_everywhere(std::string database, uint64_t id);

  // Relay phase (client_relay.cpp). True when it ended to hibernate (see hibernate()).
  Awaitable<bool> client_loop();
  // A client idle between transactions for kHibernateAfter: the janitor ends client_loop's wait
  // (on_janitor), and the relay's coroutines (client loop, relay loop, the parked server side) end
  // with their frames; so do the client's scanner and prepared-statement state when they hold
  // nothing. The client then waits with a plain handler, as before its first request, and its next
  // bytes start the relay again. About 3 kB of RSS less per such client (docs/architecture.md).
  static void hibernate(const std::shared_ptr<ClientSession>& self);
  static constexpr double kHibernateAfter = 1.0;  // seconds without a byte from the client
  // Queues for a server with the waiter in the caller's frame (Pool::enqueue), for at most
  // query_wait_timeout, or query_timeout when that is shorter: true when the caller must
  // `co_await pool_->wait(w)` before take_server.
  bool queue_for_server(Pool::Waiter& w, std::chrono::steady_clock::time_point start);
  enum class LinkStep : uint8_t { kAttached, kRetry, kFailed };
  // What queue_for_server (and the wait) got: kAttached (server_ set), kRetry (the server was not
  // usable on this shard and was discarded: queue again), or kFailed: an error, left in `w` for
  // refuse_link to send (FATAL; the client is closed after). `now`: the caller's clock reading,
  // which it passes on to link_queries too.
  LinkStep take_server(Pool::Waiter& w, std::chrono::steady_clock::time_point start,
                       std::chrono::steady_clock::time_point now);
  Awaitable<void> refuse_link(Pool::Waiter& w);
  // Links a server to this client (queueing when needed), runs what it needs first
  // (server_check_query, SETs of the client's parameters); false when the client must be closed.
  // `sql`: what link_server_now found to run on the server it took (server_ set), else unused.
  // `start`: when the request that needs the server arrived (the wait for a server counts from
  // there; the client loop's clock reading, not another one).
  // `attempts`: how many times a server is taken before "server conn crashed?".
  Awaitable<bool> link_server(std::string sql, std::chrono::steady_clock::time_point start,
                              int attempts = 3);
  // link_server's common case without a coroutine frame: an idle server at hand that needs no
  // query. False otherwise; then server_ may be set (taken), with what must run on it in `sql`,
  // for link_server.
  bool link_server_now(std::string& sql, std::chrono::steady_clock::time_point start);
  // server_ = `server`: SHOW STATS counts, its socket on this shard. False (the server discarded)
  // when the socket cannot be registered here.
  // `now`: a clock reading taken after the wait (a transaction reads the clock as few times as it
  // can: each read is a vDSO call).
  bool attach_server(std::unique_ptr<ServerConnection> server,
                     std::chrono::steady_clock::time_point wait_start,
                     std::chrono::steady_clock::time_point now);
  // What must run on the newly linked server_ first; empty when nothing. `now` as for
  // attach_server.
  std::string link_queries(std::chrono::steady_clock::time_point now);
  // EOF or error pending on the client socket (non-blocking peek).
  bool client_hung_up();
  Awaitable<void> wait_while_suspended();
  // Ends the link: the server goes back to the pool when it is idle at a message boundary (after
  // server_reset_query where the pool mode asks for it), or is closed.
  Awaitable<void> finish_server(bool reusable);
  // finish_server's common case without a coroutine frame: no client write under way and no reset
  // query to run. False (nothing done) otherwise.
  bool finish_server_now(bool reusable);
  // The link ends at a clean boundary: the server may go back to the pool.
  bool server_releasable() const;
  // server_reset_query runs when the server goes back (pool mode, server_reset_query_always).
  bool reset_query_due() const;
  // The last step of both: the server to the pool (`reusable`) or closed; the link state reset.
  void end_link(bool reusable);
  // With unlinking_ set, waits until a client write to the server under way has ended; with
  // cancel_writes, cancels it (the server will not be reused).
  Awaitable<void> wait_client_write_done(bool cancel_writes);
  std::string tracked_param_sets();
  // The tracked parameter spelled as we track it, for any spelling of `name`; nullptr if untracked.
  const std::string* tracked_name(std::string_view name) const;
  void close_client(const std::string& reason);
  // Ends the session from outside its coroutines (a timeout): both loops stop, the server is
  // closed unless idle, then the client gets FATAL `reason`.
  void kill(const std::string& reason);
  void send_wait_notice();
  // Client bytes seen: counts requests and times them (both relay paths).
  void note_client_message(char type, std::chrono::steady_clock::time_point now);
  bool client_at_boundary() const {
    if (ps_) return ps_->framer.at_boundary();
    return !client_scanner_ || client_scanner_->at_boundary();  // no scanner: nothing read yet
  }
  // While its client is queued for a server, a request waits out of the 32 KB I/O buffer it was
  // read into (client_relay.cpp): moves the chunk buf[0, n) into a block of its own size, gives the
  // buffer back, points ps_->pieces that were in the chunk at the copy, and returns the copy.
  std::unique_ptr<std::byte[]> park_request(BufferPool::Lease& buf, size_t n);
  // Prepared statements (client_prepared.cpp). Frames a chunk into ps_->pieces; false on a bad
  // length. Sets `terminate` at a Terminate message (pieces_ then end before it).
  bool frame_client_chunk(std::span<const uint8_t> chunk, bool& terminate, size_t& bytes);
  // What the linked server must receive for ps_->pieces: a span of the chunk itself when nothing
  // needs rewriting, else `out`. False with `error` when the client must be closed.
  bool rewrite_pieces(std::string& out, std::span<const uint8_t>& send,
                      protocol::RewriteError& error);
  // SHOW STATS counters of one rewrite (client and server Parses, Binds).
  void add_rewrite_stats(const protocol::RewriteContext& ctx);
  // With no server linked, a chunk of only Close (named statements), Sync and Flush is answered by
  // the pooler: CloseComplete and ReadyForQuery 'I' into `answer` (nothing is pending on any
  // server then). False for anything else.
  bool answer_closes_locally(std::string& answer);
  // The server said a CommandComplete; DEALLOCATE ALL / DISCARD ALL empty both maps.
  void note_command_complete(std::span<const uint8_t> body);
  // The server's ReadyForQuery: replies of the finished segment that never came are forgotten.
  void note_segment_done();
  void reset_prepared_link();
  // The invisible retry of a request that failed on a stale prepared statement (26000, or 0A000
  // "cached plan must not change result type"): armed when a lone request outside a transaction
  // uses named statements; while armed the server's first answers are held back, and the client's
  // next bytes wait.
  void arm_retry();
  bool retriable_error(std::span<const uint8_t> error_body) const;
  // The request again, with its statements prepared afresh on the server.
  std::string retry_request_bytes();
  void end_retry();
  std::string prefix() const;

  Shard& shard_;
  DaemonContext& ctx_;
  Socket client_;
  std::unique_ptr<TlsChannel> client_tls_;  // after SSLRequest 'S'; destroyed before client_
  ClientOrigin origin_;
  uint64_t id_;
  std::chrono::steady_clock::time_point connected_at_;
  std::shared_ptr<const RuntimeConfig> runtime_;

  // Login results.
  std::string user_, database_;
  // What authentication learnt for routing; only while logging in, and only when there is some.
  struct LoginSecrets {
    // Set by a SCRAM login against a stored verifier: the keys for pass-through to servers that
    // log in with that same verifier (`auth_secret`).
    std::optional<crypto::ScramKeys> scram_keys;
    std::optional<std::string> dynamic_secret;  // from auth_query, for this login user
    std::string auth_secret;
  };
  std::unique_ptr<LoginSecrets> login_secrets_;  // freed when login ends
  LoginSecrets& login_secrets() {
    if (!login_secrets_) login_secrets_ = std::make_unique<LoginSecrets>();
    return *login_secrets_;
  }
  std::shared_ptr<Pool> pool_;
  ShardStats* stats_ = nullptr;  // pool_'s statistics slot for this shard
  // Tracked parameters as the client should see them; names: runtime_->tracked_params.
  ClientParams client_params_;
  uint64_t client_key_ = 0;  // tracked_key of client_params_, when client_key_valid_

  // Link to a server. The socket, the server's scanner and wakeup_ are allocated at the first link
  // (and reused by later ones): a client that never sends anything does not pay for them.
  std::unique_ptr<ServerConnection> server_;
  Socket* server_sock_ = nullptr;  // server_'s socket, registered with this shard
  HeapOptional<protocol::StreamScanner> client_scanner_;  // from the start of client_loop
  HeapOptional<protocol::StreamScanner> server_scanner_;  // while linked
  // Protocol-level prepared statements (max_prepared_statements > 0 in a pool mode that gives
  // servers back): the client's stream is framed and rewritten, the server's answers filtered.
  // Allocated at the client's first bytes, so a client that never sends anything does not pay.
  enum class Retry : uint8_t { Off, Armed, Swallowing };
  static constexpr size_t kMaxRetryBytes = size_t{64} * 1024;  // request kept, answers held
  struct Prepared {
    explicit Prepared(uint32_t max_packet) : framer("PBDC", max_packet) {}
    protocol::FrontendFramer framer;
    std::vector<protocol::FramedPiece> pieces;  // of the chunk being relayed
    protocol::ClientStatements statements;      // this client's named statements
    protocol::ReplyQueue replies;               // answers to Parse/Close still to come
    protocol::HeldHeader held;                  // server bytes held back from the last chunk
    uint64_t sent_segments = 0;                 // Sync/Query/FunctionCall sent on this link
    uint64_t done_segments = 0;                 // ReadyForQuery received on this link
    bool segment_open = false;  // bytes of a Sync segment were sent, its Sync not yet
    size_t capacity = 200;      // max_prepared_statements at link time
    Retry retry = Retry::Off;
    std::string retry_request;  // the armed request as the client sent it
    std::string retry_held;     // the server's answers to it, held back
  };
  std::unique_ptr<Prepared> ps_;
  uint32_t outstanding_ = 0;  // client requests (Query/Sync/FunctionCall) awaiting ReadyForQuery
  char tx_status_ = 'I';
  bool server_loop_running_ = false;  // the server coroutine is serving a link (not parked)
  bool client_writing_ = false;       // the client loop is writing to the server socket
  bool unlinking_ = false;            // finish_server is giving the server back
  bool finish_waiting_ = false;       // finish_server waits on wakeup_ for client_writing_ to clear
  bool track_statements_ = false;     // decided at the end of the login
  bool idle_waiting_ = false;         // client_loop waits for the client's next bytes
  bool hibernate_ = false;            // the janitor ended that wait: the relay hibernates
  // Flags and small fields of the whole session, together (no padding holes: every connected
  // client has one of these objects).
  bool logging_in_ = false;       // in login(), under client_login_timeout
  bool welcome_waiting_ = false;  // the login waits for the pool's first server (the welcome)
  bool login_timed_out_ = false;  // client_login_timeout passed during login(): it fails
  bool relaying_ = false;         // logged in, in client_loop
  bool console_ = false;          // logged in to the admin console
  bool link_waited_ = false;      // the last link queued for a server
  bool suspender_ = false;        // this console client issued SUSPEND
  bool console_admin_ = false;    // in admin_users (else stats_users: SHOW only)
  bool own_uid_admin_ = false;    // "pgbouncer" over the Unix socket with the daemon's uid
  bool wait_notified_ = false;    // query_wait_notify sent for this wait
  bool fatal_pending_ = false;    // kill(): send FATAL close_reason_ once the loops are done
  bool client_gone_ = false;
  bool server_broken_ = false;
  bool client_key_valid_ = false;
  bool counted_ = false;                      // counted in ctx_.client_count
  bool db_counted_ = false;                   // counted in ctx_.db_clients under database_
  bool user_counted_ = false;                 // counted in ctx_.user_clients under user_
  uint32_t cancel_pid_ = 0, cancel_key_ = 0;  // the BackendKeyData this client was given
  // Wakes the one coroutine that waits for the other: finish_server (server loop) for a client
  // write to end, or the ending client loop for the server loop to finish. The two waits never
  // overlap, and each re-checks its condition. Created at the first link.
  // Also holds the server coroutine between links (after the first link, until the session ends):
  // it keeps no reference to the session meanwhile, so a session that ends destroys it with itself.
  struct Wakeup {
    explicit Wakeup(asio::io_context& io) : timer(io) {}
    SteadyTimer timer;
    std::optional<ServerWake> server_parked;
  };
  HeapOptional<Wakeup> wakeup_;
  // Timestamps the janitor reads (client_timeouts.cpp). kNever = not running.
  static constexpr std::chrono::steady_clock::time_point kNever{};
  std::chrono::steady_clock::time_point last_active_{};      // last bytes from the client
  std::chrono::steady_clock::time_point request_started_{};  // first outstanding request
  std::chrono::steady_clock::time_point xact_started_{};     // transaction (or query) start
  std::chrono::steady_clock::time_point ready_at_{};         // last ReadyForQuery
  std::chrono::steady_clock::time_point waiting_since_{};    // queued for a server
  LazyString close_reason_;  // set when the session is closed for a reason (timeout, KILL...)
};

}  // namespace sluice
