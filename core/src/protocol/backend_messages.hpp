// Builders for the backend (server -> client) messages the pooler itself sends to clients.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice::protocol {

// Each function appends exactly one complete message to `out`
// (formats: PostgreSQL docs, Frontend/Backend Protocol, "Message Formats").

void append_authentication_ok(std::string& out);                                // 'R' code 0
void append_authentication_cleartext(std::string& out);                         // 'R' code 3
void append_authentication_md5(std::string& out, std::array<uint8_t, 4> salt);  // 'R' code 5
// 'R' code 10: the mechanism names, each a String, then an empty String ending the list.
void append_authentication_sasl(std::string& out, std::span<const std::string_view> mechanisms);
void append_authentication_sasl_continue(std::string& out, std::string_view data);  // code 11
void append_authentication_sasl_final(std::string& out, std::string_view data);     // code 12
void append_parameter_status(std::string& out, std::string_view name, std::string_view value);
void append_backend_key_data(std::string& out, uint32_t pid, uint32_t key);
// `status`: 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block.
void append_ready_for_query(std::string& out, char status);
// ErrorResponse with fields S and V (both `severity`, e.g. "FATAL"), C (SQLSTATE), M.
void append_error(std::string& out, std::string_view severity, std::string_view sqlstate,
                  std::string_view message);
// NoticeResponse with severity "NOTICE" in S and V, then C and M.
void append_notice(std::string& out, std::string_view sqlstate, std::string_view message);
// NegotiateProtocolVersion ('v'). The Int32 on the wire is the full version, major 3 in the top
// 16 bits and `newest_minor` in the low 16: that is what PostgreSQL sends (PG_PROTOCOL_LATEST)
// and what libpq reads, although docs before PostgreSQL 18 described it as "minor version".
void append_negotiate_protocol_version(std::string& out, uint32_t newest_minor,
                                       std::span<const std::string> unrecognized_options);

}  // namespace sluice::protocol
