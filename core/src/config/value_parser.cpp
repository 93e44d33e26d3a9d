// Typed value parsing with PgBouncer's syntax (strtol base 0, strtod seconds, 0/1 booleans).
#include "config/value_parser.hpp"

#include <algorithm>
#include <cctype>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace sluice::config {
namespace {

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string enum_choices(std::string_view values) {
  std::string out;
  for (char c : values) out += (c == ' ') ? std::string(", ") : std::string(1, c);
  return out;
}

}  // namespace

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // ASCII case folding, as PostgreSQL folds GUC and identifier names (pg_strcasecmp); no locale
  // lookup per character (this runs for every startup and ParameterStatus name at login).
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x == y) continue;
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + ('a' - 'A'));
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + ('a' - 'A'));
    if (x != y) return false;
  }
  return true;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::optional<long long> parse_c_integer(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(buf.c_str(), &end, 0);
  if (errno != 0 || end == buf.c_str() || *end != '\0') return std::nullopt;
  return v;
}

std::optional<double> parse_seconds(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(buf.c_str(), &end);
  if (errno != 0 || end == buf.c_str() || *end != '\0') return std::nullopt;
  if (!std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

std::optional<bool> parse_boolean(std::string_view s) {
  // PgBouncer stores booleans as ints, so any integer is accepted there; keep that.
  if (auto n = parse_c_integer(s)) return *n != 0;
  std::string l = to_lower(s);
  if (l == "yes" || l == "true" || l == "on") return true;
  if (l == "no" || l == "false" || l == "off") return false;
  return std::nullopt;
}

std::string format_seconds(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", seconds);
  return buf;
}

std::optional<std::string> parse_param_value(const ParamDef& def, std::string_view input,
                                             ParamValue& out) {
  switch (def.type) {
    case ParamType::String:
    case ParamType::List:
      out.text = std::string(input);
      return std::nullopt;
    case ParamType::Int: {
      auto v = parse_c_integer(input);
      if (!v) return "invalid value " + quoted(input) + ": expected an integer";
      if (*v < def.min_value || *v > def.max_value) {
        return "invalid value " + quoted(input) + ": must be between " +
               std::to_string(def.min_value) + " and " + std::to_string(def.max_value);
      }
      out.int_value = *v;
      out.seconds = static_cast<double>(*v);
      out.text = std::to_string(*v);  // SHOW CONFIG prints ints with %d (0777 shows as 511)
      return std::nullopt;
    }
    case ParamType::Bool: {
      auto v = parse_boolean(input);
      if (!v) return "invalid value " + quoted(input) + ": expected a boolean (0 or 1)";
      out.int_value = *v ? 1 : 0;
      out.text = *v ? "1" : "0";
      return std::nullopt;
    }
    case ParamType::Time: {
      auto v = parse_seconds(input);
      if (!v)
        return "invalid value " + quoted(input) + ": expected a non-negative number of seconds";
      out.seconds = *v;
      out.text = format_seconds(*v);
      return std::nullopt;
    }
    case ParamType::Enum: {
      std::string_view rest = def.enum_values;
      while (!rest.empty()) {
        auto sp = rest.find(' ');
        std::string_view choice = rest.substr(0, sp);
        if (iequals(choice, input)) {
          out.text = std::string(choice);
          return std::nullopt;
        }
        rest = (sp == std::string_view::npos) ? std::string_view{} : rest.substr(sp + 1);
      }
      if (def.plugin_names && !input.empty() && input.size() <= 63 &&
          std::all_of(input.begin(), input.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
          })) {
        out.text = std::string(input);  // a plugin's name, checked once plugins are loaded
        return std::nullopt;
      }
      return "invalid value " + quoted(input) + ": expected one of " +
             enum_choices(def.enum_values) + (def.plugin_names ? " or a plugin's name" : "");
    }
  }
  return "unsupported parameter type";
}

}  // namespace sluice::config
