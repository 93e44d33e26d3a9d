// Admin console command parser.
#include "admin/console_command.hpp"

#include <cctype>
#include <vector>

namespace sluice::admin {

namespace {

// PgBouncer's limits: command words up to 15 characters, arguments up to 63, values up to 255.
constexpr size_t kMaxWord = 15;
constexpr size_t kMaxArgument = 63;
constexpr size_t kMaxValue = 255;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

struct Token {
  std::string text;
  bool quoted = false;  // "ident" or 'string'
  char quote = 0;
};

// Splits into words, "quoted identifiers", 'strings', '=' and ';' (as single tokens). Returns
// false on an unterminated quote or a character outside the grammar.
bool tokenize(std::string_view q, std::vector<Token>* out) {
  size_t i = 0;
  while (i < q.size()) {
    char c = q[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (word_char(c)) {
      size_t j = i;
      while (j < q.size() && word_char(q[j])) ++j;
      out->push_back({std::string(q.substr(i, j - i))});
      i = j;
    } else if (c == '"' || c == '\'') {
      std::string text;
      size_t j = i + 1;
      for (;;) {
        if (j >= q.size()) return false;
        if (q[j] == c) {
          if (j + 1 < q.size() && q[j + 1] == c) {  // doubled quote
            text += c;
            j += 2;
            continue;
          }
          break;
        }
        text += q[j++];
      }
      out->push_back({text, true, c});
      i = j + 1;
    } else if (c == '=' || c == ';') {
      out->push_back({std::string(1, c)});
      ++i;
    } else {
      return false;
    }
  }
  while (!out->empty() && out->back().text == ";" && !out->back().quoted) out->pop_back();
  return true;
}

}  // namespace

std::string ConsoleCommand::name() const {
  return verb == "SHOW" ? "SHOW " + upper(argument) : verb;
}

std::optional<ConsoleCommand> parse_console_command(std::string_view query, std::string* error) {
  const std::string invalid = "invalid command '" + std::string(query) + "', use SHOW HELP;";
  std::vector<Token> t;
  if (!tokenize(query, &t) || t.empty() || t[0].quoted) {
    *error = invalid;
    return std::nullopt;
  }
  for (const auto& tok : t) {
    if (!tok.quoted && (tok.text == ";")) {
      *error = invalid;  // a second statement
      return std::nullopt;
    }
  }
  ConsoleCommand cmd;
  cmd.verb = upper(t[0].text);
  if (cmd.verb == "SELECT") cmd.verb = "SHOW";
  if (cmd.verb.size() > kMaxWord) {
    *error = "bad arguments";
    return std::nullopt;
  }
  if (cmd.verb == "SET") {
    // SET key = value | SET key TO value; value a word or a 'string'.
    if (t.size() != 4 || t[1].quoted ||
        !(t[2].text == "=" || (!t[2].quoted && upper(t[2].text) == "TO")) ||
        (t[3].quoted && t[3].quote != '\'') || (!t[3].quoted && t[3].text == "=")) {
      *error = invalid;
      return std::nullopt;
    }
    if (t[1].text.size() > kMaxArgument || t[3].text.size() > kMaxValue) {
      *error = "bad arguments";
      return std::nullopt;
    }
    cmd.argument = t[1].text;
    cmd.value = t[3].text;
    return cmd;
  }
  // Beyond PgBouncer: `SHOW item word` hands `word` to the item's extension (SHOW ADVICE
  // <max_connections>); an extension that takes no argument refuses it with the invalid-command
  // text, so the SHOWs of PgBouncer still answer exactly as it does.
  const bool show_argument =
      t.size() == 3 && cmd.verb == "SHOW" && !t[2].quoted && t[2].text != "=";
  if ((t.size() > 2 && !show_argument) ||
      (t.size() >= 2 && (t[1].text == "=" || t[1].quote == '\''))) {
    *error = invalid;
    return std::nullopt;
  }
  if (show_argument) {
    if (t[2].text.size() > kMaxArgument) {
      *error = "bad arguments";
      return std::nullopt;
    }
    cmd.value = t[2].text;
  }
  if (t.size() >= 2) {
    if (t[1].text.size() > kMaxArgument) {
      *error = "bad arguments";
      return std::nullopt;
    }
    cmd.argument = t[1].text;
  }
  if (cmd.verb == "SHOW" && cmd.argument.empty()) {
    *error = invalid;
    return std::nullopt;
  }
  return cmd;
}

}  // namespace sluice::admin
