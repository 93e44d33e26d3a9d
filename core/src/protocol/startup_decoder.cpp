// Startup packet decoding, following PostgreSQL's ProcessStartupPacket checks.
#include "protocol/startup_decoder.hpp"

#include "protocol/byte_reader.hpp"
#include "protocol/message_header.hpp"

namespace sluice::protocol {

const std::string* StartupPacket::find(std::string_view name) const {
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

namespace {

StartupDecodeResult fail(std::string error) {
  StartupDecodeResult r;
  r.status = DecodeStatus::Error;
  r.error = std::move(error);
  return r;
}

// StartupMessage body after the version word: "name\0value\0...name\0value\0\0"
// (PostgreSQL docs, Message Formats, StartupMessage). Where PostgreSQL would only say "expected
// terminator as last byte" we use its text; the other two cases get a more specific one.
bool parse_params(std::span<const uint8_t> body, StartupPacket& packet, std::string& error) {
  packet.params.reserve(8);  // user, database, application_name, client_encoding, ...
  ByteReader reader(body);
  for (;;) {
    auto name = reader.cstr();
    if (!name) {
      error = "invalid startup packet layout: expected terminator as last byte";
      return false;
    }
    if (name->empty()) break;  // the list terminator
    auto value = reader.cstr();
    if (!value) {
      error = "invalid startup packet layout: missing value for parameter \"" + std::string(*name) +
              "\"";
      return false;
    }
    packet.params.emplace_back(std::string(*name), std::string(*value));
  }
  if (!reader.at_end()) {
    error = "invalid startup packet layout: data after terminator";
    return false;
  }
  return true;
}

}  // namespace

StartupDecodeResult decode_startup(std::span<const uint8_t> buf) {
  StartupDecodeResult result;
  if (buf.size() < 4) return result;
  const uint32_t len = load_be32(buf.data());
  if (len < kMinStartupPacketLength || len > kMaxStartupPacketLength) {
    return fail(std::string(kErrInvalidLength));
  }
  if (buf.size() < len) return result;

  const uint32_t code = load_be32(buf.data() + 4);
  StartupPacket& packet = result.packet;
  switch (code) {
    case kSslRequestCode:
    case kGssEncRequestCode:
      if (len != 8) return fail(std::string(kErrInvalidLength));
      packet.kind = code == kSslRequestCode ? StartupKind::SslRequest : StartupKind::GssEncRequest;
      break;
    case kCancelRequestCode:
      // Int32(16) Int32(80877102) Int32 pid Int32 key: protocol 3.0 secret keys are 4 bytes.
      if (len != 16) return fail(std::string(kErrInvalidLength));
      packet.kind = StartupKind::Cancel;
      packet.cancel_pid = load_be32(buf.data() + 8);
      packet.cancel_key = load_be32(buf.data() + 12);
      break;
    default: {
      packet.kind = StartupKind::Startup;
      packet.major = static_cast<uint16_t>(code >> 16);
      packet.minor = static_cast<uint16_t>(code & 0xffff);
      if (packet.major < 3) return fail(std::string(kErrOldV2Protocol));
      if (packet.major != 3) {
        return fail("unsupported frontend protocol " + std::to_string(packet.major) + "." +
                    std::to_string(packet.minor) + ": server supports 3.0 to 3.0");
      }
      std::string error;
      if (!parse_params(buf.subspan(8, len - 8), packet, error)) return fail(std::move(error));
      const std::string* user = packet.find("user");
      if (user == nullptr || user->empty()) return fail(std::string(kErrNoUser));
      break;
    }
  }
  result.status = DecodeStatus::Ok;
  result.consumed = len;
  return result;
}

}  // namespace sluice::protocol
