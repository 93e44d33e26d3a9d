// Shared fuzz oracle: scanning a stream whole and in input-chosen chunks must report the same
// events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/stream_scanner.hpp"

namespace sluice::fuzz {

struct ScanLog {
  std::vector<std::pair<char, uint32_t>> headers;
  std::vector<std::pair<char, std::string>> messages;
  bool ok = true;
  std::string error;
  bool operator==(const ScanLog&) const = default;
};

// Scans `stream` in chunks whose sizes come from `sizes` (cycled; empty = one chunk), calling
// `inspect(type, body)` on every interesting body.
template <class Inspect>
ScanLog scan_in_chunks(std::string_view interesting, uint32_t limit,
                       std::span<const uint8_t> stream, std::span<const uint8_t> sizes,
                       Inspect&& inspect) {
  protocol::StreamScanner scanner(interesting, limit);
  ScanLog log;
  size_t pos = 0, i = 0;
  while (pos < stream.size() && log.ok) {
    size_t n = sizes.empty() ? stream.size() : size_t{sizes[i++ % sizes.size()]} + 1;
    if (n > stream.size() - pos) n = stream.size() - pos;
    log.ok = scanner.scan(
        stream.subspan(pos, n),
        [&](char type, std::span<const uint8_t> body) {
          inspect(type, body);
          log.messages.emplace_back(type, std::string(body.begin(), body.end()));
        },
        [&](char type, uint32_t length) { log.headers.emplace_back(type, length); });
    if (log.ok && scanner.consumed() != n) std::abort();  // a full scan consumes its chunk
    pos += n;
  }
  if (!log.ok) log.error = scanner.error();
  return log;
}

}  // namespace sluice::fuzz
