/*
 * The public C headers compile as strict C99 (the test runs the C compiler with -std=c99 -Wall
 * -Wextra -pedantic -Werror), and every struct crossing the boundary starts with struct_size.
 * C99 has no _Static_assert: a negative array size is the compile-time failure.
 */
#include <stddef.h>

#include "sluice/abi.h"
#include "sluice/build_flags.h"

#define ABI_C99_STARTS_WITH_SIZE(type)                  \
  typedef char abi_c99_##type##_starts_with_struct_size \
      [(offsetof(type, struct_size) == 0 && sizeof(((type*)0)->struct_size) == 4) ? 1 : -1]

ABI_C99_STARTS_WITH_SIZE(sluice_magic);
ABI_C99_STARTS_WITH_SIZE(sluice_pool_info);
ABI_C99_STARTS_WITH_SIZE(sluice_database_info);
ABI_C99_STARTS_WITH_SIZE(sluice_user_info);
ABI_C99_STARTS_WITH_SIZE(sluice_socket_info);
ABI_C99_STARTS_WITH_SIZE(sluice_stats_info);
ABI_C99_STARTS_WITH_SIZE(sluice_config_info);
ABI_C99_STARTS_WITH_SIZE(sluice_state_info);
ABI_C99_STARTS_WITH_SIZE(sluice_host_api);
ABI_C99_STARTS_WITH_SIZE(sluice_extension);
ABI_C99_STARTS_WITH_SIZE(sluice_plugin_descriptor);
ABI_C99_STARTS_WITH_SIZE(sluice_ready_event);
ABI_C99_STARTS_WITH_SIZE(sluice_pool_decision);
ABI_C99_STARTS_WITH_SIZE(sluice_pool_mode_vtable);
ABI_C99_STARTS_WITH_SIZE(sluice_auth_request);
ABI_C99_STARTS_WITH_SIZE(sluice_auth_output);
ABI_C99_STARTS_WITH_SIZE(sluice_auth_method_vtable);
ABI_C99_STARTS_WITH_SIZE(sluice_result_writer);
ABI_C99_STARTS_WITH_SIZE(sluice_admin_request);
ABI_C99_STARTS_WITH_SIZE(sluice_admin_command_vtable);
ABI_C99_STARTS_WITH_SIZE(sluice_metrics_exporter_vtable);

/* The entry-point types, as a plugin declares them. */
const sluice_magic* abi_c99_magic(void);
const sluice_magic* abi_c99_magic(void) {
  static const sluice_magic magic = {
      sizeof(sluice_magic),        SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR,
      SLUICE_COMPILED_BUILD_FLAGS, "abi_c99",        "1",
      SLUICE_SDK_VERSION};
  return &magic;
}
sluice_magic_fn abi_c99_magic_fn = abi_c99_magic;
