// The exporter's HTTP server (see http_server.hpp).
#include "http_server.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace sluice::plugins::prometheus {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kDrainTimeoutMs = 1000;
constexpr size_t kMaxDrainBytes = size_t{64} * 1024;

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

int ms_left(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits until `fd` has `events`; false on timeout or when `wake_fd` becomes readable (stop()).
bool wait_for(int fd, short events, int wake_fd, Clock::time_point deadline) {
  pollfd p[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
  const int left = ms_left(deadline);
  if (left == 0 || ::poll(p, 2, left) <= 0) return false;
  return p[1].revents == 0;
}

// Writes all of `data` before the deadline; false on error, timeout or stop().
bool write_all(int fd, std::string_view data, int wake_fd, Clock::time_point deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    if (!wait_for(fd, POLLOUT, wake_fd, deadline)) return false;
  }
  return true;
}

}  // namespace

int parse_request_line(std::string_view head, HttpRequest& out) {
  const auto eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return 400;
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return 400;
  const std::string_view version = line.substr(sp2 + 1);
  if (version.substr(0, 5) != "HTTP/") return 400;
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return 505;
  out.method = std::string(line.substr(0, sp1));
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.find(' ') != std::string_view::npos) return 400;
  if (const auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  out.path = std::string(target);
  return 0;
}

std::string serialize_response(const HttpResponse& r, std::string_view method) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  if (!r.allow.empty()) out += "Allow: " + r.allow + "\r\n";
  out += "Cache-Control: no-store\r\nConnection: close\r\n\r\n";
  if (method != "HEAD") out += r.body;
  return out;
}

HttpServer::HttpServer(Handler handler, AddressSource address, Logger log)
    : handler_(std::move(handler)), address_(std::move(address)), log_(std::move(log)) {}

HttpServer::~HttpServer() {
  stop();
}

bool HttpServer::start(std::string* error) {
  if (thread_.joinable()) return true;
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    if (error) *error = std::string("pipe2: ") + std::strerror(errno);
    return false;
  }
  stopping_ = false;
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::exception& e) {
    if (error) *error = std::string("cannot start the exporter thread: ") + e.what();
    return false;
  }
  return true;
}

void HttpServer::stop() {
  if (thread_.joinable()) {
    stopping_ = true;
    const char b = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_[1], &b, 1);
    thread_.join();
  }
  for (int& fd : wake_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  bound_ = {};
}

void HttpServer::rebind(const ListenAddress& want) {
  if (want == bound_ && (listen_fd_ >= 0 || want.port == 0)) return;
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    log_(false, "stopped listening on " + bound_.host + ":" + std::to_string(bound_.port));
  }
  bound_ = want;
  if (want.port == 0) return;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(want.port);
  const char* host = want.host.empty() || want.host == "*" ? nullptr : want.host.c_str();
  std::string why;
  if (const int rc = ::getaddrinfo(host, service.c_str(), &hints, &res); rc != 0) {
    why = ::gai_strerror(rc);
  } else {
    for (addrinfo* a = res; a && listen_fd_ < 0; a = a->ai_next) {
      const int fd =
          ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      const int one = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 16) == 0) {
        listen_fd_ = fd;
      } else {
        why = std::strerror(errno);
        ::close(fd);
      }
    }
    ::freeaddrinfo(res);
  }
  const std::string where = want.host + ":" + std::to_string(want.port);
  if (listen_fd_ >= 0) {
    failed_for_ = {};
    log_(false, "metrics listening on http://" + where + "/metrics");
  } else if (!(failed_for_ == want)) {
    // Retried every second (the address may free up); logged once per address.
    failed_for_ = want;
    log_(true, "cannot listen on " + where + ": " + why + " (retrying)");
  }
}

void HttpServer::run() {
  auto next_check = Clock::now();
  while (!stopping_) {
    if (Clock::now() >= next_check) {
      ListenAddress want;
      try {
        want = address_();
      } catch (const std::exception& e) {
        log_(true, std::string("reading the listen address: ") + e.what());
        want = bound_;
      }
      if (listen_fd_ < 0 && want == bound_ && want.port != 0) bound_ = {};  // retry a failed bind
      rebind(want);
      next_check = Clock::now() + std::chrono::seconds(1);
    }
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    const int n = ::poll(fds, listen_fd_ >= 0 ? 2 : 1, std::max(1, ms_left(next_check)));
    if (n <= 0) continue;
    if (fds[0].revents) break;
    if (listen_fd_ >= 0 && (fds[1].revents & POLLIN)) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        serve(fd);
        ::close(fd);
      }
    }
  }
}

void HttpServer::serve(int fd) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(kIoTimeoutMs);
  std::string head;
  HttpResponse response;
  HttpRequest request;
  request.method = "GET";
  for (;;) {
    const auto end = head.find("\r\n\r\n");
    if (end != std::string::npos) {
      const int bad = parse_request_line(head, request);
      if (bad) {
        response = {bad, "text/plain; charset=utf-8", std::string(reason(bad)) + "\n", ""};
      } else if (request.method != "GET" && request.method != "HEAD") {
        response = {405, "text/plain; charset=utf-8", "method not allowed\n", "GET, HEAD"};
      } else {
        try {
          response = handler_(request);
        } catch (const std::exception& e) {
          response = {500, "text/plain; charset=utf-8", std::string(e.what()) + "\n", ""};
        }
      }
      break;
    }
    if (head.size() > kMaxRequestHead) {
      response = {431, "text/plain; charset=utf-8", "request head too large\n", ""};
      break;
    }
    char buf[2048];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      head.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return;  // the client went away
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return;
    if (stopping_) return;
    if (!wait_for(fd, POLLIN, wake_[0], deadline)) {
      if (stopping_) return;
      response = {408, "text/plain; charset=utf-8", "request timeout\n", ""};
      break;
    }
  }
  if (!write_all(fd, serialize_response(response, request.method), wake_[0], deadline)) return;
  // Closing with unread request bytes would reset the connection and could destroy the response
  // before the client reads it (e.g. after 431): send FIN, then drain briefly until the client
  // closes its side too.
  ::shutdown(fd, SHUT_WR);
  const auto drain_deadline =
      std::min(deadline, Clock::now() + std::chrono::milliseconds(kDrainTimeoutMs));
  size_t drained = 0;
  char buf[4096];
  while (drained < kMaxDrainBytes) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      drained += static_cast<size_t>(n);
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) break;
    if (!wait_for(fd, POLLIN, wake_[0], drain_deadline)) break;
  }
}

}  // namespace sluice::plugins::prometheus
