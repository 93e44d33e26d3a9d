// Standard base64 (RFC 4648 section 4, with padding), as SCRAM and PostgreSQL secrets use it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::crypto {

std::string base64_encode(std::span<const uint8_t> data);
std::string base64_encode(std::string_view data);
// Strict: length a multiple of 4, '=' only as final padding, no whitespace; nullopt otherwise.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace sluice::crypto
