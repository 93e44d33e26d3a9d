// SCRAM-SHA-256 client side (RFC 5802, RFC 7677) used when sluice logs into a PostgreSQL server.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/sha256.hpp"

namespace sluice::crypto {

// SCRAM pass-through (reference §3.3): the ClientKey recovered while a client authenticated against
// a stored verifier, and that verifier's ServerKey. They log in without the password, to a server
// whose verifier is byte-identical.
struct ScramKeys {
  Sha256Digest client_key{};
  Sha256Digest server_key{};
};

// One authentication exchange, without channel binding (gs2 header "n,,"), as PostgreSQL runs it
// for mechanism "SCRAM-SHA-256" (PostgreSQL docs, "SASL Authentication"):
//   client_first_message()  -> SASLInitialResponse data
//   handle_server_first()   <- AuthenticationSASLContinue data
//   client_final_message()  -> SASLResponse data
//   verify_server_final()   <- AuthenticationSASLFinal data
// Methods called out of this order fail (false with an error, or an empty message).
// The password is used as given (no SASLprep), see pbkdf2_hmac_sha256.
class ScramClient {
 public:
  // `client_nonce` empty => 18 random bytes, base64 encoded (as libpq does). `user` goes into
  // "n=" (escaped per RFC 5802 section 5.1); PostgreSQL ignores it and libpq sends it empty, so
  // the default is empty. Tests pass "user" to reproduce the RFC 7677 example.
  explicit ScramClient(std::string password, std::string client_nonce = {},
                       const std::string& user = {});
  // Pass-through: answers with `keys` instead of deriving them from a password.
  explicit ScramClient(const ScramKeys& keys, std::string client_nonce = {});
  ~ScramClient();
  ScramClient(const ScramClient&) = delete;
  ScramClient& operator=(const ScramClient&) = delete;

  // "n,,n=<user>,r=<client nonce>"
  std::string client_first_message();
  // Parses "r=<nonce>,s=<salt>,i=<iterations>[,extensions]". Checks that the nonce extends the
  // client nonce, the salt is non-empty base64 and the iteration count a positive integer; then
  // derives the keys (PBKDF2: CPU time grows with the server's iteration count).
  bool handle_server_first(std::string_view msg, std::string* error);
  // "c=biws,r=<nonce>,p=<base64 ClientProof>"
  std::string client_final_message();
  // Checks "v=<base64 ServerSignature>" in constant time; "e=<reason>" is reported as an error.
  bool verify_server_final(std::string_view msg, std::string* error);

  const std::string& client_nonce() const { return client_nonce_; }

 private:
  enum class State { Initial, SentFirst, GotServerFirst, SentFinal, Done, Failed };

  std::string password_;
  std::optional<ScramKeys> keys_;
  std::string client_nonce_;
  std::string user_;
  State state_ = State::Initial;
  std::string client_first_bare_;
  std::string server_nonce_;  // full combined nonce from the server
  std::string auth_message_;
  Sha256Digest client_proof_{};
  Sha256Digest server_signature_{};
};

}  // namespace sluice::crypto
