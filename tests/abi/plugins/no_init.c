/* A valid magic block but no init symbol. */
#include "common.h"

static const sluice_magic magic = TEST_MAGIC("abi_no_init");
SLUICE_EXPORT const sluice_magic* sluice_plugin_magic(void) {
  return &magic;
}
