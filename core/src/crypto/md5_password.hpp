// PostgreSQL's md5 password scheme: stored secrets and the salted AuthenticationMD5Password
// response.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::crypto {

// Lowercase hex MD5 of `data` (32 characters).
std::string md5_hex(std::string_view data);

// The stored form: "md5" + md5_hex(password + user) (PostgreSQL docs, "Password Authentication";
// src/common/md5_common.c pg_md5_encrypt).
std::string md5_secret(std::string_view password, std::string_view user);

// True for "md5" followed by exactly 32 lowercase hex digits (PostgreSQL's isMD5 test also
// accepts only that shape).
bool is_md5_secret(std::string_view s);

// The PasswordMessage a client sends for AuthenticationMD5Password:
// "md5" + md5_hex(md5_hex(password + user) + salt) (PostgreSQL docs, "Message Flow",
// AuthenticationMD5Password). `secret_or_password` may be a stored md5 secret (then its hex part
// is used as the inner hash) or a plaintext password. Like PostgreSQL, a plaintext password that
// happens to look like an md5 secret is taken to be one.
std::string md5_salted_response(std::string_view secret_or_password, std::string_view user,
                                std::array<uint8_t, 4> salt);

}  // namespace sluice::crypto
