// ScramClient: RFC 5802 section 3 key derivation and message syntax (section 7).
#include "crypto/scram_client.hpp"

#include <openssl/crypto.h>

#include <array>
#include <charconv>

#include "crypto/random.hpp"

namespace sluice::crypto {

namespace {

// libpq's SCRAM_RAW_NONCE_LEN.
constexpr size_t kRawNonceLen = 18;
// base64("n,,"): the gs2 header without channel binding, echoed in c= (RFC 5802 section 7).
constexpr std::string_view kChannelBindingNone = "biws";

void set_error(std::string* error, std::string_view text) {
  if (error != nullptr) *error = text;
}

// saslname escaping (RFC 5802 section 5.1): "=" -> "=3D", "," -> "=2C".
std::string escape_saslname(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '=') {
      out += "=3D";
    } else if (c == ',') {
      out += "=2C";
    } else {
      out += c;
    }
  }
  return out;
}

// Splits off the next "<letter>=<value>" attribute (values never contain ','; RFC 5802 section 7).
bool next_attribute(std::string_view& msg, char expected, std::string_view& value) {
  if (msg.size() < 2 || msg[0] != expected || msg[1] != '=') return false;
  const size_t comma = msg.find(',');
  value = msg.substr(2, comma == std::string_view::npos ? std::string_view::npos : comma - 2);
  msg = comma == std::string_view::npos ? std::string_view{} : msg.substr(comma + 1);
  return true;
}

}  // namespace

ScramClient::ScramClient(std::string password, std::string client_nonce, const std::string& user)
    : password_(std::move(password)),
      client_nonce_(std::move(client_nonce)),
      user_(escape_saslname(user)) {
  if (client_nonce_.empty()) {
    std::array<uint8_t, kRawNonceLen> raw{};
    random_bytes(raw);
    client_nonce_ = base64_encode(std::span<const uint8_t>(raw));
  }
}

ScramClient::ScramClient(const ScramKeys& keys, std::string client_nonce)
    : ScramClient(std::string(), std::move(client_nonce)) {
  keys_ = keys;
}

ScramClient::~ScramClient() {
  // The password and the derived proof are secrets; do not leave them in freed memory.
  OPENSSL_cleanse(password_.data(), password_.size());
  OPENSSL_cleanse(client_proof_.data(), client_proof_.size());
  if (keys_) OPENSSL_cleanse(keys_->client_key.data(), keys_->client_key.size());
}

std::string ScramClient::client_first_message() {
  client_first_bare_ = "n=" + user_ + ",r=" + client_nonce_;
  state_ = State::SentFirst;
  return "n,," + client_first_bare_;
}

bool ScramClient::handle_server_first(std::string_view msg, std::string* error) {
  if (state_ != State::SentFirst) {
    set_error(error, "SCRAM: server-first-message out of order");
    state_ = State::Failed;
    return false;
  }
  state_ = State::Failed;  // until proven otherwise
  const std::string_view server_first = msg;
  if (msg.starts_with("m=")) {
    set_error(error, "SCRAM: server requires an unsupported mandatory extension");
    return false;
  }
  std::string_view nonce, salt_b64, iter_text;
  if (!next_attribute(msg, 'r', nonce) || !next_attribute(msg, 's', salt_b64) ||
      !next_attribute(msg, 'i', iter_text)) {
    set_error(error, "SCRAM: malformed server-first-message");
    return false;
  }
  // The combined nonce must start with ours and add the server's part (RFC 5802 section 5.1).
  if (nonce.size() <= client_nonce_.size() || !nonce.starts_with(client_nonce_)) {
    set_error(error, "SCRAM: server nonce does not extend the client nonce");
    return false;
  }
  auto salt = base64_decode(salt_b64);
  if (!salt || salt->empty()) {
    set_error(error, "SCRAM: invalid salt in server-first-message");
    return false;
  }
  int iterations = 0;
  auto [end, ec] =
      std::from_chars(iter_text.data(), iter_text.data() + iter_text.size(), iterations);
  if (ec != std::errc() || end != iter_text.data() + iter_text.size() || iterations < 1) {
    set_error(error, "SCRAM: invalid iteration count in server-first-message");
    return false;
  }

  server_nonce_ = std::string(nonce);
  const std::string client_final_without_proof =
      std::string("c=") + std::string(kChannelBindingNone) + ",r=" + server_nonce_;
  auth_message_ =
      client_first_bare_ + "," + std::string(server_first) + "," + client_final_without_proof;

  // RFC 5802 section 3:
  //   SaltedPassword = Hi(password, salt, i); ClientKey = HMAC(SaltedPassword, "Client Key")
  //   StoredKey = H(ClientKey); ClientSignature = HMAC(StoredKey, AuthMessage)
  //   ClientProof = ClientKey XOR ClientSignature
  //   ServerKey = HMAC(SaltedPassword, "Server Key"); ServerSignature = HMAC(ServerKey,
  //   AuthMessage)
  Sha256Digest salted{};
  Sha256Digest client_key{};
  Sha256Digest server_key{};
  if (keys_) {  // pass-through: the salt and iterations must be those of the client's verifier
    client_key = keys_->client_key;
    server_key = keys_->server_key;
  } else {
    salted = pbkdf2_hmac_sha256(password_, *salt, iterations);
    client_key = hmac_sha256(salted, "Client Key");
    server_key = hmac_sha256(salted, "Server Key");
  }
  const Sha256Digest stored_key = sha256(client_key);
  const Sha256Digest client_signature = hmac_sha256(stored_key, auth_message_);
  for (size_t i = 0; i < client_proof_.size(); ++i) {
    client_proof_[i] = client_key[i] ^ client_signature[i];
  }
  server_signature_ = hmac_sha256(server_key, auth_message_);
  OPENSSL_cleanse(salted.data(), salted.size());
  OPENSSL_cleanse(client_key.data(), client_key.size());

  state_ = State::GotServerFirst;
  return true;
}

std::string ScramClient::client_final_message() {
  if (state_ != State::GotServerFirst) return {};
  state_ = State::SentFinal;
  return std::string("c=") + std::string(kChannelBindingNone) + ",r=" + server_nonce_ +
         ",p=" + base64_encode(std::span<const uint8_t>(client_proof_));
}

bool ScramClient::verify_server_final(std::string_view msg, std::string* error) {
  if (state_ != State::SentFinal) {
    set_error(error, "SCRAM: server-final-message out of order");
    state_ = State::Failed;
    return false;
  }
  state_ = State::Failed;
  std::string_view value;
  std::string_view rest = msg;
  if (next_attribute(rest, 'e', value)) {
    set_error(error, "SCRAM: server reported error: " + std::string(value));
    return false;
  }
  rest = msg;
  if (!next_attribute(rest, 'v', value)) {
    set_error(error, "SCRAM: malformed server-final-message");
    return false;
  }
  auto signature = base64_decode(value);
  if (!signature || !constant_time_equal(*signature, server_signature_)) {
    set_error(error, "SCRAM: server signature mismatch");
    return false;
  }
  state_ = State::Done;
  return true;
}

}  // namespace sluice::crypto
