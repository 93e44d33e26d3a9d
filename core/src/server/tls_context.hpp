// OpenSSL contexts built from the [pgbouncer] TLS settings: one for clients (client_tls_*), made
// once per configuration snapshot, so RELOAD swaps it and sessions keep the one they started with.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace sluice {

// The oldest queued OpenSSL error as text, and the queue emptied (for error messages).
std::string openssl_error_text();

using SslCtxPtr = std::shared_ptr<SSL_CTX>;

// client_tls_sslmode / server_tls_sslmode, in PgBouncer's order.
enum class SslMode : uint8_t { kDisable, kAllow, kPrefer, kRequire, kVerifyCa, kVerifyFull };
SslMode parse_ssl_mode(std::string_view mode);

// The protocol range a `*_tls_protocols` value allows (libtls syntax: names separated by commas
// or colons, `all`, `secure`/`default` = TLSv1.2+TLSv1.3, `legacy` = all). Versions are
// TLS1_VERSION..TLS1_3_VERSION; a gap inside the list is not representable in OpenSSL and is
// filled. Throws std::runtime_error on an unknown name.
struct TlsProtocolRange {
  int min_version = 0;
  int max_version = 0;
};
TlsProtocolRange parse_tls_protocols(std::string_view value);

// The OpenSSL cipher list for a `*_tls_ciphers` value: "" = OpenSSL's defaults (PgBouncer 1.21+:
// default, secure, fast, normal), `all`, `compat`/`legacy`, or a cipher string passed as is.
std::string tls_cipher_list(std::string_view value);

// The context for client connections, or nullptr when client_tls_sslmode is disable. Throws
// std::runtime_error naming the key when a file cannot be used or a value is invalid.
SslCtxPtr make_client_tls_context(const config::Config& cfg);

// The context for server connections (server_tls_*), or nullptr when server_tls_sslmode is
// disable. verify-ca/verify-full verify the chain (server_tls_ca_file, else the system's CAs);
// the host name check of verify-full is set per connection (TlsChannel). Throws like the above.
SslCtxPtr make_server_tls_context(const config::Config& cfg);

}  // namespace sluice
