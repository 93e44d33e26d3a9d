// Splits a [databases]/[users]/[peers] value into key=value pairs (reference §2.1 syntax).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::config {

using ConnstrPairs = std::vector<std::pair<std::string, std::string>>;

// `key=value key='quoted value' ...`: keys are lower-cased; a value is either a run of non-space
// characters or single-quoted with '' standing for one quote. Whitespace around '=' is allowed.
// An empty text gives no pairs. Throws ConfigError(file, line, entry_name, "syntax error in
// connection string: ...").
ConnstrPairs parse_connstr(std::string_view text, const std::string& file, int line,
                           const std::string& entry_name);

}  // namespace sluice::config
