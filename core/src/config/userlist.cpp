// userlist.txt reader with PgBouncer's quoting rules (reference §3.1).
#include "config/userlist.hpp"

#include <optional>

#include "config/config_error.hpp"
#include "config/ini_reader.hpp"

namespace sluice::config {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// Reads a "..." field starting at line[i] == '"'; advances i past the closing quote.
std::optional<std::string> read_quoted(std::string_view line, std::size_t& i) {
  std::string out;
  ++i;
  while (i < line.size()) {
    if (line[i] == '"') {
      if (i + 1 < line.size() && line[i + 1] == '"') {
        out += '"';
        i += 2;
        continue;
      }
      ++i;
      return out;
    }
    out += line[i++];
  }
  return std::nullopt;  // unterminated
}

}  // namespace

Userlist parse_userlist(std::string_view text, const std::string& file) {
  Userlist users;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    ++line_no;
    pos = (nl == std::string_view::npos) ? text.size() + 1 : nl + 1;

    std::size_t i = 0;
    while (i < line.size() && is_blank(line[i])) ++i;
    if (i == line.size() || line[i] == ';') continue;

    auto broken = [&] { return ConfigError(file, line_no, "", "broken auth file"); };
    if (line[i] != '"') throw broken();
    std::optional<std::string> user = read_quoted(line, i);
    if (!user) throw broken();
    if (user->size() >= kMaxUsernameBytes) {
      throw ConfigError(file, line_no, "", "username too long in auth file");
    }
    while (i < line.size() && is_blank(line[i])) ++i;
    if (i == line.size() || line[i] != '"') throw broken();
    std::optional<std::string> secret = read_quoted(line, i);
    if (!secret) throw broken();
    if (secret->size() > kMaxSecretBytes) {
      throw ConfigError(file, line_no, "", "password too long in auth file");
    }
    users[*user] = std::move(*secret);
  }
  return users;
}

Userlist load_userlist(const std::string& path) {
  return parse_userlist(read_whole_file(path), path);
}

}  // namespace sluice::config
