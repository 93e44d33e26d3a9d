// A deliberately small HTTP/1.1 server on one thread (POSIX sockets + poll): one request per
// connection (Connection: close), the request head bounded to kMaxRequestHead bytes and the whole
// exchange to kIoTimeoutMs, GET/HEAD only. Requests are served one at a time; a slow client
// delays the next scrape by at most the timeout and never touches the pooler's threads; stop()
// interrupts a request in progress (a silent client does not hold up shutdown).
//
// The listen address comes from a callback polled about once a second, so a RELOAD that changes
// it (or turns the port to 0 = off) moves the listener without a restart.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace sluice::plugins::prometheus {

constexpr size_t kMaxRequestHead = 8192;
constexpr int kIoTimeoutMs = 5000;

struct HttpRequest {
  std::string method;
  std::string path;  // without the query string
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // for 405
};

// Parses "METHOD SP target SP HTTP/x.y" (RFC 9112, 3); 0 when well-formed, else the status to
// answer (400, 505).
int parse_request_line(std::string_view head, HttpRequest& out);

// The bytes sent for `response` to a request with `method` (HEAD: headers only).
std::string serialize_response(const HttpResponse& response, std::string_view method);

struct ListenAddress {
  std::string host;
  uint16_t port = 0;  // 0 = off
  bool operator==(const ListenAddress&) const = default;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  using AddressSource = std::function<ListenAddress()>;
  using Logger = std::function<void(bool error, const std::string&)>;

  HttpServer(Handler handler, AddressSource address, Logger log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts the thread; false (with *error) if it cannot.
  bool start(std::string* error);
  // Wakes the thread, closes the listener and joins. Idempotent.
  void stop();

 private:
  void run();
  void rebind(const ListenAddress& want);
  void serve(int fd);

  Handler handler_;
  AddressSource address_;
  Logger log_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  int wake_[2] = {-1, -1};
  int listen_fd_ = -1;
  ListenAddress bound_;
  ListenAddress failed_for_;  // last address whose bind failure was logged
};

}  // namespace sluice::plugins::prometheus
