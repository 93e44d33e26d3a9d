#include "protocol/frontend_framer.hpp"

#include <algorithm>
#include <limits>

#include "protocol/byte_reader.hpp"
#include "protocol/message_header.hpp"

namespace sluice::protocol {

FrontendFramer::FrontendFramer(std::string_view whole_types, uint32_t max_message_length)
    : max_message_length_(
          std::min<uint32_t>(max_message_length, std::numeric_limits<int32_t>::max())) {
  for (char c : whole_types) whole_.set(static_cast<uint8_t>(c));
}

namespace {
// Bytes of a Bind body up to and including the NUL of its statement name; 0 if not all there.
size_t bind_head_size(std::span<const uint8_t> body) {
  const size_t limit = std::min(body.size(), FrontendFramer::kMaxWholeBind);
  int nuls = 0;
  for (size_t i = 0; i < limit; ++i) {
    if (body[i] == 0 && ++nuls == 2) return i + 1;
  }
  return 0;
}
}  // namespace

bool FrontendFramer::feed(std::span<const uint8_t> chunk, std::vector<FramedPiece>& pieces) {
  pieces.clear();
  if (!error_.empty()) return false;
  std::span<const uint8_t> data = chunk;
  if (used_ > 0) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used_));
    used_ = 0;
  }
  if (!pending_.empty()) {
    pending_.insert(pending_.end(), chunk.begin(), chunk.end());
    data = pending_;
  } else if (pending_.capacity() > 0) {
    pending_ = {};  // the last kept message went out: give its memory back
  }
  size_t pos = 0;
  if (stream_remaining_ > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(stream_remaining_, data.size()));
    pieces.push_back({0, false, data.subspan(0, n)});
    stream_remaining_ -= n;
    pos = n;
  }
  while (data.size() - pos >= kHeaderSize) {
    const char type = static_cast<char>(data[pos]);
    const uint32_t length = load_be32(data.data() + pos + 1);
    if (length < kMinMessageLength || length > max_message_length_) {
      error_ = length < kMinMessageLength
                   ? "invalid message length " + std::to_string(length)
                   : "message length " + std::to_string(length) + " exceeds limit " +
                         std::to_string(max_message_length_);
      return false;
    }
    const size_t total = size_t{length} + 1;
    const size_t avail = data.size() - pos;
    if (type == 'B' && whole_.test('B') && total > kMaxWholeBind) {
      // Only the names are needed: deliver the head, stream the parameters.
      const size_t head = bind_head_size(data.subspan(pos + kHeaderSize));
      if (head == 0) {
        if (avail - kHeaderSize >= kMaxWholeBind) {
          error_ = "invalid Bind message: names too long";
          return false;
        }
        break;  // kept until the names have arrived
      }
      pieces.push_back({type, true, data.subspan(pos, kHeaderSize + head)});
      pos += kHeaderSize + head;
      const size_t n = std::min(total - kHeaderSize - head, data.size() - pos);
      if (n > 0) pieces.push_back({0, false, data.subspan(pos, n)});
      pos += n;
      stream_remaining_ = total - kHeaderSize - head - n;
      continue;
    }
    if (whole_.test(static_cast<uint8_t>(type))) {
      if (avail < total) break;  // kept until the rest arrives
      pieces.push_back({type, true, data.subspan(pos, total)});
      pos += total;
      continue;
    }
    const size_t n = std::min(total, avail);
    pieces.push_back({type, false, data.subspan(pos, n)});
    pos += n;
    stream_remaining_ = total - n;
  }
  if (!pending_.empty() && data.data() == pending_.data()) {
    used_ = pos;  // the rest stays where it is; the pieces stay valid until the next feed
  } else if (pos < data.size()) {
    pending_.assign(data.begin() + static_cast<std::ptrdiff_t>(pos), data.end());
  }
  return true;
}

}  // namespace sluice::protocol
