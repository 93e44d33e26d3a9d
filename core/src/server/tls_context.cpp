// OpenSSL contexts from the TLS settings; see tls_context.hpp.
#include "server/tls_context.hpp"

#include <openssl/err.h>

#include <array>
#include <cctype>
#include <stdexcept>

namespace sluice {

std::string openssl_error_text() {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    if (text.empty()) {
      std::array<char, 256> buf{};
      ERR_error_string_n(e, buf.data(), buf.size());
      text = buf.data();
    }
  }
  return text;
}

namespace {

std::string where(const config::Config& cfg, std::string_view key) {
  const std::string origin = cfg.origin(key);
  return origin.empty() ? std::string(key) : std::string(key) + " (" + origin + ")";
}

int protocol_version(std::string_view name) {
  if (name == "tlsv1.0") return TLS1_VERSION;
  if (name == "tlsv1.1") return TLS1_1_VERSION;
  if (name == "tlsv1.2") return TLS1_2_VERSION;
  if (name == "tlsv1.3") return TLS1_3_VERSION;
  return 0;
}

}  // namespace

SslMode parse_ssl_mode(std::string_view mode) {
  if (mode == "allow") return SslMode::kAllow;
  if (mode == "prefer") return SslMode::kPrefer;
  if (mode == "require") return SslMode::kRequire;
  if (mode == "verify-ca") return SslMode::kVerifyCa;
  if (mode == "verify-full") return SslMode::kVerifyFull;
  return SslMode::kDisable;
}

TlsProtocolRange parse_tls_protocols(std::string_view value) {
  TlsProtocolRange r;
  auto add = [&r](int v) {
    if (r.min_version == 0 || v < r.min_version) r.min_version = v;
    if (v > r.max_version) r.max_version = v;
  };
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t end = value.find_first_of(",:", pos);
    if (end == std::string_view::npos) end = value.size();
    std::string_view item = value.substr(pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    std::string name(item);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.empty()) {
      // separators only
    } else if (name == "all" || name == "legacy") {
      add(TLS1_VERSION);
      add(TLS1_3_VERSION);
    } else if (name == "secure" || name == "default") {
      add(TLS1_2_VERSION);
      add(TLS1_3_VERSION);
    } else if (int v = protocol_version(name)) {
      add(v);
    } else {
      throw std::runtime_error("unknown TLS protocol: " + name);
    }
    pos = end + 1;
  }
  if (r.min_version == 0) throw std::runtime_error("no TLS protocol given");
  return r;
}

std::string tls_cipher_list(std::string_view value) {
  if (value.empty() || value == "default" || value == "secure" || value == "fast" ||
      value == "normal")
    return {};
  if (value == "all") return "ALL:!aNULL:!eNULL";
  if (value == "compat" || value == "legacy") return "HIGH:MEDIUM:!aNULL";
  return std::string(value);
}

namespace {

// What both sides share: modes, options, protocols and ciphers of the `prefix`_tls_* keys.
void apply_common(SSL_CTX* c, const config::Config& cfg, const std::string& prefix) {
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                          SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(
      c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  TlsProtocolRange range;
  try {
    range = parse_tls_protocols(cfg.str(prefix + "_tls_protocols"));
  } catch (const std::exception& e) {
    throw std::runtime_error(where(cfg, prefix + "_tls_protocols") + ": " + e.what());
  }
  SSL_CTX_set_min_proto_version(c, range.min_version);
  SSL_CTX_set_max_proto_version(c, range.max_version);
  if (range.min_version < TLS1_2_VERSION) SSL_CTX_set_security_level(c, 0);
  const std::string ciphers = tls_cipher_list(cfg.str(prefix + "_tls_ciphers"));
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(c, ciphers.c_str()) != 1)
    throw std::runtime_error(where(cfg, prefix + "_tls_ciphers") + ": " + openssl_error_text());
  const std::string& tls13 = cfg.str(prefix + "_tls13_ciphers");
  if (!tls13.empty() && SSL_CTX_set_ciphersuites(c, tls13.c_str()) != 1)
    throw std::runtime_error(where(cfg, prefix + "_tls13_ciphers") + ": " + openssl_error_text());
}

}  // namespace

SslCtxPtr make_server_tls_context(const config::Config& cfg) {
  const SslMode mode = parse_ssl_mode(cfg.str("server_tls_sslmode"));
  if (mode == SslMode::kDisable) return nullptr;
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) throw std::runtime_error("TLS setup failed: " + openssl_error_text());
  SSL_CTX* c = ctx.get();
  apply_common(c, cfg, "server");
  const std::string& key_file = cfg.str("server_tls_key_file");
  const std::string& cert_file = cfg.str("server_tls_cert_file");
  const std::string& ca_file = cfg.str("server_tls_ca_file");
  if (!cert_file.empty() && SSL_CTX_use_certificate_chain_file(c, cert_file.c_str()) != 1)
    throw std::runtime_error(where(cfg, "server_tls_cert_file") + ": " + cert_file + ": " +
                             openssl_error_text());
  if (!key_file.empty()) {
    if (SSL_CTX_use_PrivateKey_file(c, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error(where(cfg, "server_tls_key_file") + ": " + key_file + ": " +
                               openssl_error_text());
    if (SSL_CTX_check_private_key(c) != 1)
      throw std::runtime_error(where(cfg, "server_tls_key_file") + ": " + key_file +
                               ": does not match server_tls_cert_file");
  }
  if (mode >= SslMode::kVerifyCa) {
    const int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(c)
                                   : SSL_CTX_load_verify_locations(c, ca_file.c_str(), nullptr);
    if (ok != 1)
      throw std::runtime_error(where(cfg, "server_tls_ca_file") + ": " + ca_file + ": " +
                               openssl_error_text());
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);  // require: encryption, no identity check
  }
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  return ctx;
}

