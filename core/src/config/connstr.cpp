// libpq-like key=value tokenizer used by PgBouncer for [databases] (and [users], [peers]) values.
#include "config/connstr.hpp"

#include "config/config_error.hpp"
#include "config/value_parser.hpp"

namespace sluice::config {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

ConnstrPairs parse_connstr(std::string_view text, const std::string& file, int line,
                           const std::string& entry_name) {
  auto fail = [&](const std::string& why) {
    throw ConfigError(file, line, entry_name, "syntax error in connection string: " + why);
  };
  ConnstrPairs out;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (true) {
    while (i < n && is_space(text[i])) ++i;
    if (i >= n) break;
    std::size_t key_start = i;
    while (i < n && text[i] != '=' && !is_space(text[i])) ++i;
    std::string key = to_lower(text.substr(key_start, i - key_start));
    while (i < n && is_space(text[i])) ++i;
    if (i >= n || text[i] != '=') fail("expected '=' after \"" + key + "\"");
    if (key.empty()) fail("missing key before '='");
    ++i;
    while (i < n && is_space(text[i])) ++i;
    std::string value;
    if (i < n && text[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < n) {
        if (text[i] == '\'') {
          if (i + 1 < n && text[i + 1] == '\'') {
            value += '\'';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        value += text[i++];
      }
      if (!closed) fail("unterminated quoted value for \"" + key + "\"");
      if (i < n && !is_space(text[i]))
        fail("unexpected text after quoted value of \"" + key + "\"");
    } else {
      while (i < n && !is_space(text[i])) value += text[i++];
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

}  // namespace sluice::config
