// Base64 for core code: the SDK's implementation (sluice/scram.hpp), which auth plugins use too.
#include "crypto/base64.hpp"

#include "sluice/scram.hpp"

namespace sluice::crypto {

std::string base64_encode(std::span<const uint8_t> data) {
  return sdk::scram::base64_encode(data);
}

std::string base64_encode(std::string_view data) {
  return sdk::scram::base64_encode(data);
}

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text) {
  return sdk::scram::base64_decode(text);
}

}  // namespace sluice::crypto
