// Frontend message builders on top of MessageBuilder.
#include "protocol/frontend_messages.hpp"

#include "protocol/message_builder.hpp"
#include "protocol/message_header.hpp"

namespace sluice::protocol {

void append_startup_message(std::string& out,
                            std::span<const std::pair<std::string, std::string>> params) {
  MessageBuilder b(out);
  b.begin(0).int32(kProtocolVersion30);
  for (const auto& [name, value] : params) b.cstr(name).cstr(value);
  b.byte(0);
  b.end();
}

void append_ssl_request(std::string& out) {
  MessageBuilder(out).begin(0).int32(kSslRequestCode).end();
}

void append_gssenc_request(std::string& out) {
  MessageBuilder(out).begin(0).int32(kGssEncRequestCode).end();
}

void append_cancel_request(std::string& out, uint32_t pid, uint32_t key) {
  MessageBuilder(out).begin(0).int32(kCancelRequestCode).int32(pid).int32(key).end();
}

void append_password_message(std::string& out, std::string_view password) {
  MessageBuilder(out).begin('p').cstr(password).end();
}

void append_sasl_initial_response(std::string& out, std::string_view mechanism,
                                  std::string_view data) {
  MessageBuilder(out)
      .begin('p')
      .cstr(mechanism)
      .int32(static_cast<uint32_t>(data.size()))
      .bytes(data)
      .end();
}

void append_sasl_response(std::string& out, std::string_view data) {
  MessageBuilder(out).begin('p').bytes(data).end();
}

void append_query(std::string& out, std::string_view sql) {
  MessageBuilder(out).begin('Q').cstr(sql).end();
}

void append_parse(std::string& out, std::string_view statement, std::string_view sql) {
  MessageBuilder(out).begin('P').cstr(statement).cstr(sql).int16(0).end();
}

void append_bind(std::string& out, std::string_view portal, std::string_view statement,
                 std::span<const std::optional<std::string>> params) {
  MessageBuilder m(out);
  m.begin('B').cstr(portal).cstr(statement).int16(0).int16(static_cast<uint16_t>(params.size()));
  for (const auto& p : params) {
    if (!p) {
      m.int32(0xffffffffu);
      continue;
    }
    m.int32(static_cast<uint32_t>(p->size())).bytes(std::string_view(*p));
  }
  m.int16(0).end();
}

void append_execute(std::string& out, std::string_view portal, uint32_t max_rows) {
  MessageBuilder(out).begin('E').cstr(portal).int32(max_rows).end();
}

void append_sync(std::string& out) {
  MessageBuilder(out).begin('S').end();
}

void append_terminate(std::string& out) {
  MessageBuilder(out).begin('X').end();
}

}  // namespace sluice::protocol
