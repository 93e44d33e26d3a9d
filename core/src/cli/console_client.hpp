// A small blocking PostgreSQL client for the sluice sub-commands: connect (TCP or Unix socket),
// log in (trust, cleartext, md5, SCRAM-SHA-256) and run simple-protocol queries against the admin
// console or through the pooler. No Asio and no libpq: it reuses the protocol builders/parsers and
// the crypto of the server login. Every call honours one deadline (poll with the time left).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::cli {

using Clock = std::chrono::steady_clock;

// Where to connect: `host` starting with '/' is a Unix socket directory (as in libpq).
struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 6432;
  std::string display() const;  // "127.0.0.1:6432" or "/tmp/.s.PGSQL.6432"
};

struct LoginParams {
  Endpoint endpoint;
  std::string user;
  std::string database;
  std::string password;  // plaintext, or an md5 secret (enough for md5 auth)
  std::string application_name = "sluice-cli";
};

// A failure: connecting, the protocol, or an ErrorResponse (then sqlstate is set).
class ClientError : public std::runtime_error {
 public:
  explicit ClientError(const std::string& message, std::string sqlstate = {})
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// One query's result (the last row set when the query returned several).
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::string command_tag;
  // Index of a column by name, or -1.
  int column(std::string_view name) const;
  // The value of `name` in row `r` ("" for NULL or a missing column).
  std::string value(size_t r, std::string_view name) const;
};

class ConsoleClient {
 public:
  // Connects and logs in before `deadline`. Throws ClientError.
  ConsoleClient(const LoginParams& params, Clock::time_point deadline);
  ~ConsoleClient();
  ConsoleClient(const ConsoleClient&) = delete;
  ConsoleClient& operator=(const ConsoleClient&) = delete;

  // Runs `sql` with the simple query protocol. Throws ClientError (an ErrorResponse is thrown
  // once the server is ready for the next query, so the connection stays usable).
  QueryResult query(std::string_view sql);
  // Moves the deadline (for --watch, which keeps one connection across refreshes).
  void set_deadline(Clock::time_point deadline) { deadline_ = deadline; }
  // ParameterStatus values from the login (server_version, ...).
  std::string parameter(std::string_view name) const;

 private:
  struct Message {
    char type = 0;
    std::string body;
  };
  void connect(const Endpoint& e);
  void login(const LoginParams& p);
  void send(const std::string& bytes);
  Message read_message();
  void fill(size_t need);
  int wait_ms() const;

  int fd_ = -1;
  Clock::time_point deadline_;
  std::string in_;  // received bytes not yet consumed
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace sluice::cli
