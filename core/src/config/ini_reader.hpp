// Tokenises pgbouncer.ini-style files into section headers and key = value lines, following
// %include.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::config {

// How deep %include may nest (the top file is depth 0).
inline constexpr int kMaxIncludeDepth = 10;

struct IniItem {
  enum class Kind { Section, KeyValue };
  Kind kind = Kind::KeyValue;
  std::string file;  // file the line came from (as opened)
  int line = 0;
  std::string name;     // section name (Section) or key (KeyValue), unquoted, case as written
  bool quoted = false;  // key was written "double-quoted" (SQL identifier quoting, "" = ")
  std::string value;    // KeyValue only: text after '=', surrounding whitespace trimmed
};

// Syntax (reference §1): blank lines; comment lines starting with ';' or '#' after optional
// whitespace; `[section]`; `key = value`; `%include FILE`. An included file is read in place, as if
// its text were pasted there (so a section opened inside it stays open after it). Include paths are
// relative to the current directory like PgBouncer; if no such file exists sluice also tries the
// directory of the including file. Throws ConfigError on syntax errors, unreadable files and
// nesting deeper than kMaxIncludeDepth.
std::vector<IniItem> read_ini_file(const std::string& path);

// Same, for text already in memory (used by tests and fuzzing); %include still reads files.
std::vector<IniItem> read_ini_text(std::string_view text, const std::string& file_name);

// Reads a whole file; throws ConfigError(path, 0, "", "cannot open file: ...").
std::string read_whole_file(const std::string& path);

}  // namespace sluice::config
