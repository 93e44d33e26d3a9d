// Builders for the frontend (client -> server) messages the pooler sends when it logs into servers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::protocol {

// Each function appends exactly one complete message to `out`
// (formats: PostgreSQL docs, Frontend/Backend Protocol, "Message Formats").

// StartupMessage, protocol 3.0: the name/value pairs in order, then the terminating NUL.
void append_startup_message(std::string& out,
                            std::span<const std::pair<std::string, std::string>> params);
void append_ssl_request(std::string& out);     // Int32(8) Int32(80877103)
void append_gssenc_request(std::string& out);  // Int32(8) Int32(80877104)
void append_cancel_request(std::string& out, uint32_t pid, uint32_t key);
void append_password_message(std::string& out, std::string_view password);  // 'p' String
// 'p': mechanism String, Int32 length of `data`, `data` (length is data.size(), never -1).
void append_sasl_initial_response(std::string& out, std::string_view mechanism,
                                  std::string_view data);
void append_sasl_response(std::string& out, std::string_view data);  // 'p': raw `data`
void append_query(std::string& out, std::string_view sql);           // 'Q' String
void append_terminate(std::string& out);                             // 'X'

// The extended query protocol, as the pooler runs auth_query (text formats only):
// Parse 'P': String statement, String query, Int16 0 (parameter types left to the server).
void append_parse(std::string& out, std::string_view statement, std::string_view sql);
// Bind 'B': String portal, String statement, Int16 0 (all parameters text), Int16 n, then each
// parameter as Int32 length (-1 for NULL) and its bytes, Int16 0 (all results text).
void append_bind(std::string& out, std::string_view portal, std::string_view statement,
                 std::span<const std::optional<std::string>> params);
void append_execute(std::string& out, std::string_view portal, uint32_t max_rows);  // 'E'
void append_sync(std::string& out);                                                 // 'S'

}  // namespace sluice::protocol
