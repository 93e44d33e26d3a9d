// Parsing and printing of typed parameter values (reference §1 "General facts").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/param_table.hpp"

namespace sluice::config {

// A parameter's current value. `text` is what SHOW CONFIG prints (nullopt = NULL); the numeric
// fields are filled for Int/Bool (int_value) and Time (seconds).
struct ParamValue {
  std::optional<std::string> text;
  long long int_value = 0;
  double seconds = 0;
};

// C strtol(s, 0) over the whole string (so "0777" is octal, "0x10" hex); nullopt on junk/overflow.
std::optional<long long> parse_c_integer(std::string_view s);
// PgBouncer parse_time: strtod over the whole string, finite and >= 0.
std::optional<double> parse_seconds(std::string_view s);
// 0/1 (any integer, non-zero = true) or yes/no/true/false/on/off, case-insensitive.
std::optional<bool> parse_boolean(std::string_view s);
// SHOW CONFIG prints times with "%g".
std::string format_seconds(double seconds);

// Validates `input` for `def` and stores it in `out`. Returns an error message naming the bad value
// (e.g. `invalid value "abc": expected an integer`), or nullopt on success.
std::optional<std::string> parse_param_value(const ParamDef& def, std::string_view input,
                                             ParamValue& out);

std::string to_lower(std::string_view s);
// ASCII case-insensitive equality, without allocating.
bool iequals(std::string_view a, std::string_view b);
// A list value (plugins, listen_addr, ignore_startup_parameters, track_extra_parameters...): items
// separated by commas and/or whitespace, empty items dropped.
std::vector<std::string> split_list(std::string_view s);

}  // namespace sluice::config
