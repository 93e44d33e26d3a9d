// libFuzzer target: a server's byte stream through StreamScanner and the backend message parsers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "protocol/message_header.hpp"
#include "protocol/message_parsers.hpp"
#include "scan_oracle.hpp"

using namespace sluice::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  std::span<const uint8_t> sizes;
  if (!in.empty()) {
    const size_t n = in.back() % 8;
    if (n < in.size()) {
      sizes = in.subspan(in.size() - 1 - n, n);
      in = in.first(in.size() - 1 - n);
    }
  }
  auto inspect = [](char type, std::span<const uint8_t> body) {
    switch (type) {
      case 'R':
        if (auto req = parse_auth_request(body); req && req->code == 10) {
          (void)parse_sasl_mechanisms(req->data);
        }
        break;
      case 'S':
        (void)parse_parameter_status(body);
        break;
      case 'K':
        (void)parse_backend_key_data(body);
        break;
      case 'E':
      case 'N':
        (void)parse_error_fields(body);
        break;
      case 'Z':
        (void)parse_ready_for_query(body);
        break;
      default:
        break;
    }
  };
  const auto whole = sluice::fuzz::scan_in_chunks("RSKENZ", 1 << 16, in, {}, inspect);
  const auto split = sluice::fuzz::scan_in_chunks("RSKENZ", 1 << 16, in, sizes, inspect);
  if (!(whole == split)) std::abort();
  return 0;
}
