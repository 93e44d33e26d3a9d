// Parsers for message bodies (the bytes after the 5-byte header); std::nullopt on malformed input.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace sluice::protocol {

// Every parser is strict: the body must hold exactly the fields of its format, with nothing
// trailing (PostgreSQL docs, "Message Formats"). Returned spans point into `body`.

// Authentication ('R'): Int32 code, then code-specific data. Codes: 0 ok, 3 cleartext,
// 5 md5 (data = 4-byte salt), 10 SASL (data = mechanism list), 11 SASLContinue, 12 SASLFinal.
// Ok and cleartext must carry no data, md5 exactly 4 bytes, SASL at least the list terminator;
// other codes (GSS, SSPI, ...) are returned as-is for the caller to refuse.
struct AuthRequest {
  uint32_t code;
  std::span<const uint8_t> data;
};
std::optional<AuthRequest> parse_auth_request(std::span<const uint8_t> body);

// AuthenticationSASL data: String names, then an empty String. At least one name is required.
std::optional<std::vector<std::string>> parse_sasl_mechanisms(std::span<const uint8_t> data);

// ParameterStatus ('S'): String name, String value.
std::optional<std::pair<std::string, std::string>> parse_parameter_status(
    std::span<const uint8_t> body);

// BackendKeyData ('K'): Int32 pid, Int32 secret key (protocol 3.0: exactly 8 bytes).
std::optional<std::pair<uint32_t, uint32_t>> parse_backend_key_data(std::span<const uint8_t> body);

// ErrorResponse ('E') / NoticeResponse ('N'): (Byte1 code, String value)* Byte1(0).
// `severity` is the non-localized V field when present, else S; `all` keeps every field in order.
struct ErrorFields {
  std::string severity, sqlstate, message, detail, hint;
  std::vector<std::pair<char, std::string>> all;
};
std::optional<ErrorFields> parse_error_fields(std::span<const uint8_t> body);

// PasswordMessage ('p'): a single String.
std::optional<std::string> parse_password_message(std::span<const uint8_t> body);

// SASLInitialResponse ('p'): String mechanism, Int32 length (-1: no data), Byte[length].
struct SaslInitialResponse {
  std::string mechanism;
  std::string data;  // empty when the length is -1
};
std::optional<SaslInitialResponse> parse_sasl_initial_response(std::span<const uint8_t> body);

// RowDescription ('T'): the field count (Int16) only.
std::optional<uint16_t> parse_row_description_count(std::span<const uint8_t> body);

// DataRow ('D'): Int16 n, then n values as Int32 length (-1: NULL) and bytes. nullopt when the
// lengths do not add up to the body exactly.
std::optional<std::vector<std::optional<std::string>>> parse_data_row(
    std::span<const uint8_t> body);

// ReadyForQuery ('Z'): Byte1 status, one of 'I', 'T', 'E'.
std::optional<char> parse_ready_for_query(std::span<const uint8_t> body);

}  // namespace sluice::protocol
