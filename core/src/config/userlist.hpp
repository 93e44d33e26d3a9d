// auth_file (userlist.txt) parsing: `"user" "secret"` lines (reference §3.1).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace sluice::config {

// user -> secret: plaintext, "md5<32 hex>" or
// "SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>".
using Userlist = std::map<std::string, std::string>;

// User names must be shorter than this many bytes (PgBouncer MAX_USERNAME).
inline constexpr std::size_t kMaxUsernameBytes = 128;
// Longest accepted secret in bytes (PgBouncer's password buffer).
inline constexpr std::size_t kMaxSecretBytes = 65531;

// Reads and parses `path`. Throws ConfigError(path, 0, "", "cannot open file: ...") or the errors
// of parse_userlist().
Userlist load_userlist(const std::string& path);

// Each line: optional leading whitespace, then either nothing, a ';' comment, or two double-quoted
// fields (`""` inside a field is one quote) separated by whitespace; the rest of the line is
// ignored. Any other line throws ConfigError(file, line, "", "broken auth file"). A user listed
// twice keeps the later secret.
Userlist parse_userlist(std::string_view text, const std::string& file_name_for_errors);

}  // namespace sluice::config
