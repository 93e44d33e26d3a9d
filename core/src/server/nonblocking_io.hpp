// recv and send on a socket in non-blocking mode, straight to the kernel, for the relay's hot path
// (a client's request, its forwarding to the server, the server's reply to the client: three calls
// per transaction). glibc's recv and send are cancellation points: each wraps the system call in
// __pthread_enable_asynccancel / __pthread_disable_asynccancel, and no thread of the daemon is ever
// cancelled. Asio's synchronous read_some / write_some add their own error-code and retry layers.
// Together about 80 instructions per call. glibc's syscall() is no cancellation point.
//
// Same results as Asio's read_some / write_some on a socket Asio was told is non-blocking: the
// bytes moved, or 0 with `ec` set — asio::error::eof at the end of the stream, would_block when
// nothing can move now, otherwise the errno. EINTR is retried. send never raises SIGPIPE
// (MSG_NOSIGNAL).
#pragma once

#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <cerrno>
#include <cstddef>

namespace sluice::nbio {

inline size_t recv_some(int fd, void* data, size_t size, boost::system::error_code& ec) {
  for (;;) {
    const long n = ::syscall(SYS_recvfrom, fd, data, size, 0, nullptr, nullptr);
    if (n > 0) {
      ec = {};
      return static_cast<size_t>(n);
    }
    if (n == 0) {
      ec = size == 0 ? boost::system::error_code{}
                     : boost::system::error_code(boost::asio::error::eof);
      return 0;
    }
    if (errno == EINTR) continue;
    ec.assign(errno, boost::asio::error::get_system_category());
    return 0;
  }
}

inline size_t send_some(int fd, const void* data, size_t size, boost::system::error_code& ec) {
  for (;;) {
    const long n = ::syscall(SYS_sendto, fd, data, size, MSG_NOSIGNAL, nullptr, 0);
    if (n >= 0) {
      ec = {};
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    ec.assign(errno, boost::asio::error::get_system_category());
    return 0;
  }
}

}  // namespace sluice::nbio
