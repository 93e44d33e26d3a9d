// Listener: TCP and Unix acceptors.
#include "server/listener.hpp"

#include "config/value_parser.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <charconv>

namespace sluice {

namespace {

// A peer's address as text. IPv4 is written here as inet_ntop writes it ("a.b.c.d"), without its
// sprintf: a tenth of the instructions, once per accepted connection.
std::string address_text(const asio::ip::address& a) {
  if (!a.is_v4()) return a.to_string();
  const auto bytes = a.to_v4().to_bytes();
  char buf[16];
  char* p = buf;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) *p++ = '.';
    p = std::to_chars(p, buf + sizeof buf, bytes[i]).ptr;
  }
  return std::string(buf, p);
}

}  // namespace

// The shard threads are joined by now (or never ran): close here, on the calling thread.
Listener::~Listener() {
  close_now();
}

void Listener::open(const std::string& listen_addr, uint16_t port,
                    const std::string& unix_socket_dir, int unix_socket_mode, int backlog) {
  using asio::ip::tcp;
  std::vector<tcp::endpoint> endpoints;
  for (const auto& addr : config::split_list(listen_addr)) {
    if (addr == "*") {
      endpoints.emplace_back(tcp::v4(), port);
      endpoints.emplace_back(tcp::v6(), port);
      continue;
    }
    TcpResolver resolver(io_);
    boost::system::error_code ec;
    auto results = resolver.resolve(addr, std::to_string(port), TcpResolver::passive, ec);
    if (ec) throw std::runtime_error("cannot resolve listen_addr " + addr + ": " + ec.message());
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }
  for (const auto& ep : endpoints) {
    auto acc = std::make_unique<TcpAcceptor>(io_);
    boost::system::error_code ec;
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && ep.address().is_v6()) acc->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(backlog, ec);
    std::string where =
        (ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string()) +
        ":" + std::to_string(port);
    if (ec) {
      if (ep.address().is_v6() && listen_addr == "*") {
        spdlog::warn("cannot listen on {}: {}", where, ec.message());
        continue;  // hosts without IPv6
      }
      throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
    }
    descriptions_.push_back(where);
    tcp_.push_back(std::move(acc));
    asio::co_spawn(io_, accept_tcp(*tcp_.back()), asio::detached);
  }
  if (!unix_socket_dir.empty()) {
    unix_path_ = unix_socket_dir + "/.s.PGSQL." + std::to_string(port);
    // A live socket means another instance runs; a stale one (left by a crash) is removed.
    {
      UnixSocket probe(io_);
      boost::system::error_code ec;
      probe.connect(asio::local::stream_protocol::endpoint(unix_path_), ec);
      if (!ec)
        throw std::runtime_error("unix socket " + unix_path_ + " is in use by another process");
    }
    ::unlink(unix_path_.c_str());
    unix_ = std::make_unique<UnixAcceptor>(io_);
    boost::system::error_code ec;
    unix_->open(asio::local::stream_protocol(), ec);
    if (!ec) unix_->bind(asio::local::stream_protocol::endpoint(unix_path_), ec);
    if (!ec) unix_->listen(backlog, ec);
    if (ec)
      throw std::runtime_error("cannot listen on unix socket " + unix_path_ + ": " + ec.message());
    ::chmod(unix_path_.c_str(), static_cast<mode_t>(unix_socket_mode));
    descriptions_.push_back("unix:" + unix_path_);
    asio::co_spawn(io_, accept_unix(*unix_), asio::detached);
  }
  if (descriptions_.empty())
    throw std::runtime_error("nothing to listen on: set listen_addr or unix_socket_dir");
}

void Listener::close() {
  asio::post(io_, [this] { close_now(); });
}

void Listener::close_now() {
  boost::system::error_code ec;
  for (auto& a : tcp_) a->close(ec);
  if (unix_) {
    unix_->close(ec);
    ::unlink(unix_path_.c_str());
    unix_.reset();
  }
}

Awaitable<void> Listener::accept_tcp(TcpAcceptor& acceptor) {
  for (;;) {
    boost::system::error_code ec;
    const unsigned target = next_target();
    asio::ip::tcp::endpoint peer;
    // Registered straight with the target shard's reactor: no register/deregister here and no
    // getpeername (accept fills `peer`). TCP_NODELAY comes with the shard's apply_tcp_options.
    auto sock = co_await acceptor.async_accept(*targets_[target], peer,
                                               asio::redirect_error(kUseAwaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    const bool v6 = peer.address().is_v6();
    AcceptedConnection c{Socket(std::move(sock)), target, v6 ? AF_INET6 : AF_INET,
                         address_text(peer.address()), peer.port()};
    on_accept_(std::move(c));
  }
}

Awaitable<void> Listener::accept_unix(UnixAcceptor& acceptor) {
  for (;;) {
    boost::system::error_code ec;
    const unsigned target = next_target();
    auto sock =
        co_await acceptor.async_accept(*targets_[target], asio::redirect_error(kUseAwaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    AcceptedConnection c{Socket(std::move(sock)), target, AF_UNIX, "unix", 0};
    on_accept_(std::move(c));
  }
}

}  // namespace sluice
