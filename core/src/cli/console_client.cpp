// Blocking PostgreSQL client of the sub-commands; see console_client.hpp. Message formats:
// PostgreSQL docs, "Frontend/Backend Protocol", "Message Formats".
#include "cli/console_client.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "crypto/md5_password.hpp"
#include "crypto/scram_client.hpp"
#include "protocol/byte_reader.hpp"
#include "protocol/frontend_messages.hpp"
#include "protocol/message_parsers.hpp"

namespace sluice::cli {

namespace {

// Larger messages are refused: the console's rows are small, and a health check never needs more.
constexpr uint32_t kMaxMessage = 64u << 20;

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

ClientError error_from(const std::string& body) {
  auto f = protocol::parse_error_fields(as_bytes(body));
  if (!f) return ClientError("malformed ErrorResponse");
  return ClientError(f->message, f->sqlstate);
}

}  // namespace

std::string Endpoint::display() const {
  if (!host.empty() && host.front() == '/') return host + "/.s.PGSQL." + std::to_string(port);
  return host + ":" + std::to_string(port);
}

int QueryResult::column(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return static_cast<int>(i);
  return -1;
}

std::string QueryResult::value(size_t r, std::string_view name) const {
  const int c = column(name);
  if (c < 0 || r >= rows.size() || static_cast<size_t>(c) >= rows[r].size() || !rows[r][c])
    return {};
  return *rows[r][c];
}

ConsoleClient::ConsoleClient(const LoginParams& params, Clock::time_point deadline)
    : deadline_(deadline) {
  try {
    connect(params.endpoint);
    login(params);
  } catch (...) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    throw;
  }
}

ConsoleClient::~ConsoleClient() {
  if (fd_ < 0) return;
  std::string bye;
  protocol::append_terminate(bye);
  (void)::send(fd_, bye.data(), bye.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd_);
}

int ConsoleClient::wait_ms() const {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
  if (left <= 0) throw ClientError("timed out");
  return static_cast<int>(std::min<long long>(left, 1 << 30));
}

void ConsoleClient::connect(const Endpoint& e) {
  auto try_connect = [&](int family, const sockaddr* addr, socklen_t len) -> bool {
    const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw ClientError(errno_text("socket"));
    if (::connect(fd, addr, len) == 0) {
      fd_ = fd;
      return true;
    }
    if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int n = ::poll(&p, 1, wait_ms());
      int err = 0;
      socklen_t el = sizeof(err);
      if (n == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0) {
        fd_ = fd;
        return true;
      }
      errno = n == 0 ? ETIMEDOUT : err;
    }
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return false;
  };
  if (!e.host.empty() && e.host.front() == '/') {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    const std::string path = e.display();
    if (path.size() >= sizeof(un.sun_path)) throw ClientError("socket path too long: " + path);
    std::memcpy(un.sun_path, path.c_str(), path.size() + 1);
    if (!try_connect(AF_UNIX, reinterpret_cast<sockaddr*>(&un), sizeof(un)))
      throw ClientError("cannot connect to " + path + ": " + std::strerror(errno));
    return;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(e.port);
  if (int rc = ::getaddrinfo(e.host.c_str(), port.c_str(), &hints, &res); rc != 0)
    throw ClientError("cannot resolve " + e.host + ": " + ::gai_strerror(rc));
  int last = ECONNREFUSED;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    if (try_connect(ai->ai_family, ai->ai_addr, ai->ai_addrlen)) break;
    last = errno;
  }
  ::freeaddrinfo(res);
  if (fd_ < 0) throw ClientError("cannot connect to " + e.display() + ": " + std::strerror(last));
}

void ConsoleClient::send(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, wait_ms()) == 0) throw ClientError("timed out");
      continue;
    }
    throw ClientError(errno_text("send"));
  }
}

void ConsoleClient::fill(size_t need) {
  while (in_.size() < need) {
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) throw ClientError("the server closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, wait_ms()) == 0) throw ClientError("timed out");
      continue;
    }
    throw ClientError(errno_text("recv"));
  }
}

// Type byte, Int32 length (counting itself), body.
ConsoleClient::Message ConsoleClient::read_message() {
  fill(5);
  const uint32_t len = protocol::load_be32(reinterpret_cast<const uint8_t*>(in_.data() + 1));
  if (len < 4 || len > kMaxMessage) throw ClientError("malformed message length from the server");
  fill(1 + static_cast<size_t>(len));
  Message m{in_[0], in_.substr(5, len - 4)};
  in_.erase(0, 1 + static_cast<size_t>(len));
  return m;
}

