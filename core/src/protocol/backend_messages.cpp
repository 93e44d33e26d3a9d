// Backend message builders on top of MessageBuilder.
#include "protocol/backend_messages.hpp"

#include <cassert>
#include <cstring>

#include "protocol/message_builder.hpp"

namespace sluice::protocol {

namespace {
// AuthenticationXXX request codes (PostgreSQL src/include/libpq/protocol.h, AUTH_REQ_*).
constexpr uint32_t kAuthOk = 0;
constexpr uint32_t kAuthCleartext = 3;
constexpr uint32_t kAuthMd5 = 5;
constexpr uint32_t kAuthSasl = 10;
constexpr uint32_t kAuthSaslContinue = 11;
constexpr uint32_t kAuthSaslFinal = 12;

void append_auth(std::string& out, uint32_t code, std::string_view data = {}) {
  MessageBuilder(out).begin('R').int32(code).bytes(data).end();
}
}  // namespace

void append_authentication_ok(std::string& out) {
  append_auth(out, kAuthOk);
}

void append_authentication_cleartext(std::string& out) {
  append_auth(out, kAuthCleartext);
}

void append_authentication_md5(std::string& out, std::array<uint8_t, 4> salt) {
  MessageBuilder(out).begin('R').int32(kAuthMd5).bytes(std::span<const uint8_t>(salt)).end();
}

void append_authentication_sasl(std::string& out, std::span<const std::string_view> mechanisms) {
  MessageBuilder b(out);
  b.begin('R').int32(kAuthSasl);
  for (std::string_view m : mechanisms) b.cstr(m);
  b.byte(0);
  b.end();
}

void append_authentication_sasl_continue(std::string& out, std::string_view data) {
  append_auth(out, kAuthSaslContinue, data);
}

void append_authentication_sasl_final(std::string& out, std::string_view data) {
  append_auth(out, kAuthSaslFinal, data);
}

// Written in place with one resize: a login's welcome holds a dozen of these, and MessageBuilder's
// appends (each checking capacity) cost several times the copying.
void append_parameter_status(std::string& out, std::string_view name, std::string_view value) {
  assert(name.find('\0') == std::string_view::npos && value.find('\0') == std::string_view::npos &&
         "protocol strings cannot contain NUL");
  const size_t len = 4 + name.size() + 1 + value.size() + 1;  // the length counts itself
  const size_t at = out.size();
  out.resize(at + 1 + len);
  char* p = out.data() + at;
  *p++ = 'S';
  *p++ = static_cast<char>(len >> 24);
  *p++ = static_cast<char>(len >> 16);
  *p++ = static_cast<char>(len >> 8);
  *p++ = static_cast<char>(len);
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = '\0';
  std::memcpy(p, value.data(), value.size());
  p[value.size()] = '\0';
}

void append_backend_key_data(std::string& out, uint32_t pid, uint32_t key) {
  MessageBuilder(out).begin('K').int32(pid).int32(key).end();
}

void append_ready_for_query(std::string& out, char status) {
  MessageBuilder(out).begin('Z').byte(static_cast<uint8_t>(status)).end();
}

namespace {
// ErrorResponse/NoticeResponse: (Byte1 field code, String value)* then Byte1(0)
// ("Error and Notice Message Fields"; V is the non-localized severity, PostgreSQL 9.6+).
void append_fields(std::string& out, char type, std::string_view severity,
                   std::string_view sqlstate, std::string_view message) {
  MessageBuilder(out)
      .begin(type)
      .byte('S')
      .cstr(severity)
      .byte('V')
      .cstr(severity)
      .byte('C')
      .cstr(sqlstate)
      .byte('M')
      .cstr(message)
      .byte(0)
      .end();
}
}  // namespace

void append_error(std::string& out, std::string_view severity, std::string_view sqlstate,
                  std::string_view message) {
  append_fields(out, 'E', severity, sqlstate, message);
}

void append_notice(std::string& out, std::string_view sqlstate, std::string_view message) {
  append_fields(out, 'N', "NOTICE", sqlstate, message);
}

void append_negotiate_protocol_version(std::string& out, uint32_t newest_minor,
                                       std::span<const std::string> unrecognized_options) {
  MessageBuilder b(out);
  b.begin('v').int32((3u << 16) | (newest_minor & 0xffff));
  b.int32(static_cast<uint32_t>(unrecognized_options.size()));
  for (const std::string& option : unrecognized_options) b.cstr(option);
  b.end();
}

}  // namespace sluice::protocol
