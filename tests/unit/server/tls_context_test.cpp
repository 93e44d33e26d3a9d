// The TLS settings' values: *_tls_sslmode, *_tls_protocols (libtls syntax) and *_tls_ciphers.
#include "server/tls_context.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace sluice {
namespace {

TEST(TlsProtocols, secure_and_default_are_tls12_and_tls13) {
  for (const char* v : {"secure", "default", "SECURE"}) {
    const TlsProtocolRange r = parse_tls_protocols(v);
    EXPECT_EQ(r.min_version, TLS1_2_VERSION) << v;
    EXPECT_EQ(r.max_version, TLS1_3_VERSION) << v;
  }
}

TEST(TlsProtocols, all_and_legacy_start_at_tls10) {
  for (const char* v : {"all", "legacy"}) {
    const TlsProtocolRange r = parse_tls_protocols(v);
    EXPECT_EQ(r.min_version, TLS1_VERSION) << v;
    EXPECT_EQ(r.max_version, TLS1_3_VERSION) << v;
  }
}

TEST(TlsProtocols, lists_with_commas_or_colons_span_their_versions) {
  TlsProtocolRange r = parse_tls_protocols("tlsv1.3");
  EXPECT_EQ(r.min_version, TLS1_3_VERSION);
  EXPECT_EQ(r.max_version, TLS1_3_VERSION);
  r = parse_tls_protocols("tlsv1.1, tlsv1.2");
  EXPECT_EQ(r.min_version, TLS1_1_VERSION);
  EXPECT_EQ(r.max_version, TLS1_2_VERSION);
  r = parse_tls_protocols("tlsv1.3:tlsv1.0");  // a gap cannot be expressed: the span is taken
  EXPECT_EQ(r.min_version, TLS1_VERSION);
  EXPECT_EQ(r.max_version, TLS1_3_VERSION);
}

TEST(TlsProtocols, rejects_unknown_names_and_empty_lists) {
  EXPECT_THROW(parse_tls_protocols("sslv3"), std::runtime_error);
  EXPECT_THROW(parse_tls_protocols("tlsv1.2,tls1.3"), std::runtime_error);
  EXPECT_THROW(parse_tls_protocols(""), std::runtime_error);
  EXPECT_THROW(parse_tls_protocols(" , "), std::runtime_error);
}

TEST(TlsCiphers, named_sets_map_to_openssl_defaults_or_lists) {
  for (const char* v : {"default", "secure", "fast", "normal", ""})
    EXPECT_EQ(tls_cipher_list(v), "") << v;
  EXPECT_EQ(tls_cipher_list("all"), "ALL:!aNULL:!eNULL");
  EXPECT_EQ(tls_cipher_list("legacy"), "HIGH:MEDIUM:!aNULL");
  EXPECT_EQ(tls_cipher_list("ECDHE-RSA-AES128-GCM-SHA256"), "ECDHE-RSA-AES128-GCM-SHA256");
}

TEST(SslMode, parses_pgbouncer_modes_in_order) {
  EXPECT_EQ(parse_ssl_mode("disable"), SslMode::kDisable);
  EXPECT_EQ(parse_ssl_mode("allow"), SslMode::kAllow);
  EXPECT_EQ(parse_ssl_mode("prefer"), SslMode::kPrefer);
  EXPECT_EQ(parse_ssl_mode("require"), SslMode::kRequire);
  EXPECT_EQ(parse_ssl_mode("verify-ca"), SslMode::kVerifyCa);
  EXPECT_EQ(parse_ssl_mode("verify-full"), SslMode::kVerifyFull);
  EXPECT_LT(parse_ssl_mode("prefer"), parse_ssl_mode("require"));
}

}  // namespace
}  // namespace sluice
