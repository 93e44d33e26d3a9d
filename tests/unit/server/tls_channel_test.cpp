// TlsChannel over a socketpair, both ends non-blocking, driven by hand: the handshake, then what
// the relay relies on (would_block with a direction, pending data vs a partial record, partial
// writes retried with the same bytes, eof at close_notify), and the certificate checks cert auth
// uses.
#include "server/tls_channel.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

namespace sluice {
namespace {

using CtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

// A self-signed P-256 certificate with subject CN `cn`.
struct KeyAndCert {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  explicit KeyAndCert(const char* cn) {
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                               -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
  }
  ~KeyAndCert() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

class TlsChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    for (int fd : fds_) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    SSL_CTX_use_certificate(server_ctx_.get(), server_id_.cert);
    SSL_CTX_use_PrivateKey(server_ctx_.get(), server_id_.key);
    SSL_CTX_set_mode(server_ctx_.get(),
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_mode(client_ctx_.get(),
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  }
  void TearDown() override {
    server_.reset();
    client_.reset();
    for (int fd : fds_) ::close(fd);
  }
  // Both ends step until both are done (or one fails).
  bool handshake() {
    server_ = std::make_unique<TlsChannel>(server_ctx_.get(), fds_[0], TlsChannel::Role::kAccept);
    client_ = std::make_unique<TlsChannel>(client_ctx_.get(), fds_[1], TlsChannel::Role::kConnect);
    bool s_done = false, c_done = false;
    for (int i = 0; i < 100 && !(s_done && c_done); ++i) {
      boost::system::error_code ec;
      if (!c_done) {
        c_done = client_->handshake_step(ec);
        if (!c_done && ec != asio::error::would_block) return false;
      }
      if (!s_done) {
        s_done = server_->handshake_step(ec);
        if (!s_done && ec != asio::error::would_block) return false;
      }
    }
    return s_done && c_done;
  }
  // Reads everything the server end can get now.
  std::string drain_server() {
    std::string out;
    std::vector<char> buf(4096);
    for (;;) {
      boost::system::error_code ec;
      size_t n = server_->read_some(buf.data(), buf.size(), ec);
      if (ec) break;
      out.append(buf.data(), n);
    }
    return out;
  }

  int fds_[2] = {-1, -1};
  KeyAndCert server_id_{"sluice"};
  CtxPtr server_ctx_{SSL_CTX_new(TLS_server_method()), SSL_CTX_free};
  CtxPtr client_ctx_{SSL_CTX_new(TLS_client_method()), SSL_CTX_free};
  std::unique_ptr<TlsChannel> server_, client_;
};

TEST_F(TlsChannelTest, handshake_then_bytes_both_ways_and_description) {
  ASSERT_TRUE(handshake());
  boost::system::error_code ec;
  EXPECT_EQ(client_->write_some("hello", 5, ec), 5u);
  EXPECT_FALSE(ec);
  EXPECT_EQ(drain_server(), "hello");
  EXPECT_EQ(server_->write_some("world", 5, ec), 5u);
  char buf[16];
  EXPECT_EQ(client_->read_some(buf, sizeof buf, ec), 5u);
  EXPECT_EQ(std::string(buf, 5), "world");
  EXPECT_EQ(server_->describe().rfind("TLSv1.3/TLS_", 0), 0u) << server_->describe();
}

TEST_F(TlsChannelTest, read_without_data_would_block_wanting_read) {
  ASSERT_TRUE(handshake());
  boost::system::error_code ec;
  char buf[16];
  EXPECT_EQ(server_->read_some(buf, sizeof buf, ec), 0u);
  EXPECT_EQ(ec, asio::error::would_block);
  EXPECT_EQ(server_->read_wait(), Socket::wait_read);
}

TEST_F(TlsChannelTest, a_record_larger_than_the_buffer_stays_pending) {
  ASSERT_TRUE(handshake());
  boost::system::error_code ec;
  const std::string msg(1000, 'x');
  ASSERT_EQ(client_->write_some(msg.data(), msg.size(), ec), msg.size());
  char buf[100];
  ASSERT_EQ(server_->read_some(buf, sizeof buf, ec), 100u);
  // The rest of the record is inside OpenSSL, not in the socket: the relay must not wait.
  EXPECT_TRUE(server_->has_pending());
  std::string rest = drain_server();
  EXPECT_EQ(rest.size(), 900u);
  EXPECT_FALSE(server_->has_pending());
}

TEST_F(TlsChannelTest, a_record_only_partly_received_is_not_pending_data) {
  ASSERT_TRUE(handshake());
  boost::system::error_code ec;
  const std::string msg(3000, 'y');
  ASSERT_EQ(client_->write_some(msg.data(), msg.size(), ec), msg.size());
  // Take the record off the server's socket and give it back in two halves (a socketpair is
  // bidirectional: what is sent on fds_[1] arrives at fds_[0]).
  std::vector<char> record(8192);
  const ssize_t len = ::recv(fds_[0], record.data(), record.size(), MSG_DONTWAIT);
  ASSERT_GT(len, 100);
  ASSERT_EQ(::send(fds_[1], record.data(), static_cast<size_t>(len / 2), 0), len / 2);
  char buf[4096];
  EXPECT_EQ(server_->read_some(buf, sizeof buf, ec), 0u);
  EXPECT_EQ(ec, asio::error::would_block);
  // Half a record inside OpenSSL is no data: the relay must wait for the socket (skipping the wait
  // would spin the shard until the rest arrives) - but an idle server has spoken.
  EXPECT_FALSE(server_->has_pending());
  EXPECT_TRUE(server_->has_unread_bytes());
  ASSERT_EQ(::send(fds_[1], record.data() + len / 2, static_cast<size_t>(len - len / 2), 0),
            len - len / 2);
  EXPECT_EQ(drain_server(), msg);
}

TEST_F(TlsChannelTest, a_detached_channel_fails_at_once) {
  ASSERT_TRUE(handshake());
  client_->detach();
  boost::system::error_code ec;
  EXPECT_EQ(client_->write_some("x", 1, ec), 0u);
  EXPECT_EQ(ec, asio::error::bad_descriptor);
  char buf[4];
  EXPECT_EQ(client_->read_some(buf, sizeof buf, ec), 0u);
  EXPECT_EQ(ec, asio::error::bad_descriptor);
}

TEST_F(TlsChannelTest, full_socket_buffer_gives_would_block_then_the_same_bytes_go_through) {
  ASSERT_TRUE(handshake());
  const std::string chunk(size_t{64} * 1024, 'y');
  size_t sent = 0;
  boost::system::error_code ec;
  for (int i = 0; i < 1000; ++i) {
    sent += client_->write_some(chunk.data(), chunk.size(), ec);
    if (ec) break;
  }
  ASSERT_EQ(ec, asio::error::would_block);
  EXPECT_EQ(client_->write_wait(), Socket::wait_write);
  size_t received = drain_server().size();
  // Retried with the same bytes (OpenSSL's rule), the pending record completes.
  size_t n = client_->write_some(chunk.data(), chunk.size(), ec);
  EXPECT_FALSE(ec);
  sent += n;
  received += drain_server().size();
  EXPECT_EQ(received, sent);
}

TEST_F(TlsChannelTest, close_notify_reads_as_eof) {
  ASSERT_TRUE(handshake());
  client_->shutdown();
  boost::system::error_code ec;
  char buf[16];
  EXPECT_EQ(server_->read_some(buf, sizeof buf, ec), 0u);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(TlsChannelTest, client_certificate_common_name_for_cert_auth) {
  KeyAndCert client_id("app");
  SSL_CTX_use_certificate(client_ctx_.get(), client_id.cert);
  SSL_CTX_use_PrivateKey(client_ctx_.get(), client_id.key);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(server_ctx_.get()), client_id.cert);
  SSL_CTX_set_verify(server_ctx_.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  ASSERT_TRUE(handshake());
  EXPECT_TRUE(server_->peer_certificate_present());
  EXPECT_EQ(server_->peer_common_name().value_or(""), "app");
}

TEST_F(TlsChannelTest, verify_full_refuses_a_certificate_for_another_name) {
  X509_STORE_add_cert(SSL_CTX_get_cert_store(client_ctx_.get()), server_id_.cert);
  SSL_CTX_set_verify(client_ctx_.get(), SSL_VERIFY_PEER, nullptr);
  server_ = std::make_unique<TlsChannel>(server_ctx_.get(), fds_[0], TlsChannel::Role::kAccept);
  client_ = std::make_unique<TlsChannel>(client_ctx_.get(), fds_[1], TlsChannel::Role::kConnect,
                                         "db.example.com");
  bool failed = false;
  for (int i = 0; i < 100 && !failed; ++i) {
    boost::system::error_code ec;
    if (!client_->handshake_step(ec) && ec != asio::error::would_block) failed = true;
    server_->handshake_step(ec);
  }
  EXPECT_TRUE(failed);
  EXPECT_NE(client_->error_text().find("hostname mismatch"), std::string::npos)
      << client_->error_text();
}

}  // namespace
}  // namespace sluice
