/* Claims an 8-byte magic block: refused (struct_size of sluice_magic). */
#include "common.h"

static const sluice_magic magic = {
    8,   SLUICE_ABI_MAJOR,  SLUICE_ABI_MINOR, SLUICE_COMPILED_BUILD_FLAGS, "magic_size",
    "1", SLUICE_SDK_VERSION};
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
