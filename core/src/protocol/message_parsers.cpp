// Strict body parsers built on ByteReader.
#include "protocol/message_parsers.hpp"

#include "protocol/byte_reader.hpp"

namespace sluice::protocol {

namespace {
std::string to_string(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
}  // namespace

std::optional<AuthRequest> parse_auth_request(std::span<const uint8_t> body) {
  ByteReader r(body);
  auto code = r.int32();
  if (!code) return std::nullopt;
  AuthRequest req{*code, r.rest()};
  switch (*code) {
    case 0:  // AuthenticationOk
    case 3:  // AuthenticationCleartextPassword
      if (!req.data.empty()) return std::nullopt;
      break;
    case 5:  // AuthenticationMD5Password: Byte4 salt
      if (req.data.size() != 4) return std::nullopt;
      break;
    case 10:  // AuthenticationSASL: at least the list terminator
      if (req.data.empty()) return std::nullopt;
      break;
    default:
      break;
  }
  return req;
}

std::optional<std::vector<std::string>> parse_sasl_mechanisms(std::span<const uint8_t> data) {
  ByteReader r(data);
  std::vector<std::string> out;
  for (;;) {
    auto name = r.cstr();
    if (!name) return std::nullopt;  // list not terminated
    if (name->empty()) break;
    out.emplace_back(*name);
  }
  if (!r.at_end() || out.empty()) return std::nullopt;
  return out;
}

std::optional<std::pair<std::string, std::string>> parse_parameter_status(
    std::span<const uint8_t> body) {
  ByteReader r(body);
  auto name = r.cstr();
  if (!name) return std::nullopt;
  auto value = r.cstr();
  if (!value || !r.at_end()) return std::nullopt;
  return std::make_pair(std::string(*name), std::string(*value));
}

std::optional<std::pair<uint32_t, uint32_t>> parse_backend_key_data(std::span<const uint8_t> body) {
  ByteReader r(body);
  auto pid = r.int32();
  auto key = r.int32();
  if (!pid || !key || !r.at_end()) return std::nullopt;
  return std::make_pair(*pid, *key);
}

std::optional<ErrorFields> parse_error_fields(std::span<const uint8_t> body) {
  ByteReader r(body);
  ErrorFields f;
  std::string severity_localized;
  bool have_v = false;
  for (;;) {
    auto code = r.byte();
    if (!code) return std::nullopt;  // missing the final Byte1(0)
    if (*code == 0) break;
    auto value = r.cstr();
    if (!value) return std::nullopt;
    const char c = static_cast<char>(*code);
    switch (c) {
      case 'S':
        severity_localized = *value;
        break;
      case 'V':
        f.severity = *value;
        have_v = true;
        break;
      case 'C':
        f.sqlstate = *value;
        break;
      case 'M':
        f.message = *value;
        break;
      case 'D':
        f.detail = *value;
        break;
      case 'H':
        f.hint = *value;
        break;
      default:
        break;  // "frontends should silently ignore fields of unrecognized type"
    }
    f.all.emplace_back(c, std::string(*value));
  }
  if (!r.at_end()) return std::nullopt;
  if (!have_v) f.severity = std::move(severity_localized);
  return f;
}

std::optional<std::string> parse_password_message(std::span<const uint8_t> body) {
  ByteReader r(body);
  auto password = r.cstr();
  if (!password || !r.at_end()) return std::nullopt;
  return std::string(*password);
}

std::optional<SaslInitialResponse> parse_sasl_initial_response(std::span<const uint8_t> body) {
  ByteReader r(body);
  auto mechanism = r.cstr();
  auto length = r.int32();
  if (!mechanism || !length) return std::nullopt;
  SaslInitialResponse out{std::string(*mechanism), {}};
  if (*length == 0xffffffffu) {  // Int32(-1): no initial response
    if (!r.at_end()) return std::nullopt;
    return out;
  }
  if (*length != r.remaining()) return std::nullopt;  // also rejects other negative lengths
  out.data = to_string(r.rest());
  return out;
}

std::optional<uint16_t> parse_row_description_count(std::span<const uint8_t> body) {
  ByteReader r(body);
  return r.int16();
}

std::optional<std::vector<std::optional<std::string>>> parse_data_row(
    std::span<const uint8_t> body) {
  ByteReader r(body);
  const auto n = r.int16();
  if (!n) return std::nullopt;
  std::vector<std::optional<std::string>> values;
  values.reserve(*n);
  for (uint16_t i = 0; i < *n; ++i) {
    const auto len = r.int32();
    if (!len) return std::nullopt;
    if (*len == 0xffffffffu) {
      values.emplace_back(std::nullopt);
      continue;
    }
    const auto bytes = r.bytes(*len);
    if (!bytes) return std::nullopt;
    values.emplace_back(std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  }
  if (!r.at_end()) return std::nullopt;
  return values;
}

std::optional<char> parse_ready_for_query(std::span<const uint8_t> body) {
  if (body.size() != 1) return std::nullopt;
  const char status = static_cast<char>(body[0]);
  if (status != 'I' && status != 'T' && status != 'E') return std::nullopt;
  return status;
}

}  // namespace sluice::protocol
