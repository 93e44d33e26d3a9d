// libFuzzer target: a client's byte stream — startup-phase packets, then typed frontend messages.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "protocol/frontend_messages.hpp"
#include "protocol/message_header.hpp"
#include "protocol/message_parsers.hpp"
#include "protocol/startup_decoder.hpp"
#include "scan_oracle.hpp"

using namespace sluice::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  // Trailing byte picks chunk sizes for the differential scan; the rest is the stream.
  std::span<const uint8_t> sizes;
  if (!in.empty()) {
    const size_t n = in.back() % 8;
    if (n < in.size()) {
      sizes = in.subspan(in.size() - 1 - n, n);
      in = in.first(in.size() - 1 - n);
    }
  }

  // Up to two untyped packets: SSLRequest/GSSENCRequest may precede the StartupMessage.
  for (int packets = 0; packets < 2; ++packets) {
    StartupDecodeResult r = decode_startup(in);
    if (r.status != DecodeStatus::Ok) return 0;
    if (r.consumed < kMinStartupPacketLength || r.consumed > in.size()) std::abort();
    if (r.packet.kind == StartupKind::Startup && r.packet.minor == 0) {
      // A 3.0 StartupMessage re-encodes to exactly the bytes it was decoded from.
      std::string rebuilt;
      append_startup_message(rebuilt, r.packet.params);
      if (rebuilt.size() != r.consumed ||
          rebuilt.compare(0, rebuilt.size(), reinterpret_cast<const char*>(in.data()),
                          r.consumed) != 0) {
        std::abort();
      }
    }
    const bool startup_done =
        r.packet.kind == StartupKind::Startup || r.packet.kind == StartupKind::Cancel;
    in = in.subspan(r.consumed);
    if (startup_done) break;
  }

  auto inspect = [](char type, std::span<const uint8_t> body) {
    if (type == 'p') {
      // 'p' is PasswordMessage, SASLInitialResponse or SASLResponse depending on state.
      (void)parse_password_message(body);
      (void)parse_sasl_initial_response(body);
    }
  };
  const auto whole = sluice::fuzz::scan_in_chunks("pQX", kSmallMessageLimit, in, {}, inspect);
  const auto split = sluice::fuzz::scan_in_chunks("pQX", kSmallMessageLimit, in, sizes, inspect);
  if (!(whole == split)) std::abort();
  return 0;
}