void ConsoleClient::login(const LoginParams& p) {
  const std::vector<std::pair<std::string, std::string>> startup{
      {"user", p.user}, {"database", p.database}, {"application_name", p.application_name}};
  std::string out;
  protocol::append_startup_message(out, startup);
  send(out);
  std::optional<crypto::ScramClient> scram;
  for (;;) {
    Message m = read_message();
    if (m.type == 'E') throw error_from(m.body);
    if (m.type == 'v' || m.type == 'N') continue;  // NegotiateProtocolVersion, notices
    if (m.type != 'R') break;                      // past authentication
    auto req = protocol::parse_auth_request(as_bytes(m.body));
    if (!req) throw ClientError("malformed authentication request");
    out.clear();
    switch (req->code) {
      case 0:
        break;
      case 3:  // cleartext
        if (p.password.empty()) throw ClientError("the server asks for a password; none given");
        protocol::append_password_message(out, p.password);
        break;
      case 5: {  // md5
        if (p.password.empty()) throw ClientError("the server asks for a password; none given");
        const std::array<uint8_t, 4> salt{req->data[0], req->data[1], req->data[2], req->data[3]};
        protocol::append_password_message(out,
                                          crypto::md5_salted_response(p.password, p.user, salt));
        break;
      }
      case 10: {  // SASL
        auto mechs = protocol::parse_sasl_mechanisms(req->data);
        if (!mechs || std::find(mechs->begin(), mechs->end(), "SCRAM-SHA-256") == mechs->end())
          throw ClientError("the server offers no supported SASL mechanism");
        if (p.password.empty() || crypto::is_md5_secret(p.password))
          throw ClientError("SCRAM authentication needs the plaintext password (PGPASSWORD)");
        scram.emplace(p.password);
        protocol::append_sasl_initial_response(out, "SCRAM-SHA-256", scram->client_first_message());
        break;
      }
      case 11:
      case 12: {
        if (!scram) throw ClientError("unexpected SASL message");
        std::string err;
        const std::string_view data(reinterpret_cast<const char*>(req->data.data()),
                                    req->data.size());
        if (req->code == 11) {
          if (!scram->handle_server_first(data, &err)) throw ClientError("SCRAM: " + err);
          protocol::append_sasl_response(out, scram->client_final_message());
        } else if (!scram->verify_server_final(data, &err)) {
          throw ClientError("SCRAM: " + err);
        }
        break;
      }
      default:
        throw ClientError("unsupported authentication method " + std::to_string(req->code));
    }
    if (!out.empty()) send(out);
    if (req->code == 0) {
      // ParameterStatus, BackendKeyData, then ReadyForQuery.
      for (;;) {
        Message s = read_message();
        if (s.type == 'E') throw error_from(s.body);
        if (s.type == 'S') {
          if (auto kv = protocol::parse_parameter_status(as_bytes(s.body))) params_.push_back(*kv);
        }
        if (s.type == 'Z') return;
      }
    }
  }
  throw ClientError("unexpected message during login");
}

std::string ConsoleClient::parameter(std::string_view name) const {
  for (const auto& [k, v] : params_)
    if (k == name) return v;
  return {};
}

QueryResult ConsoleClient::query(std::string_view sql) {
  std::string out;
  protocol::append_query(out, sql);
  send(out);
  QueryResult r;
  std::optional<ClientError> error;
  for (;;) {
    Message m;
    try {
      m = read_message();
    } catch (const ClientError&) {
      // A FATAL (e.g. the pooler cannot reach the server) is followed by the close: report it.
      if (error) throw *error;
      throw;
    }
    protocol::ByteReader in(as_bytes(m.body));
    switch (m.type) {
      case 'T': {  // RowDescription: Int16 count, then per field a name and 18 bytes
        r.columns.clear();
        r.rows.clear();
        const auto n = in.int16();
        for (uint16_t i = 0; n && i < *n; ++i) {
          auto name = in.cstr();
          if (!name || !in.bytes(18)) throw ClientError("malformed RowDescription");
          r.columns.emplace_back(*name);
        }
        break;
      }
      case 'D': {  // DataRow: Int16 count, then Int32 length (-1: NULL) and bytes per column
        std::vector<std::optional<std::string>> row;
        const auto n = in.int16();
        for (uint16_t i = 0; n && i < *n; ++i) {
          auto len = in.int32();
          if (!len) throw ClientError("malformed DataRow");
          if (*len == 0xFFFFFFFFu) {
            row.emplace_back(std::nullopt);
            continue;
          }
          auto bytes = in.bytes(*len);
          if (!bytes) throw ClientError("malformed DataRow");
          row.emplace_back(std::string(reinterpret_cast<const char*>(bytes->data()), *len));
        }
        r.rows.push_back(std::move(row));
        break;
      }
      case 'C':
        if (auto tag = in.cstr()) r.command_tag = std::string(*tag);
        break;
      case 'E':
        error = error_from(m.body);
        break;
      case 'Z':
        if (error) throw *error;
        return r;
      default:  // NoticeResponse, EmptyQueryResponse, ParameterStatus: nothing to keep
        break;
    }
  }
}

}  // namespace sluice::cli
