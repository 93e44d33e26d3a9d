// INI tokenizer with %include, modelled on PgBouncer's (libusual) parser rules from reference §1.
#include "config/ini_reader.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/config_error.hpp"

namespace sluice::config {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string resolve_include(const std::string& including_file, std::string name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p(name);
  if (p.is_absolute() || fs::exists(p, ec)) return name;  // PgBouncer: relative to CWD
  fs::path beside = fs::path(including_file).parent_path() / p;
  if (!beside.empty() && fs::exists(beside, ec)) return beside.string();
  return name;  // let the open fail with the name as written
}

class Reader {
 public:
  std::vector<IniItem> items;

  void read_file(const std::string& path, int depth) {
    std::string text = read_whole_file(path);
    read_text(text, path, depth);
  }

  void read_text(std::string_view text, const std::string& file, int depth) {
    int line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
      std::size_t nl = text.find('\n', pos);
      std::string_view line =
          text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      ++line_no;
      parse_line(trim(line), file, line_no, depth);
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
  }

 private:
  [[noreturn]] static void syntax_error(const std::string& file, int line,
                                        const std::string& what) {
    throw ConfigError(file, line, "", "syntax error in configuration: " + what);
  }

  void parse_line(std::string_view line, const std::string& file, int line_no, int depth) {
    if (line.empty() || line.front() == ';' || line.front() == '#') return;

    if (line.front() == '[') {
      auto close = line.find(']');
      if (close == std::string_view::npos) syntax_error(file, line_no, "missing ']'");
      if (!trim(line.substr(close + 1)).empty()) {
        syntax_error(file, line_no, "unexpected text after section header");
      }
      IniItem item;
      item.kind = IniItem::Kind::Section;
      item.file = file;
      item.line = line_no;
      item.name = std::string(trim(line.substr(1, close - 1)));
      items.push_back(std::move(item));
      return;
    }

    if (line.front() == '%') {
      std::string_view directive = line.substr(0, line.find_first_of(" \t"));
      if (directive != "%include") {
        syntax_error(file, line_no, "unknown directive " + std::string(directive));
      }
      std::string_view name = trim(line.substr(directive.size()));
      if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
        name = name.substr(1, name.size() - 2);
      }
      if (name.empty()) syntax_error(file, line_no, "%include needs a file name");
      if (depth + 1 > kMaxIncludeDepth) {
        throw ConfigError(file, line_no, "",
                          "%include nesting too deep (limit " + std::to_string(kMaxIncludeDepth) +
                              "): " + std::string(name));
      }
      std::string target = resolve_include(file, std::string(name));
      read_file(target, depth + 1);
      return;
    }

    IniItem item;
    item.file = file;
    item.line = line_no;
    std::size_t i = 0;
    if (line.front() == '"') {
      // SQL identifier quoting: "" stands for one double quote.
      item.quoted = true;
      i = 1;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            item.name += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        item.name += line[i++];
      }
      if (!closed) syntax_error(file, line_no, "unterminated quoted name");
    } else {
      while (i < line.size() && line[i] != '=' && !is_space(line[i])) item.name += line[i++];
    }
    while (i < line.size() && is_space(line[i])) ++i;
    if (i >= line.size() || line[i] != '=') {
      syntax_error(file, line_no, "expected \"key = value\"");
    }
    if (item.name.empty()) syntax_error(file, line_no, "missing key before '='");
    item.value = std::string(trim(line.substr(i + 1)));
    items.push_back(std::move(item));
  }
};

}  // namespace

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw ConfigError(path, 0, "", std::string("cannot open file: ") + std::strerror(err));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ConfigError(path, 0, "", "cannot read file");
  return ss.str();
}

std::vector<IniItem> read_ini_file(const std::string& path) {
  Reader r;
  r.read_file(path, 0);
  return std::move(r.items);
}

std::vector<IniItem> read_ini_text(std::string_view text, const std::string& file_name) {
  Reader r;
  r.read_text(text, file_name, 0);
  return std::move(r.items);
}

}  // namespace sluice::config
