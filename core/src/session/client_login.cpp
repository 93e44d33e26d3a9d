// Client login: startup packet, SSL/GSS negotiation, CancelRequest, authentication through the
// configured auth-method plugin, routing to a pool, and the welcome messages.
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "crypto/random.hpp"
#include "plugin/registry.hpp"
#include "pool/pool_manager.hpp"
#include "protocol/backend_messages.hpp"
#include "protocol/message_builder.hpp"
#include "protocol/startup_decoder.hpp"
#include "server/message_io.hpp"
#include "server/shard.hpp"
#include "server/tls_channel.hpp"
#include "session/cancel_registry.hpp"
#include "session/client_session.hpp"
#include "session/pool_route.hpp"
#include "sluice/build_flags.h"

namespace sluice {

using namespace std::string_view_literals;

const std::string* ClientSession::tracked_name(std::string_view name) const {
  for (const auto& t : *client_params_.names()) {
    // The length first, inline: most names differ in it, and iequals is a call into another unit.
    if (t.size() == name.size() && config::iequals(t, name)) return &t;
  }
  return nullptr;
}

Awaitable<void> ClientSession::send_fatal(std::string_view sqlstate, std::string_view message) {
  fatal_pending_ = false;  // one FATAL per client: end_session sends none after this one
  if (runtime_ && runtime_->log_pooler_errors)
    spdlog::warn("{}pooler error: {}", prefix(), message);
  std::string out;
  protocol::append_error(out, "FATAL", sqlstate, message);
  boost::system::error_code ec;
  if (client_tls_) {
    co_await tls_write_all(client_, *client_tls_, as_bytes(out), ec);
    if (!ec) client_tls_->shutdown();
  } else {
    co_await asio::async_write(client_, asio::buffer(out), asio::redirect_error(kUseAwaitable, ec));
  }
  close_reason_ = std::string(message);
}

Awaitable<bool> ClientSession::start_client_tls() {
  co_await write_all(client_, "S");
  try {
    client_tls_ = std::make_unique<TlsChannel>(runtime_->client_tls.get(), client_.native_handle(),
                                               TlsChannel::Role::kAccept);
    co_await tls_handshake(client_, *client_tls_);
  } catch (const boost::system::system_error&) {
    throw;  // a timeout (cancelled wait) or the client went away
  } catch (const std::exception& e) {
    // No FATAL: the client speaks TLS and we could not; PgBouncer just closes too.
    spdlog::info("{}{}", prefix(), e.what());
    close_reason_ = e.what();
    client_tls_.reset();
    co_return false;
  }
  co_return true;
}

Awaitable<bool> ClientSession::login() {
  std::string buf;
  std::array<uint8_t, 1024> tmp;
  protocol::StartupPacket packet;
  for (;;) {
    auto r = protocol::decode_startup(as_bytes(buf));
    if (r.status == protocol::DecodeStatus::NeedMore) {
      size_t n = co_await read_some(client_, client_tls_.get(), tmp);
      buf.append(reinterpret_cast<const char*>(tmp.data()), n);
      continue;
    }
    if (r.status == protocol::DecodeStatus::Error) {
      co_await send_fatal("08P01", r.error);
      co_return false;
    }
    buf.erase(0, r.consumed);
    if (r.packet.kind == protocol::StartupKind::SslRequest ||
        r.packet.kind == protocol::StartupKind::GssEncRequest) {
      // Bytes after SSLRequest before our answer: a confused client, or plain text injected
      // ahead of the handshake (CVE-2021-23214): never taken as if they came over TLS.
      if (!buf.empty()) {
        co_await send_fatal("08P01", "unexpected data after SSLRequest");
        co_return false;
      }
      if (r.packet.kind == protocol::StartupKind::SslRequest && client_tls_) {
        close_reason_ = "SSL req inside SSL";
        co_return false;
      }
      // TLS when client_tls_sslmode is not disable, never on the Unix socket; GSS encryption is
      // never offered. 'N': the client goes on in plain text (or gives up).
      if (r.packet.kind == protocol::StartupKind::SslRequest && runtime_->client_tls &&
          !origin_.is_unix) {
        if (!co_await start_client_tls()) co_return false;
        continue;
      }
      co_await write_all(client_, client_tls_.get(), "N");
      continue;
    }
    if (r.packet.kind == protocol::StartupKind::Cancel) {
      co_await handle_cancel(r.packet.cancel_pid, r.packet.cancel_key);
      co_return false;
    }
    packet = std::move(r.packet);
    if (!buf.empty()) {
      co_await send_fatal("08P01", "unexpected data after startup packet");
      co_return false;
    }
    break;
  }
  // client_tls_sslmode require and above: TCP clients must have said SSLRequest first.
  if (runtime_->client_tls_required && !client_tls_ && !origin_.is_unix) {
    co_await send_fatal("08P01", "SSL required");
    co_return false;
  }

  user_ = *packet.find("user");
  const std::string* db = packet.find("database");
  database_ = (db && !db->empty()) ? *db : user_;

  if (ctx_.shutting_down) {
    co_await send_fatal("08P01", "pooler is shutting down");
    co_return false;
  }
  counted_ = true;
  int clients = ++ctx_.client_count;
  if (clients > runtime_->max_client_conn) {
    co_await send_fatal("08P01", "no more connections allowed (max_client_conn)");
    co_return false;
  }

  // Startup parameters: the tracked ones are remembered, the rest refused unless ignored.
  client_params_.set_names(&runtime_->tracked_params);
  std::vector<std::string> unknown_protocol_options;
  for (const auto& [name, value] : packet.params) {
    // string_view comparisons: the length first (std::string == const char* runs strlen and
    // compare for each; about 700 instructions per login in all).
    if (name == "user"sv || name == "database"sv || name == "replication"sv) continue;
    if (name.starts_with("_pq_.")) {
      unknown_protocol_options.push_back(name);
      continue;
    }
    if (const std::string* tracked = tracked_name(name)) {
      set_param(client_params_, *tracked, value);
      continue;
    }
    if (std::ranges::any_of(runtime_->ignore_startup_parameters,
                            [&param = name](const std::string& ignored) {
                              return config::iequals(ignored, param);
                            }))
      continue;
    if (name == "options"sv && value.empty()) continue;
    co_await send_fatal("08P01", "unsupported startup parameter: " + name);
    co_return false;
  }
  if (const std::string* repl = packet.find("replication");
      repl && !config::iequals(*repl, "false") && !config::iequals(*repl, "off") && *repl != "0") {
    co_await send_fatal("08P01", "replication connections are not supported yet");
    co_return false;
  }

  if (runtime_->log_connections) {
    const std::string tls = client_tls_ ? client_tls_->describe() : std::string("no");
    spdlog::info("{}login attempt: db={} user={} tls={} replication=no", prefix(), database_, user_,
                 tls);
  }

  if (packet.minor > 0 || !unknown_protocol_options.empty()) {
    // We speak 3.0: tell the client, it then carries on with 3.0 (protocol docs §55.2.1).
    std::string out;
    protocol::append_negotiate_protocol_version(out, 0, unknown_protocol_options);
    co_await write_all(client_, client_tls_.get(), out);
  }

  if (!co_await authenticate(user_, database_)) co_return false;
  co_return co_await route_and_welcome();
}

Awaitable<bool> ClientSession::authenticate(const std::string& user, const std::string& database) {
  std::string auth_type = runtime_->auth_type;
  // PgBouncer's own-uid admin path: user "pgbouncer" on database "pgbouncer" over the Unix socket
  // from a process running as the daemon's own uid is an admin without a password.
  if (database == "pgbouncer"sv && user == "pgbouncer"sv) {
    if (const auto uid = peer_uid(); uid && *uid == ::geteuid()) {
      own_uid_admin_ = true;
      co_return true;
    }
  }
  bool hba_picked = false;
  if (auth_type == "hba"sv) {
    hba_picked = true;
    // The first matching line of auth_hba_file picks the method (reference §3.4).
    config::HbaConnection conn;
    conn.is_unix = origin_.is_unix;
    conn.is_tls = client_tls_ != nullptr;
    conn.address = origin_.addr;
    conn.database = database;
    conn.user = user;
    const config::HbaRule* rule = runtime_->hba ? runtime_->hba->match(conn) : nullptr;
    if (!rule) {
      co_await send_fatal("08P01", "no authentication method is found");
      co_return false;
    }
    spdlog::debug("{}HBA line {} matched: {}", prefix(), rule->line,
                  config::hba_method_name(rule->method));
    if (rule->method == config::HbaMethod::Reject) {
      co_await send_fatal("08P01", "login rejected");
      co_return false;
    }
    if (rule->method == config::HbaMethod::Peer) {
      if (peer_allowed(user, rule->map)) co_return true;
      co_await send_fatal("08P01", "unix socket login rejected");
      co_return false;
    }
    if (rule->method == config::HbaMethod::Cert)
      co_return co_await authenticate_cert(user, rule->map);
    auth_type = std::string(config::hba_method_auth_type(rule->method));
  }
  if (auth_type == "cert"sv) co_return co_await authenticate_cert(user, {});
  const sluice_auth_method_vtable* method =
      hba_picked ? runtime_->plugins->auth_method(auth_type) : runtime_->auth_method;
  if (!method) {
    co_await send_fatal(
        "08P01", "auth_type " + auth_type + " is not available: no loaded plugin provides it");
    co_return false;
  }
  const auto& users = *runtime_->userlist;
  auto it = users.find(user);
  // Not in auth_file: ask PostgreSQL with auth_query when an auth_user is configured.
  if (it == users.end() && auth_type != "any"sv) {
    AuthQueryResult q = co_await run_auth_query(user, database);
    if (q.kind == AuthQueryResult::Kind::Failed) {
      co_await send_fatal("08P01", q.error);
      co_return false;
    }
    if (q.kind == AuthQueryResult::Kind::NoSuchUser) {
      spdlog::info("{}no such user: {}", prefix(), user);
      co_await send_fatal("08P01", "no such user");
      co_return false;
    }
    if (q.kind == AuthQueryResult::Kind::Found)
      login_secrets().dynamic_secret = std::move(q.secret);
  }
  std::string addr = origin_.is_unix ? "unix" : origin_.addr;

  sluice_auth_request req{};
  req.struct_size = sizeof req;
  req.user = user.c_str();
  req.database = database.c_str();
  req.secret = it != users.end() ? it->second.c_str()
               : login_secrets_ && login_secrets_->dynamic_secret
                   ? login_secrets_->dynamic_secret->c_str()
                   : nullptr;
  req.client_addr = addr.c_str();
  req.is_unix_socket = origin_.is_unix ? 1 : 0;
  req.is_tls = client_tls_ ? 1 : 0;

  sluice_auth_output out{};
  out.struct_size = sizeof out;
  void* state = nullptr;
  if (method->begin(method->ctx, &req, &state, &out) != SLUICE_OK) {
    co_await send_fatal("08P01", "authentication failed: auth plugin error");
    co_return false;
  }
  struct EndGuard {
    const sluice_auth_method_vtable* m;
    void* s;
    ~EndGuard() { m->end(m->ctx, s); }
  } guard{method, state};

  for (;;) {
    if (out.result == SLUICE_AUTH_OK) {
      const std::string last = finish_authentication(out, req.secret);
      if (const auto rest = write_now(client_, client_tls_.get(), last); !rest.empty())
        co_await write_all(client_, client_tls_.get(), rest);
      break;
    }
    if (out.result == SLUICE_AUTH_FAIL) {
      std::string msg = out.error_message ? out.error_message : "authentication failed";
      std::string code = out.error_sqlstate ? out.error_sqlstate : "08P01";
      co_await send_fatal(code, msg);
      co_return false;
    }
    std::string msg;
    protocol::MessageBuilder(msg)
        .begin(static_cast<char>(out.message_type))
        .bytes(std::span<const uint8_t>(out.payload, out.payload_len))
        .end();
    if (const auto rest = write_now(client_, client_tls_.get(), msg); !rest.empty())
      co_await write_all(client_, client_tls_.get(), rest);
    // A password packet is small; PostgreSQL caps authentication packets similarly.
    Message reply = co_await read_message(client_, client_tls_.get(), 65536);
    if (reply.type == 'X') co_return false;
    out = sluice_auth_output{};
    out.struct_size = sizeof out;
    if (method->step(method->ctx, state, static_cast<uint8_t>(reply.type), reply.bytes().data(),
                     static_cast<uint32_t>(reply.body.size()), &out) != SLUICE_OK) {
      co_await send_fatal("08P01", "authentication failed: auth plugin error");
      co_return false;
    }
  }
  co_return true;
}

// PgBouncer's checks and texts (login_via_cert): TLS, a certificate the handshake verified against
// client_tls_ca_file, and its subject CN equal to the user (or mapped to it by `map`).
Awaitable<bool> ClientSession::authenticate_cert(const std::string& user, const std::string& map) {
  if (!client_tls_) {
    co_await send_fatal("08P01", "TLS connection required");
    co_return false;
  }
  if (!client_tls_->peer_certificate_present()) {
    co_await send_fatal("08P01", "TLS client certificate required");
    co_return false;
  }
  const std::optional<std::string> cn = client_tls_->peer_common_name();
  if (!cn) {
    co_await send_fatal("08P01", "Invalid TLS certificate");
    co_return false;
  }
  const bool ok =
      map.empty() ? *cn == user : runtime_->ident && runtime_->ident->allows(map, *cn, user);
  if (!ok) {
    spdlog::info("{}TLS certificate CN {} does not match user {}", prefix(), *cn, user);
    co_await send_fatal("08P01", "TLS certificate name mismatch");
    co_return false;
  }
  co_return true;
}

// The uid of the process at the other end of a Unix socket (SO_PEERCRED); nullopt over TCP.
std::optional<uid_t> ClientSession::peer_uid() {
  if (!origin_.is_unix) return std::nullopt;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(client_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return std::nullopt;
  return cred.uid;
}

// hba "peer": the Unix socket's peer uid (SO_PEERCRED) names an OS user that must be the login
// user, or be mapped to it by `map` in auth_ident_file.
bool ClientSession::peer_allowed(const std::string& user, const std::string& map) {
  const auto uid = peer_uid();
  if (!uid) return false;
  passwd pw{};
  passwd* found = nullptr;
  std::array<char, 4096> buf{};
  if (::getpwuid_r(*uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return false;
  const std::string os_user = found->pw_name;
  const bool ok = map.empty() ? os_user == user
                              : runtime_->ident && runtime_->ident->allows(map, os_user, user);
  if (!ok)
    spdlog::info("{}peer authentication failed: OS user {} is not {}", prefix(), os_user, user);
  return ok;
}

// ABI 0.3 fields of a successful auth output: SCRAM keys for pass-through, kept here, and a last
// message (SASLFinal) to send before AuthenticationOk, returned ("" if none). Read only when the
// plugin's struct reaches them. Not a coroutine: most logins have nothing to send, and a coroutine
// frame would be allocated for each of them.
std::string ClientSession::finish_authentication(const sluice_auth_output& out,
                                                 const char* secret) {
  if (out.struct_size >= SLUICE_SIZE_THROUGH(sluice_auth_output, scram_server_key) &&
      out.scram_client_key && out.scram_server_key && secret) {
    crypto::ScramKeys keys;
    std::copy_n(out.scram_client_key, keys.client_key.size(), keys.client_key.begin());
    std::copy_n(out.scram_server_key, keys.server_key.size(), keys.server_key.begin());
    login_secrets().scram_keys = keys;
    login_secrets().auth_secret = secret;
  }
  std::string msg;
  if (out.struct_size >= SLUICE_SIZE_THROUGH(sluice_auth_output, ok_payload_len) &&
      out.ok_message_type != 0) {
    protocol::MessageBuilder(msg)
        .begin(static_cast<char>(out.ok_message_type))
        .bytes(std::span<const uint8_t>(out.ok_payload, out.ok_payload_len))
        .end();
  }
  return msg;
}

Awaitable<bool> ClientSession::route_and_welcome() {
  const config::Config& cfg = *runtime_->config;
  // "pgbouncer" is reserved for the admin console and never routed to a server (not even by "*").
  if (database_ == "pgbouncer"sv) co_return co_await console_welcome();
  // The entry, else "*" adapted to the name: the routing RELOAD also uses (pool_route.cpp). An
  // entry of its own is used in place: copying it (strings, startup parameters) is only needed
  // to adapt "*".
  config::DatabaseEntry routed;
  const config::DatabaseEntry* entry = cfg.find_database(database_);
  if (!entry && find_database_entry(cfg, database_, &routed)) entry = &routed;
  // Reported after authentication so that unauthenticated clients cannot probe names (1.17+).
  if (!entry) {
    co_await send_fatal("08P01", "no such database: " + database_);
    co_return false;
  }

  if (ctx_.pools().disabled(entry->name)) {
    co_await send_fatal("08P01", "database \"" + entry->name + "\" is disabled");
    co_return false;
  }
  // Client limits per database and per login user (1.24), checked after authentication.
  const config::UserEntry* user_entry = nullptr;
  if (auto ue = cfg.users().find(user_); ue != cfg.users().end()) user_entry = &ue->second;
  int max_db_clients = entry->max_db_client_connections >= 0 ? entry->max_db_client_connections
                                                             : runtime_->max_db_client_connections;
  if (!ctx_.db_clients.try_take(database_, max_db_clients)) {
    co_await send_fatal("08P01", "client connections exceeded (max_db_client_connections)");
    co_return false;
  }
  db_counted_ = true;
  int max_user_clients = user_entry && user_entry->max_user_client_connections >= 0
                             ? user_entry->max_user_client_connections
                             : runtime_->max_user_client_connections;
  if (!ctx_.user_clients.try_take(user_, max_user_clients)) {
    co_await send_fatal("08P01", "client connections exceeded (max_user_client_connections)");
    co_return false;
  }
  user_counted_ = true;

  // auth_type=any ignores the login user, so the server user must come from the entry. The
  // client gets PgBouncer's generic text; the reason goes to the log.
  if (entry->user.empty() && runtime_->auth_type == "any"sv) {
    spdlog::error("{}auth_type=any requires forced user (database {})", prefix(), entry->name);
    co_await send_fatal("08P01", "bouncer config error");
    co_return false;
  }

  // The route's fields a login needs (route_pool's rules); its whole PoolSettings, a dozen string
  // copies, only when the pool does not exist yet.
  const std::string& server_user = route_server_user(*entry, user_);
  const bool forced_user = !entry->user.empty();
  // A user auth_query found logs into servers with the secret it returned.
  const LoginSecrets* secrets = login_secrets_.get();
  const bool dynamic_password =
      secrets && secrets->dynamic_secret && !forced_user && entry->password.empty();
  const std::string* password =
      dynamic_password ? &*secrets->dynamic_secret : route_password(*runtime_, *entry, server_user);
  // Found as find_or_create would find it: by (database, server user).
  pool_ = ctx_.pools().find(entry->name, server_user);
  if (!pool_) {
    PoolRoute route = route_pool(*runtime_, *entry, user_);
    // The configuration was checked against the loaded plugins (check_supported), so this is a
    // last guard; an existing pool's mode was resolved when it was made.
    if (!route.settings.pool_mode) {
      co_await send_fatal("08P01", "pool_mode " + route.settings.pool_mode_name +
                                       " is not available: no loaded plugin provides it");
      co_return false;
    }
    if (dynamic_password) route.settings.password = *password;
    pool_ = ctx_.pools().find_or_create(route.settings, route.max_db_connections,
                                        route.max_user_connections);
  }
  pool_->add_client();
  // SCRAM pass-through: this client proved it knows the verifier's password, and the pool's
  // servers log in as the same user with the same verifier.
  if (secrets && secrets->scram_keys && !forced_user && server_user == user_ &&
      (password ? std::string_view(*password) : std::string_view()) == secrets->auth_secret)
    pool_->set_scram_keys(*secrets->scram_keys);
  stats_ = &pool_->stats().shard(shard_.index());

  // The welcome (server ParameterStatus values) comes from the pool's first server login, so the
  // clients of a new pool wait for that login (all of them get the welcome when it succeeds).
  const std::vector<std::string>& tracked = runtime_->tracked_params;
  const WelcomeView* welcome = pool_->welcome_view(tracked);
  if (!welcome) {
    if (!co_await wait_for_welcome()) co_return false;
    welcome = pool_->welcome_view(tracked);
    if (!welcome) {  // not expected: the wait ends without an error only once it is known
      co_await send_fatal("08P01", "server login failed: no welcome");
      co_return false;
    }
  }

  std::string out;
  // AuthenticationOk, BackendKeyData, ReadyForQuery; the tracked values (the client's own may be
  // longer than the welcome's).
  out.reserve(64 + welcome->untracked_status.size() + 512);
  protocol::append_authentication_ok(out);
  out += welcome->untracked_status;
  // Tracked parameters: the client's own value, else the server's (PgBouncer's varcache), which
  // the client's copy refers to rather than stores.
  client_params_.set_defaults(&welcome->tracked);
  // One walk through the values in tracked-name order (a find per name: ~500 instructions more).
  client_params_.visit([&out](std::string_view name, std::optional<std::string_view> value) {
    if (value) protocol::append_parameter_status(out, name, *value);
  });
  // A pooler-made cancel key: the client never learns a server's key (reference §5.4).
  std::array<uint8_t, 8> key;
  crypto::random_bytes(key);
  key[0] &= 0x7f;  // keep the "pid" positive
  cancel_pid_ =
      (uint32_t{key[0]} << 24) | (uint32_t{key[1]} << 16) | (uint32_t{key[2]} << 8) | key[3];
  cancel_key_ =
      (uint32_t{key[4]} << 24) | (uint32_t{key[5]} << 16) | (uint32_t{key[6]} << 8) | key[7];
  ctx_.cancels().add(cancel_pid_, cancel_key_, this);
  protocol::append_backend_key_data(out, cancel_pid_, cancel_key_);
  protocol::append_ready_for_query(out, 'I');
  if (const auto rest = write_now(client_, client_tls_.get(), out); !rest.empty())
    co_await write_all(client_, client_tls_.get(), rest);
  co_return true;
}

// The wait for the pool's welcome is bounded as PgBouncer bounds its wait-for-welcome clients:
// by query_timeout and query_wait_timeout (this user's), and by client_login_timeout from the
// client's connect, "client_login_timeout (server down)" (the janitor's own client_login_timeout
// leaves such a login to the pool, which ends the wait: on_janitor). The earliest deadline names
// the error.
Awaitable<bool> ClientSession::wait_for_welcome() {
  const SessionTimeouts& t = runtime_->timeouts_for(user_);
  double wait = 0;
  const char* timeout_message = "query_wait_timeout";
  auto bound = [&wait, &timeout_message](double seconds, const char* message) {
    if (seconds > 0 && (wait <= 0 || seconds < wait)) {
      wait = seconds;
      timeout_message = message;
    }
  };
  bound(t.query_timeout, "query_timeout");  // first: it names an equal deadline, as in PgBouncer
  bound(t.query_wait_timeout, "query_wait_timeout");
  if (const double login_timeout = runtime_->client_login_timeout; login_timeout > 0) {
    const double left =
        login_timeout -
        std::chrono::duration<double>(std::chrono::steady_clock::now() - connected_at_).count();
    bound(std::max(left, 0.001), "client_login_timeout (server down)");
  }
  welcome_waiting_ = true;
  AcquireResult r = co_await pool_->wait_for_welcome(wait, &shard_.io(), timeout_message);
  if (r.server) pool_->release(std::move(r.server));  // not expected: servers come with a welcome
  if (r.error) {
    // welcome_waiting_ stays set: the janitor must not add its own FATAL to this one (it could
    // run while send_fatal's write is under way, after the same deadline).
    const ServerError error = r.take_error();
    // No conditional std::string temporary inside co_await: g++ 12 destroys it twice.
    std::string_view code = error.sqlstate.empty() ? std::string_view("08P01") : error.sqlstate;
    co_await send_fatal(code, error.message);
    co_return false;
  }
  welcome_waiting_ = false;
  co_return true;
}

Awaitable<void> ClientSession::handle_cancel(uint32_t pid, uint32_t key) {
  if (auto target = ctx_.cancels().find(pid, key)) {
    request_cancel(std::move(target));  // no reference to it stays on this shard
  } else {
    spdlog::debug("{}cancel request for unknown key ignored", prefix());
  }
  close_reason_ = "cancel request";
  co_return;  // PostgreSQL answers nothing; the connection just closes
}

}  // namespace sluice
