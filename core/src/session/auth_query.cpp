// auth_query / auth_user / auth_dbname (reference §3.2): a login user missing from auth_file is
// looked up in PostgreSQL with PgBouncer's query, run with the extended protocol (Parse, Bind with
// the user name as $1, Execute, Sync) on a server of the pool (auth_dbname or the client's
// database, auth_user). PgBouncer's texts: "no such user" (no mock exchange here, as in
// PgBouncer), "error response from auth_query", "expected 2 columns from auth_query, not N",
// "auth_query response contained null user name". A NULL secret (no password, or VALID UNTIL in the
// past with the default query) becomes the empty secret, which every password method refuses.
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "pool/pool_manager.hpp"
#include "pool/server_socket.hpp"
#include "protocol/frontend_messages.hpp"
#include "protocol/message_parsers.hpp"
#include "server/message_io.hpp"
#include "server/shard.hpp"
#include "session/client_session.hpp"
#include "session/pool_route.hpp"

namespace sluice {

namespace {

// Sends the query and reads up to ReadyForQuery. Throws on I/O errors and malformed messages.
Awaitable<AuthQueryResult> exchange(Socket& sock, TlsChannel* tls, const std::string& sql,
                                    const std::string& user, uint32_t max_packet_size) {
  std::string out;
  protocol::append_parse(out, "", sql);
  const std::optional<std::string> params[] = {user};
  protocol::append_bind(out, "", "", params);
  protocol::append_execute(out, "", 0);
  protocol::append_sync(out);
  co_await write_all(sock, tls, out);

  AuthQueryResult result;
  result.kind = AuthQueryResult::Kind::NoSuchUser;
  std::optional<std::string> failure;
  for (;;) {
    Message m = co_await read_message(sock, tls, max_packet_size);
    if (m.type == 'Z') break;
    if (failure) continue;  // drain to ReadyForQuery, keep the first problem
    if (m.type == 'E') {
      auto f = protocol::parse_error_fields(m.bytes());
      spdlog::error("auth_query failed: {}", f ? f->message : "malformed error");
      failure = "error response from auth_query";
    } else if (m.type == 'T') {
      auto n = protocol::parse_row_description_count(m.bytes());
      if (!n) throw std::runtime_error("malformed RowDescription from auth_query");
      if (*n != 2) failure = "expected 2 columns from auth_query, not " + std::to_string(*n);
    } else if (m.type == 'D') {
      auto row = protocol::parse_data_row(m.bytes());
      if (!row) throw std::runtime_error("malformed DataRow from auth_query");
      if (row->size() != 2) {
        failure = "expected 2 columns from auth_query, not " + std::to_string(row->size());
      } else if (!(*row)[0]) {
        failure = "auth_query response contained null user name";
      } else {
        result.kind = AuthQueryResult::Kind::Found;
        result.secret = (*row)[1] ? *(*row)[1] : std::string();
      }
    }  // ParseComplete, BindComplete, CommandComplete, notices, ParameterStatus: nothing to do
  }
  if (failure) {
    result.kind = AuthQueryResult::Kind::Failed;
    result.error = *failure;
    result.secret.clear();
  }
  co_return result;
}

}  // namespace

Awaitable<AuthQueryResult> ClientSession::run_auth_query(const std::string& user,
                                                         const std::string& database) {
  const config::Config& cfg = *runtime_->config;
  AuthQueryResult none;
  none.kind = AuthQueryResult::Kind::NotConfigured;
  config::DatabaseEntry client_db;
  if (!find_database_entry(cfg, database, &client_db)) co_return none;
  const std::string auth_user =
      client_db.auth_user.empty() ? cfg.str("auth_user") : client_db.auth_user;
  if (auth_user.empty()) co_return none;
  const std::string sql =
      client_db.auth_query.empty() ? cfg.str("auth_query") : client_db.auth_query;
  const std::string auth_dbname =
      client_db.auth_dbname.empty() ? cfg.str("auth_dbname") : client_db.auth_dbname;

  AuthQueryResult failed;
  failed.kind = AuthQueryResult::Kind::Failed;
  config::DatabaseEntry query_db = client_db;
  if (!auth_dbname.empty()) {
    if (auth_dbname == "pgbouncer" || !find_database_entry(cfg, auth_dbname, &query_db)) {
      spdlog::error("{}auth_dbname {} is not a database of [databases]", prefix(), auth_dbname);
      failed.error = "bouncer config error";
      co_return failed;
    }
  }
  PoolRoute route = route_pool(*runtime_, query_db, auth_user);
  if (!route.settings.pool_mode) {
    failed.error = "bouncer config error";
    co_return failed;
  }
  auto pool = ctx_.pools().find_or_create(route.settings, route.max_db_connections,
                                          route.max_user_connections);
  AcquireResult r = co_await pool->acquire(cfg.seconds("query_wait_timeout"), &shard_.io());
  if (!r.server) {
    failed.error = !r.error || r.error->message.empty() ? std::string("auth_query: no server")
                                                        : r.error->message;
    co_return failed;
  }
  std::unique_ptr<ServerConnection> server = std::move(r.server);
  AuthQueryResult result;
  bool reusable = false;
  try {
    Socket& sock = server_socket_on(*server, shard_);  // throws if it cannot be registered here
    result = co_await exchange(sock, server->tls.get(), sql, user, route.settings.max_packet_size);
    reusable = true;
  } catch (const std::exception& e) {
    spdlog::error("{}auth_query: {}", prefix(), e.what());
    result = failed;
    result.error = "unexpected response from auth_query";
  }
  if (reusable) {
    pool->release(std::move(server));
  } else {
    pool->discard(std::move(server));
  }
  co_return result;
}

}  // namespace sluice
