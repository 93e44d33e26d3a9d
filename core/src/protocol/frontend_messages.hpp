// Builders for the frontend (client -> server) messages the pooler sends when it logs into servers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

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

}  // namespace sluice::protocol
