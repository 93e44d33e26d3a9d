/* A pool-mode vtable claiming 8 bytes: refused (struct_size of sluice_pool_mode_vtable). */
#include "common.h"

static const sluice_magic magic = TEST_MAGIC("abi_vtable_size");
SLUICE_EXPORT const sluice_magic* sluice_plugin_magic(void) {
  return &magic;
}

static const sluice_pool_mode_vtable vtable = {8, 0, 0, keep_always};
static const sluice_extension extensions[] = {
    {sizeof(sluice_extension), SLUICE_EXT_POOL_MODE, "tiny", &vtable}};
static const sluice_plugin_descriptor descriptor = {sizeof(descriptor), 1, extensions};

SLUICE_EXPORT sluice_status sluice_plugin_init(const sluice_host_api* host,
                                               const sluice_plugin_descriptor** out,
                                               char* error_buf, size_t error_buf_len) {
  (void)host;
  (void)error_buf;
  (void)error_buf_len;
  *out = &descriptor;
  return SLUICE_OK;
}
