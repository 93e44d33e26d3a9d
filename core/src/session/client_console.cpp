// The admin console: a client of the virtual database "pgbouncer" talks to the pooler itself.
// Simple query protocol; each command goes to the admin-command plugin extension of the same
// name (plugins/admin_show for SHOW ...), a few are answered here: RELOAD, and the fake
// SHOW/SET of session parameters that drivers send.
#include <spdlog/spdlog.h>
#include <strings.h>

#include "admin/console_command.hpp"
#include "admin/result_builder.hpp"
#include "admin/socket_row.hpp"
#include "admin/state_source.hpp"
#include "plugin/registry.hpp"
#include "pool/pool_manager.hpp"
#include "protocol/backend_messages.hpp"
#include "server/message_io.hpp"
#include "server/shard.hpp"
#include "server/tls_channel.hpp"
#include "session/client_session.hpp"

namespace sluice {

namespace {

bool in_list(const std::string& list, const std::string& user) {
  for (const auto& u : config::split_list(list)) {
    if (u == user) return true;
  }
  return false;
}

// Parameters drivers ask the console about, with PgBouncer's fixed answers.
const char* fake_param(const std::string& name) {
  static const std::pair<const char*, const char*> kParams[] = {
      {"client_encoding", "UTF-8"},
      {"default_transaction_isolation", "read committed"},
      {"standard_conforming_strings", "on"},
      {"datestyle", "ISO"},
      {"timezone", "GMT"}};
  for (const auto& [k, v] : kParams) {
    if (::strcasecmp(k, name.c_str()) == 0) return v;
  }
  return nullptr;
}

// The client and server rows of one shard, read on that shard's thread. A plain coroutine
// function rather than a lambda: see kill_on_shard in client_console_control.cpp.
Awaitable<admin::SocketSnapshot> describe_shard(Shard* sh) {
  admin::SocketSnapshot snap;
  sh->sessions().for_each([&](ShardMember& m) { m.describe(snap.clients, snap.servers); });
  co_return snap;
}

// Commands that only admin_users may run (everything but SHOW).
bool needs_admin(const admin::ConsoleCommand& c) {
  return c.verb != "SHOW";
}

}  // namespace

void ClientSession::describe(std::vector<SocketRow>& clients,
                             std::vector<SocketRow>& servers) const {
  if (!relaying_ && !console_) return;  // login-phase clients are not listed (PgBouncer)
  const auto now = std::chrono::steady_clock::now();
  SocketRow c;
  c.type = 'C';
  c.user = user_;
  c.database = database_;
  c.state = waiting_since_ != kNever ? "waiting" : server_ ? "active" : "idle";
  c.addr = origin_.is_unix ? "unix" : origin_.addr;
  c.port = origin_.port;
  local_address(const_cast<Socket&>(client_).native_handle(), &c.local_addr, &c.local_port);
  c.connect_time_us = wall_us(connected_at_);
  c.request_time_us = wall_us(last_active_);
  if (waiting_since_ != kNever) {
    c.wait_us = std::chrono::duration_cast<std::chrono::microseconds>(now - waiting_since_).count();
  } else if (request_started_ != kNever) {
    c.wait_us =
        std::chrono::duration_cast<std::chrono::microseconds>(now - request_started_).count();
  }
  c.ptr = id_;
  if (client_tls_) c.tls = client_tls_->describe();
  if (const auto app = find_param(client_params_, "application_name"))
    c.application_name = std::string(*app);
  c.id = static_cast<int64_t>(id_);
  c.prepared_statements = ps_ ? static_cast<int32_t>(ps_->statements.size()) : 0;
  if (server_) {
    c.link = server_->id;
    SocketRow s;
    s.type = 'S';
    s.user = pool_->settings().user;
    s.database = pool_->settings().database;
    s.state = "active";
    s.addr = server_->address.family == AF_UNIX ? "unix" : server_->address.host;
    s.port = server_->address.port;
    if (server_sock_) {
      local_address(const_cast<Socket&>(*server_sock_).native_handle(), &s.local_addr,
                    &s.local_port);
    }
    if (server_->tls) s.tls = server_->tls->describe();
    s.connect_time_us = wall_us(server_->connected_at);
    s.request_time_us = c.request_time_us;
    s.close_needed = server_->close_needed ? 1 : 0;
    s.ptr = server_->id;
    s.link = id_;
    s.remote_pid = static_cast<int32_t>(server_->backend_pid);
    s.prepared_statements = static_cast<int32_t>(server_->statements.size());
    if (const std::string* app = find_param(server_->params, "application_name"))
      s.application_name = *app;
    s.id = static_cast<int64_t>(server_->id);
    servers.push_back(std::move(s));
  }
  clients.push_back(std::move(c));
}

bool ClientSession::admin_kill(const std::string& database, uint64_t id) {
  if (id != 0) {
    if (id_ != id) return false;
  } else if (console_ || (!database.empty() && database_ != database)) {
    return false;
  }
  if (console_) {
    close_client("killed by admin console");
    return true;
  }
  if (!relaying_) return false;  // still logging in: not a listed client
  kill("killed by admin console");
  return true;
}

// The admin welcome: PgBouncer's fixed parameter set, a cancel key, ReadyForQuery.
Awaitable<bool> ClientSession::console_welcome() {
  const config::Config& cfg = *runtime_->config;
  console_admin_ = own_uid_admin_ || in_list(cfg.str("admin_users"), user_);
  if (!console_admin_ && !in_list(cfg.str("stats_users"), user_)) {
    co_await send_fatal("08P01", "not allowed");
    co_return false;
  }
  console_ = true;
  ++ctx_.console_clients;
  std::string out;
  protocol::append_authentication_ok(out);
  protocol::append_parameter_status(out, "server_version", admin::kCompatibleVersion + "/bouncer");
  protocol::append_parameter_status(out, "client_encoding", "UTF8");
  protocol::append_parameter_status(out, "server_encoding", "UTF8");
  protocol::append_parameter_status(out, "DateStyle", "ISO");
  protocol::append_parameter_status(out, "TimeZone", "GMT");
  protocol::append_parameter_status(out, "standard_conforming_strings", "on");
  protocol::append_parameter_status(out, "is_superuser", "on");
  if (const auto app = find_param(client_params_, "application_name"))
    protocol::append_parameter_status(out, "application_name", *app);
  protocol::append_backend_key_data(out, 0, 0);
  protocol::append_ready_for_query(out, 'I');
  co_await write_all(client_, client_tls_.get(), out);
  co_return true;
}

Awaitable<void> ClientSession::console_loop() {
  last_active_ = std::chrono::steady_clock::now();
  for (;;) {
    Message m = co_await read_message(client_, client_tls_.get(), 1 << 20);
    last_active_ = std::chrono::steady_clock::now();
    if (m.type == 'X') co_return;
    if (m.type != 'Q') {
      // Parse/Bind/Describe/Execute/Sync...: handled until the client sends a simple Query.
      if (!co_await console_extended(m)) co_return;
      if (m.type != 'Q') co_return;
    }
    std::string query(m.body.data(),
                      m.body.find('\0') == std::string::npos ? m.body.size() : m.body.find('\0'));
    admin::ResultBuilder result;
    co_await console_execute(query, result);
    if (result.no_reply()) co_return;
    std::string out = result.render();
    protocol::append_ready_for_query(out, 'I');
    co_await write_all(client_, client_tls_.get(), out);
  }
}

Awaitable<void> ClientSession::console_execute(const std::string& query,
                                               admin::ResultBuilder& result) {
  std::string error;
  auto cmd = admin::parse_console_command(query, &error);
  if (!cmd) {
    result.set_error("08P01", error);
    co_return;
  }
  if (cmd->verb == "SHOW") {
    std::string lower = cmd->argument;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const char* v = cmd->value.empty() ? fake_param(lower) : nullptr;
    if (v) {
      result.add_column(lower, SLUICE_TYPE_TEXT);
      result.add_row({std::string(v)});
      result.set_tag("SHOW");
      co_return;
    }
  }
  if (cmd->verb == "SET" && fake_param(cmd->argument)) {
    result.add_notice("SET ignored", "");
    result.set_tag("SET");
    co_return;
  }
  if (needs_admin(*cmd) && !console_admin_) {
    result.set_error("08P01", "admin access needed");
    co_return;
  }
  if (cmd->verb == "SET") {
    std::string failure = ctx_.set_setting ? ctx_.set_setting(cmd->argument, cmd->value)
                                           : std::string("SET is not available");
    if (failure.empty()) {
      result.set_tag("SET " + cmd->argument + "=" + cmd->value);
    } else {
      result.set_error("08P01", failure);
    }
    co_return;
  }
  if (cmd->verb == "RELOAD" && cmd->argument.empty()) {
    std::string failure = ctx_.reload ? ctx_.reload() : std::string("RELOAD is not available");
    if (failure.empty()) {
      result.set_tag("RELOAD");
    } else {
      // PgBouncer's text, plus (beyond it) the reason with file, line and key as DETAIL.
      result.set_error("F0000", "RELOAD failed, see logs for additional details", failure);
    }
    co_return;
  }
  if (cmd->verb == "SUSPEND" && cmd->argument.empty()) {
    if (ctx_.suspended || ctx_.pools().paused("")) {
      result.set_error("08P01", "already suspended/paused");
    } else {
      ctx_.suspended = true;
      suspender_ = true;
      spdlog::info("SUSPEND: relays stop reading");
      // Relays write what they read before reading again, so nothing is buffered once they
      // stop: give in-flight writes a moment, as PgBouncer waits for its buffers to drain.
      SteadyTimer settle(shard_.io());
      settle.expires_after(std::chrono::milliseconds(100));
      boost::system::error_code ec;
      co_await settle.async_wait(asio::redirect_error(kUseAwaitable, ec));
      result.set_tag("SUSPEND");
    }
    co_return;
  }
  if (cmd->verb == "RESUME" && cmd->argument.empty() && ctx_.suspended) {
    ctx_.suspended = false;
    suspender_ = false;
    spdlog::info("RESUME after SUSPEND");
    if (ctx_.pools().paused("")) ctx_.pools().set_paused("", false, client_.get_executor());
    result.set_tag("RESUME");
    co_return;
  }
  if (cmd->verb == "PAUSE" || cmd->verb == "RESUME") {
    const std::string& db = cmd->argument;
    PoolManager& pools = ctx_.pools();
    if (db == "pgbouncer") {
      result.set_error("08P01", "cannot " + std::string(cmd->verb == "PAUSE" ? "pause" : "resume") +
                                    " admin db");
      co_return;
    }
    if (!db.empty() && !runtime_->config->find_database(db)) {
      result.set_error("08P01", "no such database: " + db);
      co_return;
    }
    if (cmd->verb == "RESUME") {
      if (ctx_.shutting_down) {
        result.set_error("08P01", "pooler is shutting down");
      } else if (db.empty() ? !pools.paused("") : !pools.paused(db)) {
        result.set_error("08P01", db.empty() ? std::string("pooler is not paused/suspended")
                                             : "database " + db + " is not paused");
      } else {
        pools.set_paused(db, false, client_.get_executor());
        spdlog::info("RESUME{}{}", db.empty() ? "" : " ", db);
        result.set_tag("RESUME");
      }
      co_return;
    }
    if (pools.paused(db)) {
      result.set_error("08P01", "already suspended/paused");
      co_return;
    }
    pools.set_paused(db, true, client_.get_executor());
    spdlog::info("PAUSE{}{}: waiting for servers to be released", db.empty() ? "" : " ", db);
    // PgBouncer's PAUSE returns once every server is released and closed.
    SteadyTimer poll(shard_.io());
    while (!pools.drained(db) && pools.paused(db)) {
      poll.expires_after(std::chrono::milliseconds(50));
      boost::system::error_code ec;
      co_await poll.async_wait(asio::redirect_error(kUseAwaitable, ec));
    }
    result.set_tag("PAUSE");
    co_return;
  }
  if (co_await console_control(*cmd, result)) co_return;
  const sluice_admin_command_vtable* ext = runtime_->plugins->admin_command(cmd->name());
  if (!ext) {
    result.set_error("08P01", "invalid command '" + query + "', use SHOW HELP;");
    co_return;
  }
  // SHOW CLIENTS/SERVERS/SOCKETS read every shard's sessions on their own threads first.
  admin::SocketSnapshot sockets;
  const std::string name = cmd->name();
  if (name == "SHOW CLIENTS" || name == "SHOW SERVERS" || name == "SHOW SOCKETS" ||
      name == "SHOW ACTIVE_SOCKETS") {
    for (Shard* sh : ctx_.shards) {
      auto part = co_await asio::co_spawn(sh->io(), describe_shard(sh), kUseAwaitable);
      for (auto& r : part.clients) sockets.clients.push_back(std::move(r));
      for (auto& r : part.servers) sockets.servers.push_back(std::move(r));
    }
    double check_delay = runtime_->server_check_delay;
    for (const auto& p : ctx_.pools().all()) p->describe_idle(sockets.servers, check_delay);
  }
  // SHOW: the word after the item, if any (SHOW ADVICE 100); other verbs: their argument.
  std::string argument = cmd->verb == "SHOW" ? cmd->value : cmd->argument;
  sluice_admin_request req{};
  req.struct_size = sizeof req;
  req.command = query.c_str();
  req.argument = argument.empty() ? nullptr : argument.c_str();
  req.user = user_.c_str();
  req.is_admin = console_admin_ ? 1 : 0;
  admin::SocketSnapshot::Scope scope(&sockets);  // list(CLIENTS/SERVERS) reads it on this thread
  if (ext->execute(ext->ctx, &req, result.writer()) != SLUICE_OK && !result.failed())
    result.set_error("XX000", "admin command " + name + " failed");
  co_return;
}

}  // namespace sluice
