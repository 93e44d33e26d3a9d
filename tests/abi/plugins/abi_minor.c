/* Needs a newer host minor: refused ("abi_minor: plugin needs host >= M.n+1"). */
#include "common.h"

static const sluice_magic magic = {sizeof(sluice_magic), SLUICE_ABI_MAJOR,
                                   SLUICE_ABI_MINOR + 1, SLUICE_COMPILED_BUILD_FLAGS,
                                   "abi_minor",          "1",
                                   SLUICE_SDK_VERSION};
SLUICE_EXPORT const sluice_magic* sluice_plugin_magic(void) {
  return &magic;
}

/* Must never run: the magic block is refused first. */
SLUICE_EXPORT sluice_status sluice_plugin_init(const sluice_host_api* host,
                                               const sluice_plugin_descriptor** out,
                                               char* error_buf, size_t error_buf_len) {
  (void)host;
  (void)out;
  (void)error_buf;
  (void)error_buf_len;
  __builtin_trap();
}
