// SCRAM-SHA-256 for auth plugins, header-only, on top of the host's hash callbacks (no crypto
// library of the plugin's own): base64, PostgreSQL's stored verifier, and the server side of one
// exchange as PostgreSQL runs it (RFC 5802, RFC 7677; PostgreSQL docs "SASL Authentication").
//
// Like sdk.hpp this is compiled into each plugin and carries no ABI promise.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/sdk.hpp"

namespace sluice::sdk::scram {

using Key = std::array<uint8_t, 32>;

// ---- base64 (RFC 4648 section 4, with padding)

inline std::string base64_encode(std::span<const uint8_t> data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8 | data[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  const size_t rest = data.size() - i;
  if (rest > 0) {
    const uint32_t v = uint32_t{data[i]} << 16 | (rest == 2 ? uint32_t{data[i + 1]} << 8 : 0u);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}
inline std::string base64_encode(std::string_view data) {
  return base64_encode(Host::as_bytes(data));
}

// Strict: length a multiple of 4, '=' only as final padding, no whitespace; nullopt otherwise.
inline std::optional<std::vector<uint8_t>> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  if (!text.empty() && text.back() == '=')
    pad = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t v = 0;
    const bool last = i + 4 == text.size();
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (last && j >= 4 - pad) {
        v <<= 6;
        continue;
      }
      const int d = value(c);
      if (d < 0) return std::nullopt;
      v = v << 6 | static_cast<uint32_t>(d);
    }
    // Canonical only: the bits a padded group drops must be zero ("Zh==" is not "Zg==").
    if (last && ((pad == 2 && (v & 0xffff) != 0) || (pad == 1 && (v & 0xff) != 0)))
      return std::nullopt;
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (!last || pad < 2) out.push_back(static_cast<uint8_t>(v >> 8));
    if (!last || pad < 1) out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

// ---- PostgreSQL's stored verifier

// "SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>"
// (PostgreSQL docs, "Password Authentication"; src/backend/libpq/auth-scram.c).
struct Verifier {
  uint32_t iterations = 0;
  std::vector<uint8_t> salt;
  Key stored_key{};
  Key server_key{};
};

inline constexpr std::string_view kVerifierPrefix = "SCRAM-SHA-256$";

inline bool is_verifier(std::string_view s) {
  return s.starts_with(kVerifierPrefix);
}

// nullopt unless the prefix matches, iterations is a positive integer, the salt is non-empty
// base64 and both keys decode to exactly 32 bytes.
inline std::optional<Verifier> parse_verifier(std::string_view s) {
  if (!s.starts_with(kVerifierPrefix)) return std::nullopt;
  s.remove_prefix(kVerifierPrefix.size());
  const size_t dollar = s.find('$');
  if (dollar == std::string_view::npos) return std::nullopt;
  const std::string_view params = s.substr(0, dollar);
  const std::string_view keys = s.substr(dollar + 1);
  const size_t colon1 = params.find(':');
  const size_t colon2 = keys.find(':');
  if (colon1 == std::string_view::npos || colon2 == std::string_view::npos) return std::nullopt;
  Verifier v;
  const std::string_view iter = params.substr(0, colon1);
  auto [end, ec] = std::from_chars(iter.data(), iter.data() + iter.size(), v.iterations);
  if (ec != std::errc() || end != iter.data() + iter.size() || v.iterations < 1)
    return std::nullopt;
  auto salt = base64_decode(params.substr(colon1 + 1));
  auto stored = base64_decode(keys.substr(0, colon2));
  auto server = base64_decode(keys.substr(colon2 + 1));
  if (!salt || salt->empty() || !stored || stored->size() != 32 || !server || server->size() != 32)
    return std::nullopt;
  v.salt = std::move(*salt);
  std::copy(stored->begin(), stored->end(), v.stored_key.begin());
  std::copy(server->begin(), server->end(), v.server_key.begin());
  return v;
}

inline std::string format_verifier(const Verifier& v) {
  return std::string(kVerifierPrefix) + std::to_string(v.iterations) + ":" + base64_encode(v.salt) +
         "$" + base64_encode(v.stored_key) + ":" + base64_encode(v.server_key);
}

// The keys of RFC 5802 section 3 for a password (used as given: no SASLprep, like libpq for
// ASCII passwords).
struct DerivedKeys {
  Key client_key{};
  Key stored_key{};
  Key server_key{};
};
inline DerivedKeys derive_keys(const Host& host, std::string_view password,
                               std::span<const uint8_t> salt, uint32_t iterations) {
  const Key salted = host.pbkdf2_sha256(Host::as_bytes(password), salt, iterations);
  DerivedKeys k;
  k.client_key = host.hmac_sha256(salted, Host::as_bytes("Client Key"));
  k.stored_key = host.sha256(k.client_key);
  k.server_key = host.hmac_sha256(salted, Host::as_bytes("Server Key"));
  return k;
}

inline Verifier make_verifier(const Host& host, std::string_view password,
                              std::span<const uint8_t> salt, uint32_t iterations) {
  const DerivedKeys k = derive_keys(host, password, salt, iterations);
  Verifier v;
  v.iterations = iterations;
  v.salt.assign(salt.begin(), salt.end());
  v.stored_key = k.stored_key;
  v.server_key = k.server_key;
  return v;
}

// A verifier for a user that does not exist: the salt is SHA-256(user || process_secret), stable
// for a user name within one process (as PgBouncer and PostgreSQL do, so repeated attempts cannot
// tell a real user from a made-up one), and the keys are random, so no password matches.
inline Verifier mock_verifier(const Host& host, std::string_view user,
                              std::span<const uint8_t> process_secret, uint32_t iterations) {
  std::vector<uint8_t> input(user.begin(), user.end());
  input.insert(input.end(), process_secret.begin(), process_secret.end());
  const Key digest = host.sha256(input);
  Verifier v;
  v.iterations = iterations;
  v.salt.assign(digest.begin(), digest.begin() + 16);
  host.random(v.stored_key);
  host.random(v.server_key);
  return v;
}

// ---- The server side of one exchange

inline constexpr int32_t kAuthSasl = 10;          // AuthenticationSASL
inline constexpr int32_t kAuthSaslContinue = 11;  // AuthenticationSASLContinue
inline constexpr int32_t kAuthSaslFinal = 12;     // AuthenticationSASLFinal
inline constexpr std::string_view kMechanism = "SCRAM-SHA-256";
// No SCRAM message of a well-behaved client comes near this; longer ones are refused unread.
inline constexpr size_t kMaxMessage = 1024;
inline constexpr size_t kMaxNonce = 256;

// Runs SCRAM-SHA-256 without channel binding (only "SCRAM-SHA-256" is offered, as PgBouncer does)
// against a verifier. Construct with nullopt for an unknown user: the exchange runs in full on a
// mock verifier and fails with the same error as a wrong password. `keys_for_passthrough`: report
// the recovered ClientKey and the ServerKey on success (only for verifiers from auth_file, not for
// ones built from a plaintext secret, whose servers get the plaintext password).
class ServerSession final : public AuthSession {
 public:
  // `server_nonce`: empty => 18 random bytes, base64 (as PostgreSQL); tests pass RFC 7677's.
  ServerSession(Host host, Verifier verifier, bool mock, bool keys_for_passthrough,
                std::string server_nonce = {})
      : host_(host),
        verifier_(std::move(verifier)),
        mock_(mock),
        passthrough_(keys_for_passthrough),
        server_nonce_(std::move(server_nonce)) {}

  void first(Output& out) override {
    std::string mechanisms(kMechanism);
    mechanisms.push_back('\0');
    mechanisms.push_back('\0');  // the list ends with an empty name
    out.send_auth_request(kAuthSasl, Host::as_bytes(mechanisms));
  }

  void step(uint8_t type, std::span<const uint8_t> payload, Output& out) override {
    if (type != 'p') {
      out.fail(std::string("expected SASL response, got message type ") + static_cast<char>(type),
               "08P01");
      return;
    }
    if (state_ == State::WantInitial)
      initial_response(payload, out);
    else if (state_ == State::WantFinal)
      final_response(payload, out);
    else
      out.fail("unexpected SASL message", "08P01");
  }

 private:
  enum class State { WantInitial, WantFinal, Done };

  static void malformed(Output& out, std::string_view what) {
    out.fail("malformed SCRAM message: " + std::string(what), "08P01");
  }
  static bool printable_nonce(std::string_view n) {
    return !n.empty() && n.size() <= kMaxNonce && std::all_of(n.begin(), n.end(), [](char c) {
      return c >= 0x21 && c <= 0x7e && c != ',';
    });
  }

  // SASLInitialResponse: String mechanism, Int32 length (-1: none), Byte[n] client-first-message.
  void initial_response(std::span<const uint8_t> payload, Output& out) {
    state_ = State::Done;
    const std::string_view body(reinterpret_cast<const char*>(payload.data()), payload.size());
    const size_t nul = body.find('\0');
    if (nul == std::string_view::npos || body.size() < nul + 5) {
      out.fail("invalid SASL initial response packet", "08P01");
      return;
    }
    if (body.substr(0, nul) != kMechanism) {
      out.fail("client selected an invalid SASL authentication mechanism", "08P01");
      return;
    }
    const auto* p = reinterpret_cast<const uint8_t*>(body.data() + nul + 1);
    const int32_t len = static_cast<int32_t>(uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 |
                                             uint32_t{p[2]} << 8 | uint32_t{p[3]});
    const std::string_view msg = body.substr(nul + 5);
    if (len < 0 || static_cast<size_t>(len) != msg.size()) {
      out.fail("invalid SASL initial response packet", "08P01");
      return;
    }
    if (msg.size() > kMaxMessage) {
      malformed(out, "client-first-message too long");
      return;
    }
    // gs2-header: cbind-flag "," [authzid] ","
    if (msg.starts_with("p=")) {
      malformed(out, "channel binding was requested but not offered");
      return;
    }
    if (!msg.starts_with("n,") && !msg.starts_with("y,")) {
      malformed(out, "unexpected channel-binding flag");
      return;
    }
    if (msg.size() < 3 || msg[2] != ',') {
      malformed(out, "authorization identity is not supported");
      return;
    }
    gs2_header_ = std::string(msg.substr(0, 3));
    const std::string_view bare = msg.substr(3);
    // client-first-message-bare: "n=" user "," "r=" nonce ["," extensions]
    if (bare.starts_with("m=")) {
      malformed(out, "mandatory extensions are not supported");
      return;
    }
    if (!bare.starts_with("n=")) {
      malformed(out, "expected attribute \"n\"");
      return;
    }
    const size_t comma = bare.find(',');
    if (comma == std::string_view::npos || bare.substr(comma + 1, 2) != "r=") {
      malformed(out, "expected attribute \"r\"");
      return;
    }
    std::string_view nonce = bare.substr(comma + 3);
    nonce = nonce.substr(0, nonce.find(','));
    if (!printable_nonce(nonce)) {
      malformed(out, "invalid client nonce");
      return;
    }
    client_first_bare_ = std::string(bare);
    if (server_nonce_.empty()) {
      std::array<uint8_t, 18> raw{};  // PostgreSQL's SCRAM_RAW_NONCE_LEN
      host_.random(raw);
      server_nonce_ = base64_encode(raw);
    }
    nonce_ = std::string(nonce) + server_nonce_;
    server_first_ = "r=" + nonce_ + ",s=" + base64_encode(verifier_.salt) +
                    ",i=" + std::to_string(verifier_.iterations);
    state_ = State::WantFinal;
    out.send_auth_request(kAuthSaslContinue, Host::as_bytes(server_first_));
  }

  // SASLResponse: client-final-message "c=" cbind "," "r=" nonce ["," extensions] "," "p=" proof
  void final_response(std::span<const uint8_t> payload, Output& out) {
    state_ = State::Done;
    const std::string_view msg(reinterpret_cast<const char*>(payload.data()), payload.size());
    if (msg.size() > kMaxMessage) {
      malformed(out, "client-final-message too long");
      return;
    }
    if (!msg.starts_with("c=")) {
      malformed(out, "expected attribute \"c\"");
      return;
    }
    const size_t c_end = msg.find(',');
    if (c_end == std::string_view::npos || msg.substr(2, c_end - 2) != base64_encode(gs2_header_)) {
      malformed(out, "unexpected channel-binding data");
      return;
    }
    const std::string_view after_c = msg.substr(c_end + 1);
    if (!after_c.starts_with("r=")) {
      malformed(out, "expected attribute \"r\"");
      return;
    }
    const size_t proof_at = msg.rfind(",p=");
    if (proof_at == std::string_view::npos || proof_at < c_end) {
      malformed(out, "expected attribute \"p\"");
      return;
    }
    std::string_view nonce = after_c.substr(2);
    nonce = nonce.substr(0, nonce.find(','));
    if (!constant_time_equal(nonce, nonce_)) {
      malformed(out, "nonce does not match");
      return;
    }
    const auto proof = base64_decode(msg.substr(proof_at + 3));
    if (!proof || proof->size() != 32) {
      malformed(out, "invalid proof");
      return;
    }
    const std::string auth_message =
        client_first_bare_ + "," + server_first_ + "," + std::string(msg.substr(0, proof_at));
    const Key signature = host_.hmac_sha256(verifier_.stored_key, Host::as_bytes(auth_message));
    Key client_key{};
    for (size_t i = 0; i < client_key.size(); ++i) client_key[i] = (*proof)[i] ^ signature[i];
    const Key stored = host_.sha256(client_key);
    const auto as_view = [](const Key& k) {
      return std::string_view(reinterpret_cast<const char*>(k.data()), k.size());
    };
    if (!constant_time_equal(as_view(stored), as_view(verifier_.stored_key)) || mock_) {
      out.fail("SASL authentication failed", "28P01");
      return;
    }
    const Key server_signature =
        host_.hmac_sha256(verifier_.server_key, Host::as_bytes(auth_message));
    const std::string final_message = "v=" + base64_encode(server_signature);
    std::vector<uint8_t> body{0, 0, 0, static_cast<uint8_t>(kAuthSaslFinal)};
    body.insert(body.end(), final_message.begin(), final_message.end());
    out.ok_after('R', body);
    if (passthrough_) out.set_scram_keys(client_key, verifier_.server_key);
  }

  Host host_;
  Verifier verifier_;
  bool mock_;
  bool passthrough_;
  State state_ = State::WantInitial;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_nonce_;
  std::string nonce_;
  std::string server_first_;
};

// auth_type scram-sha-256 as PgBouncer runs it, for any plugin whose stored secret may be a
// verifier (auth_md5 switches to it): a verifier from auth_file is used as is (and its keys serve
// pass-through); a plaintext secret gets an "ad-hoc" verifier with a random salt and
// scram_iterations, cached per user until the secret changes; an md5 secret cannot be used; an
// unknown user runs the mock exchange. THREAD: begin() may run concurrently on shard threads.
class Authenticator {
 public:
  explicit Authenticator(Host host) : host_(host) { host_.random(process_secret_); }

  std::unique_ptr<AuthSession> begin(std::string_view user,
                                     std::optional<std::string_view> secret) {
    if (secret && is_verifier(*secret)) {
      if (auto v = parse_verifier(*secret))
        return std::make_unique<ServerSession>(host_, std::move(*v), false, true);
      host_.warning("user \"" + std::string(user) + "\" has an invalid SCRAM secret");
    } else if (secret && is_md5_secret(*secret)) {
      host_.warning("user \"" + std::string(user) +
                    "\" has an md5 secret, which SCRAM authentication cannot use");
    } else if (secret && !secret->empty()) {
      return std::make_unique<ServerSession>(host_, adhoc(user, *secret), false, false);
    }
    return std::make_unique<ServerSession>(
        host_, mock_verifier(host_, user, process_secret_, iterations()), true, false);
  }

  // PostgreSQL's isMD5(): "md5" followed by exactly 32 hex digits.
  static bool is_md5_secret(std::string_view s) {
    return s.size() == 35 && s.starts_with("md5") &&
           std::all_of(s.begin() + 3, s.end(), [](char c) {
             return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
           });
  }

 private:
  uint32_t iterations() const {
    uint32_t n = 4096;  // PgBouncer's default scram_iterations
    if (auto v = host_.config("scram_iterations")) {
      uint32_t parsed = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), parsed);
      if (ec == std::errc() && end == v->data() + v->size() && parsed > 0) n = parsed;
    }
    return n;
  }

  Verifier adhoc(std::string_view user, std::string_view password) {
    const uint32_t iter = iterations();
    {
      std::lock_guard lock(mu_);
      auto it = cache_.find(std::string(user));
      if (it != cache_.end() && it->second.first == password &&
          it->second.second.iterations == iter)
        return it->second.second;
    }
    std::array<uint8_t, 16> salt{};  // PostgreSQL's SCRAM_DEFAULT_SALT_LEN
    host_.random(salt);
    Verifier v = make_verifier(host_, password, salt, iter);  // PBKDF2 outside the lock
    std::lock_guard lock(mu_);
    cache_[std::string(user)] = {std::string(password), v};
    return v;
  }

  Host host_;
  std::array<uint8_t, 32> process_secret_{};
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, Verifier>> cache_;
};

}  // namespace sluice::sdk::scram
