/*
 * Example plugin in plain C99 against sluice/abi.h only: auth_type = maintenance.
 *
 * Switch a running pooler into maintenance without dropping anyone: set auth_type = maintenance
 * and reload (SIGHUP, systemctl reload sluice). Sessions already logged in keep working; every new
 * login is refused with SQLSTATE 57P03 (cannot_connect_now, what PostgreSQL itself sends while
 * starting up or shutting down, so drivers and poolers in front retry), and each refusal is logged
 * with user, database and client address. Switch back to md5 (or your auth_type) and reload again.
 *
 * Enable:  plugins = pool_session, auth_md5, auth_maintenance
 */
#include <stdio.h>

#include "sluice/abi.h"
#include "sluice/build_flags.h"

#define PLUGIN_NAME "auth_maintenance"

static const sluice_host_api* host_api; /* host-owned, valid for the whole process */

static void fail_login(sluice_auth_output* out) {
  out->struct_size = sizeof(*out);
  out->result = SLUICE_AUTH_FAIL;
  out->error_message = "sluice is closed for maintenance: try again later";
  out->error_sqlstate = "57P03";
}

/* THREAD: any shard, concurrently. Decides at once: no session state, no exchange. */
static sluice_status maintenance_begin(void* ctx, const sluice_auth_request* request,
                                       void** session_state, sluice_auth_output* out) {
  char line[512];
  (void)ctx;
  *session_state = NULL;
  snprintf(line, sizeof(line), "maintenance: refused login of user \"%s\" to \"%s\" from %s",
           request->user ? request->user : "", request->database ? request->database : "",
           request->client_addr ? request->client_addr : "?");
  host_api->log(host_api->host_ctx, SLUICE_LOG_INFO, line);
  fail_login(out);
  return SLUICE_OK;
}

/* Never reached (begin() already decided), but the vtable must be complete. */
static sluice_status maintenance_step(void* ctx, void* session_state, uint8_t message_type,
                                      const uint8_t* payload, uint32_t payload_len,
                                      sluice_auth_output* out) {
  (void)ctx;
  (void)session_state;
  (void)message_type;
  (void)payload;
  (void)payload_len;
  fail_login(out);
  return SLUICE_OK;
}

static void maintenance_end(void* ctx, void* session_state) {
  (void)ctx;
  (void)session_state;
}

static const sluice_auth_method_vtable vtable = {
    sizeof(sluice_auth_method_vtable), NULL, maintenance_begin, maintenance_step, maintenance_end};

static const sluice_extension extensions[] = {
    {sizeof(sluice_extension), SLUICE_EXT_AUTH_METHOD, "maintenance", &vtable}};

static const sluice_plugin_descriptor descriptor = {sizeof(sluice_plugin_descriptor), 1,
                                                    extensions};

static const sluice_magic magic = {sizeof(sluice_magic),        SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR,
                                   SLUICE_COMPILED_BUILD_FLAGS, PLUGIN_NAME,      "1.0.0",
                                   SLUICE_SDK_VERSION};

SLUICE_EXPORT const sluice_magic* sluice_plugin_magic(void) {
  return &magic;
}

SLUICE_EXPORT sluice_status sluice_plugin_init(const sluice_host_api* host,
                                               const sluice_plugin_descriptor** out_descriptor,
                                               char* error_buf, size_t error_buf_len) {
  /* log exists since ABI 0.1; still check struct_size first, as abi.h asks of every reader. */
  if (host == NULL || host->struct_size < SLUICE_SIZE_THROUGH(sluice_host_api, log) ||
      host->log == NULL) {
    snprintf(error_buf, error_buf_len, "host API without a log callback");
    return SLUICE_ERROR;
  }
  host_api = host;
  *out_descriptor = &descriptor;
  return SLUICE_OK;
}
