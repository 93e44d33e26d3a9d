// TLS on a non-blocking descriptor with OpenSSL directly; see tls_channel.hpp.
#include "server/tls_channel.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "server/tls_context.hpp"

namespace sluice {

TlsChannel::TlsChannel(SSL_CTX* ctx, int fd, Role role, const std::string& host_name)
    : ssl_(SSL_new(ctx)) {
  if (!ssl_ || SSL_set_fd(ssl_, fd) != 1) {
    if (ssl_) SSL_free(ssl_);
    throw std::runtime_error("TLS setup failed: " + openssl_error_text());
  }
  if (role == Role::kAccept) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    if (!host_name.empty()) {
      // verify-full: the certificate must name the host, as libpq checks: an IP address against
      // the SAN iPAddress entries, a name against dNSName (else CN) and as SNI (RFC 6066 §3: no
      // SNI for address literals).
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
      if (X509_VERIFY_PARAM_set1_ip_asc(param, host_name.c_str()) != 1) {
        // Without the name check verify-full would quietly be verify-ca: refuse instead.
        if (SSL_set_tlsext_host_name(ssl_, host_name.c_str()) != 1 ||
            SSL_set1_host(ssl_, host_name.c_str()) != 1) {
          SSL_free(ssl_);
          ssl_ = nullptr;
          throw std::runtime_error("TLS: cannot check the server certificate against host name " +
                                   host_name);
        }
      }
    }
  }
}

TlsChannel::~TlsChannel() {
  SSL_free(ssl_);
}

void TlsChannel::fail(int ret, Socket::wait_type& want, boost::system::error_code& ec) {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      want = Socket::wait_read;
      ec = asio::error::would_block;
      return;
    case SSL_ERROR_WANT_WRITE:
      want = Socket::wait_write;
      ec = asio::error::would_block;
      return;
    case SSL_ERROR_ZERO_RETURN:
      ec = asio::error::eof;
      return;
    case SSL_ERROR_SYSCALL: {
      const int err = errno;
      error_ = openssl_error_text();
      broken_ = true;
      ec = err != 0 ? boost::system::error_code(err, boost::system::system_category())
                    : boost::system::error_code(asio::error::eof);
      return;
    }
    default:
      error_ = openssl_error_text();
      broken_ = true;
      ec = asio::error::connection_aborted;
      return;
  }
}

bool TlsChannel::handshake_step(boost::system::error_code& ec) {
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    established_ = true;
    ec = {};
    return true;
  }
  fail(r, handshake_want_, ec);
  if (ec != asio::error::would_block) {
    // Why a certificate was refused ("hostname mismatch", "unable to get local issuer
    // certificate"...), which OpenSSL's error queue only calls "certificate verify failed".
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      error_ += error_.empty() ? "" : " ";
      error_ += std::string("(") + X509_verify_cert_error_string(verify) + ")";
    }
    if (error_.empty()) error_ = ec.message();
  }
  return false;
}

size_t TlsChannel::read_some(void* data, size_t size, boost::system::error_code& ec) {
  if (detached_) {
    ec = asio::error::bad_descriptor;
    return 0;
  }
  ERR_clear_error();
  size_t n = 0;
  const int r = SSL_read_ex(ssl_, data, size, &n);
  if (r == 1) {
    ec = {};
    return n;
  }
  fail(r, read_want_, ec);
  return 0;
}

size_t TlsChannel::write_some(const void* data, size_t size, boost::system::error_code& ec) {
  if (detached_) {
    ec = asio::error::bad_descriptor;
    return 0;
  }
  ERR_clear_error();
  size_t n = 0;
  const int r = SSL_write_ex(ssl_, data, size, &n);
  if (r == 1) {
    ec = {};
    return n;
  }
  fail(r, write_want_, ec);
  return 0;
}

std::string TlsChannel::describe() const {
  if (!established_) return {};
  std::string out = SSL_get_version(ssl_);
  out += '/';
  out += SSL_get_cipher_name(ssl_);
  int nid = SSL_get_negotiated_group(const_cast<SSL*>(ssl_));
  if (nid != 0 && nid != NID_undef) {
    const char* name = OBJ_nid2sn(nid & ~TLSEXT_nid_unknown);
    if (name) {
      out += "/ECDH=";
      out += name;
    }
  }
  return out;
}

bool TlsChannel::peer_certificate_present() const {
  X509* cert = SSL_get0_peer_certificate(ssl_);
  return cert != nullptr && SSL_get_verify_result(ssl_) == X509_V_OK;
}

std::optional<std::string> TlsChannel::peer_common_name() const {
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (!cert) return std::nullopt;
  X509_NAME* subject = X509_get_subject_name(cert);
  const int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (i < 0) return std::nullopt;
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
  if (!value) return std::nullopt;
  std::string cn(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                 static_cast<size_t>(ASN1_STRING_length(value)));
  if (cn.find('\0') != std::string::npos) return std::nullopt;  // an embedded NUL is a forgery
  return cn;
}

void TlsChannel::shutdown() {
  if (!established_ || broken_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

Awaitable<void> tls_handshake(Socket& sock, TlsChannel& tls) {
  for (;;) {
    boost::system::error_code ec;
    if (tls.handshake_step(ec)) co_return;
    if (ec != asio::error::would_block) {
      const std::string reason = "TLS handshake failed: " + tls.error_text();
      throw std::runtime_error(reason);
    }
    co_await sock.async_wait(tls.handshake_wait(), kUseAwaitable);
  }
}

Awaitable<size_t> tls_read_some(Socket& sock, TlsChannel& tls, std::span<uint8_t> out) {
  for (;;) {
    boost::system::error_code ec;
    const size_t n = tls.read_some(out.data(), out.size(), ec);
    if (!ec) co_return n;
    if (ec != asio::error::would_block) throw boost::system::system_error(ec);
    co_await sock.async_wait(tls.read_wait(), kUseAwaitable);
  }
}

Awaitable<void> tls_write_all(Socket& sock, TlsChannel& tls, std::span<const uint8_t> data,
                              boost::system::error_code& ec) {
  size_t done = 0;
  while (done < data.size()) {
    const size_t n = tls.write_some(data.data() + done, data.size() - done, ec);
    done += n;
    if (!ec) continue;
    if (ec != asio::error::would_block) co_return;
    co_await sock.async_wait(tls.write_wait(), asio::redirect_error(kUseAwaitable, ec));
    if (ec) co_return;
  }
  ec = {};
}

}  // namespace sluice
