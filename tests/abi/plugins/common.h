/* Shared pieces of the hand-written test plugins: a valid pool-mode vtable and host-flag magic. */
#ifndef SLUICE_ABI_TEST_COMMON_H
#define SLUICE_ABI_TEST_COMMON_H

#include "sluice/abi.h"
#include "sluice/build_flags.h"

static sluice_status keep_always(void* ctx, const sluice_ready_event* event,
                                 sluice_pool_decision* decision) {
  (void)ctx;
  (void)event;
  decision->struct_size = sizeof(*decision);
  decision->action = SLUICE_POOL_KEEP;
  decision->error_message = 0;
  return SLUICE_OK;
}

/* A magic block exactly as SLUICE_PLUGIN would fill it. */
#define TEST_MAGIC(name)                                                                         \
  {                                                                                              \
    sizeof(sluice_magic), SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR, SLUICE_COMPILED_BUILD_FLAGS, name, \
        "0.0.1-test", SLUICE_SDK_VERSION                                                         \
  }

#endif
