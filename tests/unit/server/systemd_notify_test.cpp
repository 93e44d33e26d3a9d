// The sd_notify sender against a real Unix datagram socket (path and abstract), as systemd binds.
#include "server/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace sluice::systemd {
namespace {

long long monotonic_usec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<long long>(now.tv_sec) * 1000000LL + now.tv_nsec / 1000;
}

// A bound SOCK_DGRAM socket standing in for systemd's notification socket; sets NOTIFY_SOCKET.
class NotifySocket {
 public:
  // abstract=false: a socket file in a fresh temp dir; true: an abstract name ("@..." in the env).
  explicit NotifySocket(bool abstract) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd_, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socklen_t len = 0;
    if (abstract) {
      const std::string name = "sluice-notify-test-" + std::to_string(::getpid()) + "-" +
                               std::to_string(monotonic_usec());
      std::memcpy(addr.sun_path + 1, name.data(), name.size());
      len = offsetof(sockaddr_un, sun_path) + 1 + name.size();
      env_ = "@" + name;
    } else {
      std::string templ =
          (std::filesystem::temp_directory_path() / "sluice-notify.XXXXXX").string();
      EXPECT_NE(::mkdtemp(templ.data()), nullptr);
      dir_ = templ;
      env_ = templ + "/notify.sock";
      std::memcpy(addr.sun_path, env_.c_str(), env_.size() + 1);
      len = sizeof(addr);
    }
    EXPECT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len), 0)
        << std::strerror(errno);
    ::setenv("NOTIFY_SOCKET", env_.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // The next datagram, or nullopt if none arrives within a second.
  std::optional<std::string> receive() const {
    timeval tv{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[512];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }

 private:
  int fd_ = -1;
  std::string dir_;
  std::string env_;
};

TEST(SystemdNotify, does_nothing_without_notify_socket) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(notify_ready());
  ::setenv("NOTIFY_SOCKET", "", 1);
  EXPECT_FALSE(notify_ready());
  ::unsetenv("NOTIFY_SOCKET");
}

TEST(SystemdNotify, sends_ready_to_a_socket_path) {
  NotifySocket sock(false);
  EXPECT_TRUE(notify_ready());
  EXPECT_EQ(sock.receive(), "READY=1");
}

TEST(SystemdNotify, sends_to_an_abstract_socket) {
  NotifySocket sock(true);
  EXPECT_TRUE(notify_stopping());
  EXPECT_EQ(sock.receive(), "STOPPING=1");
}

TEST(SystemdNotify, reloading_carries_the_monotonic_clock) {
  NotifySocket sock(false);
  const long long before = monotonic_usec();
  EXPECT_TRUE(notify_reloading());
  const long long after = monotonic_usec();
  const auto got = sock.receive();
  ASSERT_TRUE(got.has_value());
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_EQ(got->substr(0, prefix.size()), prefix) << *got;
  const long long usec = std::stoll(got->substr(prefix.size()));
  EXPECT_GE(usec, before);
  EXPECT_LE(usec, after);
}

TEST(SystemdNotify, sends_an_arbitrary_state_verbatim) {
  NotifySocket sock(true);
  EXPECT_TRUE(notify("STATUS=serving\nREADY=1"));
  EXPECT_EQ(sock.receive(), "STATUS=serving\nREADY=1");
}

TEST(SystemdNotify, refuses_relative_names_and_reports_a_missing_listener) {
  ::setenv("NOTIFY_SOCKET", "relative/notify.sock", 1);
  EXPECT_FALSE(notify_ready());
  const std::string missing =
      (std::filesystem::temp_directory_path() / "sluice-no-such-dir-xyz/notify.sock").string();
  ::setenv("NOTIFY_SOCKET", missing.c_str(), 1);
  EXPECT_FALSE(notify_ready());
  ::unsetenv("NOTIFY_SOCKET");
}

}  // namespace
}  // namespace sluice::systemd
