// /readyz checks (see readiness.hpp).
#include "readiness.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <vector>

#include "host_reader.hpp"

namespace sluice::plugins::prometheus {
namespace {

struct Attempt {
  size_t database;  // index into the database list
  int fd = -1;
};

std::vector<std::string> split_hosts(const std::string& hosts) {
  std::vector<std::string> out;
  std::string cur;
  for (const char c : hosts) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Starts non-blocking connects to every address of host:port; appends the sockets to `out`.
void start_connects(const std::string& host, int port, size_t db, std::vector<Attempt>& out) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &res) != 0) return;
  for (addrinfo* a = res; a; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
      out.push_back({db, fd});
    } else {
      ::close(fd);
    }
  }
  ::freeaddrinfo(res);
}

}  // namespace

Readiness check_ready(const sluice_host_api* api, int timeout_ms) {
  Readiness r;
  if (auto s = read_state(api); s && s->shutting_down) {
    r.report = "not ready: shutting down\n";
    return r;
  }
  std::string error;
  const auto dbs = read_databases(api, &error);
  if (!error.empty()) {
    r.report = "not ready: " + error + "\n";
    return r;
  }
  std::string pool_error;
  const auto pools = read_pools(api, &pool_error);
  std::map<std::string, int> servers;  // database -> open server connections
  for (const auto& p : pools)
    servers[p.database] += p.info.sv_active + p.info.sv_idle + p.info.sv_used + p.info.sv_tested;

  std::vector<int> reachable(dbs.size(), 0);  // 1 yes, 0 no, -1 not checked
  std::vector<Attempt> attempts;
  for (size_t i = 0; i < dbs.size(); ++i) {
    const auto& d = dbs[i];
    if (d.name == "pgbouncer") continue;  // the admin console
    if (d.unix_socket) {
      reachable[i] = servers[d.name] > 0 ? 1 : -1;
      continue;
    }
    for (const auto& h : split_hosts(d.host)) start_connects(h, d.info.port, i, attempts);
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<bool> done(attempts.size(), false);
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<size_t> which;
    for (size_t k = 0; k < attempts.size(); ++k) {
      if (done[k] || reachable[attempts[k].database] == 1) continue;
      fds.push_back({attempts[k].fd, POLLOUT, 0});
      which.push_back(k);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (fds.empty() || left <= 0) break;
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left));
    if (n < 0 && errno != EINTR) break;
    for (size_t j = 0; j < fds.size(); ++j) {
      if (!fds[j].revents) continue;
      const size_t k = which[j];
      done[k] = true;
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(attempts[k].fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
        reachable[attempts[k].database] = 1;
    }
  }
  for (const auto& a : attempts) ::close(a.fd);

  r.ready = true;
  size_t checked = 0;
  for (size_t i = 0; i < dbs.size(); ++i) {
    const auto& d = dbs[i];
    if (d.name == "pgbouncer") continue;
    ++checked;
    if (reachable[i] == 1) {
      r.report += "ok: " + d.name + "\n";
    } else if (reachable[i] == -1) {
      r.report += "not checked: " + d.name + " (Unix socket, no server connection yet)\n";
    } else {
      r.ready = false;
      r.report +=
          "unreachable: " + d.name + " (" + d.host + ":" + std::to_string(d.info.port) + ")\n";
    }
  }
  if (checked == 0) r.report = "ok: no databases configured\n";
  return r;
}

}  // namespace sluice::plugins::prometheus
