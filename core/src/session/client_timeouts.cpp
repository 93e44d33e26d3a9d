// Client-side timeouts, checked by the shard's janitor three times a second (as PgBouncer's
// janitor does): client_login_timeout, client_idle_timeout, query_timeout,
// idle_transaction_timeout, transaction_timeout, and the query_wait_notify NOTICE; it also sends
// clients idle between transactions into hibernation. The data path only stamps times.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/backend_messages.hpp"
#include "server/tls_channel.hpp"
#include "session/client_session.hpp"

namespace sluice {

namespace {
double seconds_since(std::chrono::steady_clock::time_point since,
                     std::chrono::steady_clock::time_point now) {
  return std::chrono::duration<double>(now - since).count();
}
}  // namespace

void ClientSession::on_janitor(const JanitorTick& tick) {
  if (logging_in_) {
    // client_login_timeout: the login's pending read or write ends, and so does the login. (A
    // login waiting on something else, an auth_query, fails when that wait ends: run() checks
    // login_timed_out_.) Waiting for the pool's welcome, the login is bounded by the pool's queue
    // instead (query_timeout, query_wait_timeout, and client_login_timeout with PgBouncer's
    // "client_login_timeout (server down)": ClientSession::wait_for_welcome).
    const double t = runtime_->client_login_timeout;
    if (t > 0 && !login_timed_out_ && !welcome_waiting_ &&
        seconds_since(connected_at_, tick.now) >= t) {
      close_reason_ = "client_login_timeout";
      login_timed_out_ = true;
      // As PgBouncer: the client is told (FATAL client_login_timeout, by end_session once the
      // login has ended, unless the login sent a FATAL of its own), except in the middle of a
      // TLS handshake, where it could not be read.
      fatal_pending_ = !client_tls_ || client_tls_->established();
      // Once: a later cancel could cut a message the login is writing in two.
      boost::system::error_code ec;
      client_.cancel(ec);
    }
    return;
  }
  if (!relaying_ || client_gone_) return;
  const SessionTimeouts& t = tick.runtime->timeouts_for(user_);
  if (waiting_since_ != kNever) {
    // Queued for a server: the pool's janitor pass (expire_waiters) enforces
    // query_wait_timeout/query_timeout.
    if (t.query_wait_notify > 0 && !wait_notified_ &&
        seconds_since(waiting_since_, tick.now) >= t.query_wait_notify) {
      wait_notified_ = true;
      send_wait_notice();
    }
    return;
  }
  if (!server_) {
    if (t.client_idle_timeout > 0 && outstanding_ == 0 &&
        seconds_since(last_active_, tick.now) > t.client_idle_timeout) {
      kill("client_idle_timeout");
      return;
    }
    // Idle between transactions for a while, counted from the client's last bytes or the last
    // answer, whichever came later (a long query is no idle time): the client loop's wait ends
    // and the relay hibernates (hibernate()). Not while the server side is still giving a server
    // back.
    if (idle_waiting_ && !hibernate_ && !server_loop_running_ && outstanding_ == 0 &&
        seconds_since(std::max(last_active_, ready_at_), tick.now) >= kHibernateAfter) {
      hibernate_ = true;
      boost::system::error_code ec;
      client_.cancel(ec);
    }
    return;
  }
  if (outstanding_ > 0) {
    if (t.query_timeout > 0 && request_started_ != kNever &&
        seconds_since(request_started_, tick.now) > t.query_timeout) {
      kill("query_timeout");
      return;
    }
  } else if (tx_status_ != 'I') {
    if (t.idle_transaction_timeout > 0 &&
        seconds_since(ready_at_, tick.now) > t.idle_transaction_timeout) {
      kill("idle transaction timeout");
      return;
    }
  }
  if (t.transaction_timeout > 0 && xact_started_ != kNever &&
      seconds_since(xact_started_, tick.now) > t.transaction_timeout)
    kill("transaction timeout");
}

void ClientSession::kill(const std::string& reason) {
  if (client_gone_) return;
  close_reason_ = reason;
  fatal_pending_ = true;
  client_gone_ = true;
  // Both loops wake up, see client_gone_ and stop; a server that is not idle is closed (never
  // returned with a query or transaction in progress).
  boost::system::error_code ec;
  client_.cancel(ec);
  if (server_sock_) server_sock_->cancel(ec);
}

// Nothing else writes to the client while it is queued, and the NOTICE is small: a non-blocking
// write takes all of it, or the client is not reading and is closed.
void ClientSession::send_wait_notice() {
  std::string out;
  protocol::append_notice(out, "00000",
                          "No server connection available in postgres backend, client being "
                          "queued");
  boost::system::error_code ec;
  size_t n = client_tls_ ? client_tls_->write_some(out.data(), out.size(), ec)
                         : client_.write_some(asio::buffer(out), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    n = 0;
    ec = {};
  }
  if (ec || n != out.size()) {
    spdlog::warn("{}sending queue notice failed", prefix());
    close_client("client not reading while queued");
  }
}

}  // namespace sluice
