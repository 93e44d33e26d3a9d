// init throws: the SDK's barrier turns it into SLUICE_ERROR with what() in error_buf.
#include <stdexcept>

#include "sluice/sdk.hpp"

namespace {
void init(sluice::sdk::Registrar&) {
  throw std::runtime_error("database of answers is missing");
}
}  // namespace

SLUICE_PLUGIN("abi_init_error", "0.0.1-test", init)
