// Decodes the first, untyped packet a client sends: StartupMessage, SSLRequest, GSSENCRequest or
// CancelRequest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::protocol {

// PostgreSQL's MAX_STARTUP_PACKET_LENGTH (src/include/libpq/pqcomm.h): larger packets are refused.
inline constexpr uint32_t kMaxStartupPacketLength = 10000;
// Int32 length + Int32 code: the smallest untyped packet (an SSLRequest).
inline constexpr uint32_t kMinStartupPacketLength = 8;

enum class StartupKind { Startup, SslRequest, GssEncRequest, Cancel };

struct StartupPacket {
  StartupKind kind = StartupKind::Startup;
  uint16_t major = 0, minor = 0;                            // for Startup
  std::vector<std::pair<std::string, std::string>> params;  // for Startup, in wire order
  uint32_t cancel_pid = 0, cancel_key = 0;                  // for Cancel

  // The value of parameter `name`, or nullptr if absent. If a client repeats a name the last one
  // wins, as in PostgreSQL's ProcessStartupPacket (each occurrence overwrites the previous).
  const std::string* find(std::string_view name) const;
};

enum class DecodeStatus { NeedMore, Ok, Error };

// Client-facing error texts (the daemon sends them as FATAL ErrorResponse, SQLSTATE 08P01):
inline constexpr std::string_view kErrInvalidLength =
    "invalid length of startup packet";  // PostgreSQL
inline constexpr std::string_view kErrOldV2Protocol = "old V2 protocol not supported";  // PgBouncer
inline constexpr std::string_view kErrNoUser = "no username supplied";                  // PgBouncer
// Others: "unsupported frontend protocol X.Y: server supports 3.0 to 3.0" (PostgreSQL's wording)
// and "invalid startup packet layout: <what>" (PostgreSQL's prefix).

struct StartupDecodeResult {
  DecodeStatus status = DecodeStatus::NeedMore;
  size_t consumed = 0;  // bytes of the packet when Ok; 0 otherwise
  StartupPacket packet;
  std::string error;  // set when status == Error
};

// Decodes one packet from the front of `buf`. NeedMore until the whole packet (per its length
// word) is present; Ok with `consumed` = that length; Error with a client-facing `error` text.
// Rules, citing PostgreSQL's ProcessStartupPacket (src/backend/tcop/backend_startup.c):
//  - length < 8 or > 10000 => kErrInvalidLength (checked as soon as 4 bytes are present);
//  - SSLRequest/GSSENCRequest must be exactly 8 bytes, CancelRequest exactly 16 (protocol 3.0
//  keys);
//  - major 2 (or lower) => kErrOldV2Protocol; major != 3 => "unsupported frontend protocol ...";
//    any minor is accepted, the daemon answers a minor > 0 with NegotiateProtocolVersion;
//  - name/value pairs of C strings ended by one extra NUL which must be the last byte;
//  - a missing or empty "user" => kErrNoUser.
StartupDecodeResult decode_startup(std::span<const uint8_t> buf);

}  // namespace sluice::protocol
