/* Exports only the init symbol: the loader must refuse it before calling anything. */
#include "common.h"

SLUICE_EXPORT sluice_status sluice_plugin_init(const sluice_host_api* host,
                                               const sluice_plugin_descriptor** out,
                                               char* error_buf, size_t error_buf_len) {
  (void)host;
  (void)out;
  (void)error_buf;
  (void)error_buf_len;
  return SLUICE_ERROR;
}
