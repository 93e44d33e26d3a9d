// Typed message framing constants: Byte1 type + Int32 length (the length counts itself, not the
// type).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice::protocol {

// Every message after the startup phase is Byte1(type) Int32(length incl. self) body
// (PostgreSQL docs, Frontend/Backend Protocol, "Messaging Overview").
inline constexpr size_t kHeaderSize = 5;
inline constexpr uint32_t kMinMessageLength = 4;  // length field alone, empty body

// PostgreSQL's own receive limits (src/include/libpq/libpq.h): PQ_SMALL_MESSAGE_LIMIT for
// messages expected during authentication, PQ_LARGE_MESSAGE_LIMIT (MaxAllocSize - 1) otherwise.
inline constexpr uint32_t kSmallMessageLimit = 10000;
inline constexpr uint32_t kLargeMessageLimit = 0x3fffffff - 1;

// Untyped packets (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest) are Int32 length +
// Int32 code; see startup_decoder.hpp. The codes and protocol numbers live here so the builders
// and the decoder agree on them (PostgreSQL src/include/libpq/pqcomm.h).
inline constexpr uint32_t kProtocolVersion30 = 196608;  // PG_PROTOCOL(3, 0)
inline constexpr uint32_t kCancelRequestCode = 80877102;
inline constexpr uint32_t kSslRequestCode = 80877103;
inline constexpr uint32_t kGssEncRequestCode = 80877104;

}  // namespace sluice::protocol
