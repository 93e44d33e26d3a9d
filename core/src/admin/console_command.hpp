// The admin console's grammar (PgBouncer's admin.c): `WORD [WORD] [;]`, `SET key = value`, with
// `SELECT x` an alias of `SHOW x`. Pure; unit-tested against PgBouncer's texts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice::admin {

struct ConsoleCommand {
  std::string verb;      // upper case: "SHOW", "PAUSE", "SET", ...
  std::string argument;  // SHOW: the item as written ("pools"); PAUSE db: "db"; SET: the key
  std::string value;     // SET: the value (quotes removed); SHOW item word: the word
  // The extension name to look up: "SHOW POOLS", "PAUSE", ...
  std::string name() const;
};

// Parses a simple Query text. On failure returns nullopt and sets *error to PgBouncer's text:
// "invalid command '<query>', use SHOW HELP;" or "bad arguments".
std::optional<ConsoleCommand> parse_console_command(std::string_view query, std::string* error);

}  // namespace sluice::admin
