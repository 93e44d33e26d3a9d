// Text table rendering for the sub-commands.
#include "cli/table.hpp"

#include <algorithm>
#include <cstdio>

namespace sluice::cli {

void TextTable::add_row(std::vector<std::string> cells, std::string colour) {
  rows.push_back(std::move(cells));
  row_colours.push_back(std::move(colour));
}

std::string render_table(const TextTable& t, bool colour) {
  std::vector<size_t> width(t.headers.size(), 0);
  for (size_t c = 0; c < t.headers.size(); ++c) width[c] = t.headers[c].size();
  for (const auto& r : t.rows)
    for (size_t c = 0; c < r.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], r[c].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      const std::string pad(width[c] - std::min(width[c], cell.size()), ' ');
      const bool right = c < t.right_aligned.size() && t.right_aligned[c];
      if (c > 0) out += "  ";
      out += right ? pad + cell : cell + pad;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  };
  std::string out = line(t.headers) + "\n";
  std::vector<std::string> dashes;
  dashes.reserve(width.size());
  for (size_t w : width) dashes.emplace_back(w, '-');
  out += line(dashes) + "\n";
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const std::string& sgr = i < t.row_colours.size() ? t.row_colours[i] : std::string();
    const bool paint = colour && !sgr.empty();
    if (paint) out += "\x1b[" + sgr + "m";
    out += line(t.rows[i]);
    if (paint) out += "\x1b[0m";
    out += "\n";
  }
  return out;
}

std::string seconds_from_us(long long us) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(us) / 1e6);
  return buf;
}

std::string millis_from_us(long long us) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", static_cast<double>(us) / 1e3);
  return buf;
}

}  // namespace sluice::cli
