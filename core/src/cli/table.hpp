// Aligned text tables for the sub-commands' output, with an optional ANSI colour per row.
#pragma once

#include <string>
#include <vector>

namespace sluice::cli {

struct TextTable {
  std::vector<std::string> headers;
  std::vector<bool> right_aligned;  // per column; missing = left
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row_colours;  // per row: an ANSI SGR code ("31" red) or ""

  void add_row(std::vector<std::string> cells, std::string colour = {});
};

// Columns padded to their widest cell and separated by two spaces; a dashed line under the
// header; no trailing spaces. Colours are written only when `colour` is true.
std::string render_table(const TextTable& t, bool colour);

// "1.234" for microseconds as seconds with three decimals; "12.3" for microseconds as
// milliseconds with one.
std::string seconds_from_us(long long us);
std::string millis_from_us(long long us);

}  // namespace sluice::cli
