// Server login: connect, StartupMessage, authentication, ParameterStatus/BackendKeyData collection.
// Message formats: PostgreSQL docs, "Frontend/Backend Protocol" §55.2.1 (Start-up) and §55.7.
#include "pool/server_login.hpp"

#include <netinet/tcp.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "crypto/md5_password.hpp"
#include "crypto/scram_client.hpp"
#include "pool/server_query.hpp"
#include "protocol/frontend_messages.hpp"
#include "protocol/message_parsers.hpp"
#include "server/message_io.hpp"
#include "server/tcp_options.hpp"
#include "server/tls_channel.hpp"

namespace sluice {

namespace {

using Clock = std::chrono::steady_clock;

class LoginError : public std::runtime_error {
 public:
  LoginError(std::string sqlstate, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

std::string unix_socket_path(const std::string& dir, uint16_t port) {
  return dir + "/.s.PGSQL." + std::to_string(port);
}

bool is_scram_secret(std::string_view s) {
  return s.starts_with("SCRAM-SHA-256$");
}

// Answers the server's authentication requests until AuthenticationOk.
Awaitable<void> authenticate(Socket& sock, TlsChannel* tls, const PoolSettings& s) {
  std::optional<crypto::ScramClient> scram;
  for (;;) {
    Message m = co_await read_message(sock, tls, s.max_packet_size);
    if (m.type == 'E') {
      auto f = protocol::parse_error_fields(m.bytes());
      if (!f) throw LoginError("08P01", "malformed error from server");
      throw LoginError(f->sqlstate, f->message);
    }
    if (m.type == 'v') continue;  // NegotiateProtocolVersion: we asked for 3.0 only
    if (m.type != 'R') throw LoginError("08P01", "unexpected message during server login");
    auto req = protocol::parse_auth_request(m.bytes());
    if (!req) throw LoginError("08P01", "malformed authentication request from server");
    std::string out;
    switch (req->code) {
      case 0:  // AuthenticationOk
        co_return;
      case 3:  // AuthenticationCleartextPassword
        if (crypto::is_md5_secret(s.password) || is_scram_secret(s.password))
          throw LoginError("08P01",
                           "cannot do cleartext authentication: only a hashed password is known");
        protocol::append_password_message(out, s.password);
        break;
      case 5: {  // AuthenticationMD5Password
        if (req->data.size() != 4) throw LoginError("08P01", "malformed md5 salt");
        if (is_scram_secret(s.password))
          throw LoginError("08P01", "cannot do md5 authentication: password is SCRAM secret");
        std::array<uint8_t, 4> salt{req->data[0], req->data[1], req->data[2], req->data[3]};
        protocol::append_password_message(out,
                                          crypto::md5_salted_response(s.password, s.user, salt));
        break;
      }
      case 10: {  // AuthenticationSASL
        auto mechs = protocol::parse_sasl_mechanisms(req->data);
        if (!mechs || std::find(mechs->begin(), mechs->end(), "SCRAM-SHA-256") == mechs->end())
          throw LoginError("08P01", "server offers no supported SASL mechanism");
        if (is_scram_secret(s.password)) {
          if (!s.scram_keys)
            throw LoginError("08P01",
                             "cannot do SCRAM authentication: password is SCRAM secret but client "
                             "authentication did not provide SCRAM keys");
          scram.emplace(*s.scram_keys);  // pass-through (reference §3.3)
        } else if (crypto::is_md5_secret(s.password)) {
          throw LoginError("08P01", "cannot do SCRAM authentication: password is an md5 secret");
        } else {
          scram.emplace(s.password);
        }
        protocol::append_sasl_initial_response(out, "SCRAM-SHA-256", scram->client_first_message());
        break;
      }
      case 11: {  // AuthenticationSASLContinue
        if (!scram) throw LoginError("08P01", "unexpected SASL continue");
        std::string err;
        std::string_view data(reinterpret_cast<const char*>(req->data.data()), req->data.size());
        if (!scram->handle_server_first(data, &err)) throw LoginError("08P01", "SCRAM: " + err);
        protocol::append_sasl_response(out, scram->client_final_message());
        break;
      }
      case 12: {  // AuthenticationSASLFinal
        if (!scram) throw LoginError("08P01", "unexpected SASL final");
        std::string err;
        std::string_view data(reinterpret_cast<const char*>(req->data.data()), req->data.size());
        if (!scram->verify_server_final(data, &err)) throw LoginError("08P01", "SCRAM: " + err);
        continue;  // AuthenticationOk follows
      }
      default:
        throw LoginError("08P01",
                         "unsupported server authentication method " + std::to_string(req->code));
    }
    co_await write_all(sock, tls, out);
  }
}

// server_tls_sslmode: SSLRequest on TCP (never on a Unix socket); 'S' starts the handshake, 'N'
// is fine below require. PostgreSQL docs §55.2.10 (SSL Session Encryption).
Awaitable<std::unique_ptr<TlsChannel>> negotiate_tls(Socket& sock, const PoolSettings& s,
                                                     const ServerAddress& address) {
  if (!s.tls || address.family == AF_UNIX) co_return nullptr;
  std::string out;
  protocol::append_ssl_request(out);
  co_await write_all(sock, out);
  char answer = 0;
  co_await asio::async_read(sock, asio::buffer(&answer, 1), kUseAwaitable);
  if (answer == 'N') {
    if (s.tls_required) throw LoginError("08P01", "server refused SSL");
    co_return nullptr;
  }
  if (answer != 'S') throw LoginError("08P01", "bad answer to SSLRequest from server");
  // verify-full checks (and sends as SNI) the host name as configured, as libpq does.
  const std::string host = s.tls_verify_host ? s.host : std::string();
  auto tls = std::make_unique<TlsChannel>(s.tls.get(), sock.native_handle(),
                                          TlsChannel::Role::kConnect, host);
  co_await tls_handshake(sock, *tls);
  co_return tls;
}

Awaitable<std::unique_ptr<ServerConnection>> login_steps(Socket& sock, const PoolSettings& s,
                                                         ServerAddress address) {
  std::unique_ptr<TlsChannel> tls_owner = co_await negotiate_tls(sock, s, address);
  TlsChannel* tls = tls_owner.get();
  std::vector<std::pair<std::string, std::string>> params{{"user", s.user}, {"database", s.dbname}};
  for (const auto& p : s.startup_params) params.push_back(p);
  std::string out;
  protocol::append_startup_message(out, params);
  co_await write_all(sock, tls, out);
  co_await authenticate(sock, tls, s);

  auto server = std::make_unique<ServerConnection>();
  server->address = std::move(address);
  server->tls = std::move(tls_owner);
  for (;;) {
    Message m = co_await read_message(sock, tls, s.max_packet_size);
    if (m.type == 'S') {
      if (auto p = protocol::parse_parameter_status(m.bytes()))
        set_param(server->params, p->first, p->second);
    } else if (m.type == 'K') {
      if (auto k = protocol::parse_backend_key_data(m.bytes())) {
        server->backend_pid = k->first;
        server->backend_key = k->second;
      }
    } else if (m.type == 'E') {
      auto f = protocol::parse_error_fields(m.bytes());
      if (!f) throw LoginError("08P01", "malformed error from server");
      throw LoginError(f->sqlstate, f->message);
    } else if (m.type == 'Z') {
      break;
    }  // NoticeResponse and anything else during start-up is ignored
  }
  if (!s.connect_query.empty()) {
    auto r =
        co_await run_server_query(sock, tls, s.connect_query, server->params, s.max_packet_size);
    if (r.error)
      spdlog::warn("connect_query failed on {}: {}", server->address.display(), r.error->message);
  }
  co_return server;
}

}  // namespace

Awaitable<void> connect_server(Socket& sock, const PoolSettings& s, ServerAddress* address,
                               const bool* timed_out) {
  auto ex = co_await asio::this_coro::executor;
  if (s.host.empty() || s.host.front() == '/') {
    const std::string& dir = s.host.empty() ? s.unix_socket_dir : s.host;
    std::string path = unix_socket_path(dir, s.port);
    co_await sock.async_connect(asio::local::stream_protocol::endpoint(path), kUseAwaitable);
    address->family = AF_UNIX;
    address->host = path;
    address->port = s.port;
    co_return;
  }
  TcpResolver resolver(ex);
  auto results = co_await resolver.async_resolve(s.host, std::to_string(s.port), kUseAwaitable);
  if (*timed_out) throw std::runtime_error("timed out");  // the deadline passed during the lookup
  boost::system::error_code last = asio::error::host_not_found;
  for (const auto& entry : results) {
    boost::system::error_code ec;
    if (sock.is_open()) sock.close();
    co_await sock.async_connect(entry.endpoint(), asio::redirect_error(kUseAwaitable, ec));
    if (*timed_out) throw std::runtime_error("timed out");
    if (!ec) {
      apply_tcp_options(sock.native_handle(), s.tcp);
      address->family = entry.endpoint().address().is_v6() ? AF_INET6 : AF_INET;
      address->host = entry.endpoint().address().to_string();
      address->port = s.port;
      co_return;
    }
    last = ec;
  }
  throw boost::system::system_error(last);
}

Awaitable<LoginResult> login_server(const PoolSettings& s) {
  auto ex = co_await asio::this_coro::executor;
  std::optional<Socket> sock(std::in_place, ex);
  // server_connect_timeout covers connect + login (not a DNS lookup): on expiry the socket is
  // closed, which makes the pending operation fail.
  SteadyTimer deadline(ex);
  deadline.expires_after(std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(s.connect_timeout > 0 ? s.connect_timeout : 1e9)));
  auto timed_out = std::make_shared<bool>(false);
  LoginResult result;
  bool connected = false;
  try {
    deadline.async_wait([&sock, timed_out](boost::system::error_code ec) {
      if (ec) return;
      *timed_out = true;
      boost::system::error_code ignored;
      sock->close(ignored);
    });
    ServerAddress address;
    co_await connect_server(*sock, s, &address, timed_out.get());
    connected = true;
    result.server = co_await login_steps(*sock, s, std::move(address));
    deadline.cancel();
    result.server->connected_at = result.server->last_used = Clock::now();
    result.server->id = next_connection_id();
    result.server->fd = sock->release();
    spdlog::info("new connection to server {} ({}@{})", result.server->address.display(), s.user,
                 s.dbname);
    co_return result;
  } catch (const LoginError& e) {
    result.error = {e.sqlstate(), e.what()};
  } catch (const std::exception& e) {
    result.error = {"08P01", *timed_out ? std::string("server connect timeout")
                                        : std::string("server connection failed: ") + e.what()};
  }
  deadline.cancel();
  result.connect_failed = !connected;
  spdlog::warn("server login failed for {}@{}: {}", s.user, s.dbname, result.error.message);
  co_return result;
}

Awaitable<void> send_cancel_request(ServerAddress address, uint32_t pid, uint32_t key,
                                    double timeout, std::shared_ptr<std::atomic<int>> in_flight) {
  struct Done {
    std::atomic<int>* n;
    ~Done() {
      if (n) n->fetch_sub(1, std::memory_order_acq_rel);
    }
  } done{in_flight.get()};
  auto ex = co_await asio::this_coro::executor;
  Socket sock(ex);
  SteadyTimer deadline(ex);
  if (timeout > 0) {
    deadline.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(timeout)));
    deadline.async_wait([&sock](boost::system::error_code ec) {
      if (ec) return;
      boost::system::error_code ignored;
      sock.close(ignored);  // the pending connect/write/read fails: "timed out" below
    });
  }
  try {
    if (address.family == AF_UNIX) {
      co_await sock.async_connect(asio::local::stream_protocol::endpoint(address.host),
                                  kUseAwaitable);
    } else {
      asio::ip::tcp::endpoint ep(asio::ip::make_address(address.host), address.port);
      co_await sock.async_connect(ep, kUseAwaitable);
    }
    std::string out;
    protocol::append_cancel_request(out, pid, key);
    co_await write_all(sock, out);
    // The server closes the connection after processing the request.
    char byte;
    boost::system::error_code ec;
    co_await sock.async_read_some(asio::buffer(&byte, 1), asio::redirect_error(kUseAwaitable, ec));
  } catch (const std::exception& e) {
    spdlog::warn("cancel request to {} failed: {}", address.display(), e.what());
  }
  deadline.cancel();
}

}  // namespace sluice
