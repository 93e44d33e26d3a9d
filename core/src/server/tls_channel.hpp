// TLS on a non-blocking descriptor, with OpenSSL used directly (not asio::ssl::stream): the SSL
// object is a plain pointer next to the descriptor, so it can travel with it, and the relay keeps
// its own "wait for readability, then read into a leased buffer" loop (DESIGN.md §9).
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "server/asio.hpp"

namespace sluice {

class TlsChannel {
 public:
  enum class Role : uint8_t { kAccept, kConnect };
  // Wraps `fd` (not owned, must outlive the channel) in a new SSL of `ctx`. Throws
  // std::runtime_error when OpenSSL cannot allocate it. `host_name` (kConnect) is sent as SNI and
  // checked against the certificate when not empty.
  TlsChannel(SSL_CTX* ctx, int fd, Role role, const std::string& host_name = {});
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // One non-blocking step of the handshake: true when it is done; false with ec would_block (then
  // handshake_wait() says what to wait for) or another error (error_text() says why).
  bool handshake_step(boost::system::error_code& ec);
  Socket::wait_type handshake_wait() const { return handshake_want_; }

  // Non-blocking read of up to `size` bytes: n > 0, or 0 with ec would_block (wait for
  // read_wait()), eof (close_notify or end of stream) or another error.
  size_t read_some(void* data, size_t size, boost::system::error_code& ec);
  Socket::wait_type read_wait() const { return read_want_; }
  // Non-blocking write: n > 0 bytes taken, or 0 with ec would_block (wait for write_wait()) or an
  // error. After would_block the next call must pass the same bytes again (OpenSSL's rule; the
  // buffer may move: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
  size_t write_some(const void* data, size_t size, boost::system::error_code& ec);
  Socket::wait_type write_wait() const { return write_want_; }

  // Decrypted application data is ready inside OpenSSL: the next read_some returns it without the
  // socket being readable, so do not wait for readability first. (Not SSL_has_pending: that is
  // also true for a record only partly received, and skipping the wait then spins the shard.)
  bool has_pending() const { return SSL_pending(ssl_) > 0; }
  // The handshake has completed.
  bool established() const { return established_; }
  // Any bytes read from the socket and not handed out yet, even part of a record: an idle server
  // that sent something.
  bool has_unread_bytes() const { return SSL_has_pending(ssl_) == 1; }
  // The descriptor was closed under the channel: every later read or write fails at once instead
  // of reaching a descriptor number that may belong to another connection by then.
  void detach() { detached_ = true; }

  // "TLSv1.3/TLS_AES_256_GCM_SHA384/ECDH=X25519": SHOW CLIENTS `tls`, log_connections.
  std::string describe() const;
  // The peer's certificate, verified by the handshake (client certificates: client_tls_ca_file).
  bool peer_certificate_present() const;
  // The certificate subject's commonName, nullopt when absent.
  std::optional<std::string> peer_common_name() const;
  const std::string& error_text() const { return error_; }

  // Best effort: sends close_notify without waiting.
  void shutdown();

 private:
  // Maps SSL_get_error for `ret` into ec (would_block with `want` set, eof, or an error).
  void fail(int ret, Socket::wait_type& want, boost::system::error_code& ec);

  SSL* ssl_ = nullptr;
  bool established_ = false;
  bool broken_ = false;
  bool detached_ = false;
  Socket::wait_type handshake_want_ = Socket::wait_read;
  Socket::wait_type read_want_ = Socket::wait_read;
  Socket::wait_type write_want_ = Socket::wait_write;
  std::string error_;
};

// The handshake, waiting on `sock` (the descriptor the channel wraps) as OpenSSL asks. Throws
// std::runtime_error("TLS handshake failed: ...") on failure.
Awaitable<void> tls_handshake(Socket& sock, TlsChannel& tls);
// Reads at least one byte (waits as needed). Throws boost::system::system_error (eof at the end).
Awaitable<size_t> tls_read_some(Socket& sock, TlsChannel& tls, std::span<uint8_t> out);
// Writes all of `data`; ec set on failure (never throws).
Awaitable<void> tls_write_all(Socket& sock, TlsChannel& tls, std::span<const uint8_t> data,
                              boost::system::error_code& ec);

}  // namespace sluice
