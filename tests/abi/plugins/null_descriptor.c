/* init succeeds but returns no descriptor. */
#include "common.h"

static const sluice_magic magic = TEST_MAGIC("abi_null_descriptor");
SLUICE_EXPORT const sluice_magic* sluice_plugin_magic(void) {
  return &magic;
}

SLUICE_EXPORT sluice_status sluice_plugin_init(const sluice_host_api* host,
                                               const sluice_plugin_descriptor** out,
                                               char* error_buf, size_t error_buf_len) {
  (void)host;
  (void)error_buf;
  (void)error_buf_len;
  *out = 0;
  return SLUICE_OK;
}