SslCtxPtr make_client_tls_context(const config::Config& cfg) {
  const SslMode mode = parse_ssl_mode(cfg.str("client_tls_sslmode"));
  if (mode == SslMode::kDisable) return nullptr;
  const std::string& key_file = cfg.str("client_tls_key_file");
  const std::string& cert_file = cfg.str("client_tls_cert_file");
  const std::string& ca_file = cfg.str("client_tls_ca_file");
  if (key_file.empty() || cert_file.empty())
    throw std::runtime_error(where(cfg, "client_tls_sslmode") +
                             ": TLS needs client_tls_key_file and client_tls_cert_file");
  if (mode >= SslMode::kVerifyCa && ca_file.empty())
    throw std::runtime_error(where(cfg, "client_tls_sslmode") + ": " +
                             cfg.str("client_tls_sslmode") + " needs client_tls_ca_file");

  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) throw std::runtime_error("TLS setup failed: " + openssl_error_text());
  SSL_CTX* c = ctx.get();
  // The relay writes what it has and may retry from another buffer; idle connections keep no
  // record buffers (DESIGN.md §9: an idle client holds no buffer).
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                          SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                             SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_CIPHER_SERVER_PREFERENCE);

  TlsProtocolRange range;
  try {
    range = parse_tls_protocols(cfg.str("client_tls_protocols"));
  } catch (const std::exception& e) {
    throw std::runtime_error(where(cfg, "client_tls_protocols") + ": " + e.what());
  }
  SSL_CTX_set_min_proto_version(c, range.min_version);
  SSL_CTX_set_max_proto_version(c, range.max_version);
  if (range.min_version < TLS1_2_VERSION) SSL_CTX_set_security_level(c, 0);

  const std::string ciphers = tls_cipher_list(cfg.str("client_tls_ciphers"));
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(c, ciphers.c_str()) != 1)
    throw std::runtime_error(where(cfg, "client_tls_ciphers") + ": " + openssl_error_text());
  const std::string& tls13 = cfg.str("client_tls13_ciphers");
  if (!tls13.empty() && SSL_CTX_set_ciphersuites(c, tls13.c_str()) != 1)
    throw std::runtime_error(where(cfg, "client_tls13_ciphers") + ": " + openssl_error_text());
  const std::string& curve = cfg.str("client_tls_ecdhcurve");
  if (curve != "auto" && curve != "none" && !curve.empty() &&
      SSL_CTX_set1_groups_list(c, curve.c_str()) != 1)
    throw std::runtime_error(where(cfg, "client_tls_ecdhcurve") + ": " + openssl_error_text());
  if (cfg.str("client_tls_dheparams") != "none") SSL_CTX_set_dh_auto(c, 1);

  if (SSL_CTX_use_certificate_chain_file(c, cert_file.c_str()) != 1)
    throw std::runtime_error(where(cfg, "client_tls_cert_file") + ": " + cert_file + ": " +
                             openssl_error_text());
  if (SSL_CTX_use_PrivateKey_file(c, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error(where(cfg, "client_tls_key_file") + ": " + key_file + ": " +
                             openssl_error_text());
  if (SSL_CTX_check_private_key(c) != 1)
    throw std::runtime_error(where(cfg, "client_tls_key_file") + ": " + key_file +
                             ": does not match client_tls_cert_file");
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(c, ca_file.c_str(), nullptr) != 1)
      throw std::runtime_error(where(cfg, "client_tls_ca_file") + ": " + ca_file + ": " +
                               openssl_error_text());
    // verify-ca/verify-full demand a valid client certificate; below that one is asked for and,
    // if sent, must verify (PgBouncer: libtls optional verification).
    int verify = SSL_VERIFY_PEER;
    if (mode >= SslMode::kVerifyCa) verify |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(c, verify, nullptr);
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca_file.c_str()))
      SSL_CTX_set_client_CA_list(c, names);
  }
  // Session resumption with client certificates needs a context id; resumption is not worth a
  // shared cache across shards, so it is off.
  static constexpr unsigned char kSessionId[] = "sluice";
  SSL_CTX_set_session_id_context(c, kSessionId, sizeof kSessionId - 1);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(c, 0);
  return ctx;
}

}  // namespace sluice
