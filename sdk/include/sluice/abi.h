/*
 * sluice plugin ABI — the only file of sluice with compatibility guarantees (see
 * sdk/ABI_POLICY.md).
 *
 * Pure C99. A plugin is a shared object exporting exactly two symbols:
 *
 *   const sluice_magic* sluice_plugin_magic(void);
 *       Returns a static block filled from compile-time constants. The host calls it first and
 *       checks it before running any other plugin code (PostgreSQL's "magic block" idea).
 *
 *   sluice_status sluice_plugin_init(const sluice_host_api* host,
 *                                    const sluice_plugin_descriptor** out_descriptor,
 *                                    char* error_buf, size_t error_buf_len);
 *       Called once, on the control thread, after the magic block was accepted. Returns the list of
 *       extensions the plugin provides. On failure returns SLUICE_ERROR and writes a NUL-terminated
 *       reason into error_buf.
 *
 * Conventions, for every type below:
 *   - Every struct that crosses the boundary starts with `uint32_t struct_size`, set by whoever
 *     fills the struct to sizeof() as it knows it. Fields are only ever appended; a reader must
 * check struct_size before touching a field that a smaller (older) struct would not have.
 *   - Enums are passed as int32_t so their size never depends on the compiler.
 *   - Nothing in this file throws; hooks return sluice_status or a documented result code.
 *   - OWNERSHIP says who frees a pointer, LIFETIME how long it stays valid, THREAD where a hook is
 *     called from and what it may do there.
 *   - Plugins are never unloaded while the daemon runs: static data of a plugin lives for the whole
 *     process.
 */
#ifndef SLUICE_ABI_H
#define SLUICE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* C names use the C convention (snake_case types); the C++ naming rules do not apply here. */
/* NOLINTBEGIN(readability-identifier-naming) */

/* ABI version. A host accepts a plugin with the same major and a minor <= its own. */
#define SLUICE_ABI_MAJOR 0
#define SLUICE_ABI_MINOR 5
#define SLUICE_SDK_VERSION "0.5.0"

#define SLUICE_MAGIC_SYMBOL "sluice_plugin_magic"
#define SLUICE_INIT_SYMBOL "sluice_plugin_init"

#if defined(_WIN32)
#define SLUICE_EXPORT __declspec(dllexport)
#else
#define SLUICE_EXPORT __attribute__((visibility("default")))
#endif

/* Status codes returned by hooks and callbacks. */
typedef int32_t sluice_status;
#define SLUICE_OK 0
#define SLUICE_ERROR 1

/* ------------------------------------------------------------------------------------------------
 * Magic block.
 * ------------------------------------------------------------------------------------------------
 */

/* Build flags that must match between host and plugin: a sanitizer runtime cannot be mixed. */
#define SLUICE_BUILD_FLAG_DEBUG 0x1u /* informative only */
#define SLUICE_BUILD_FLAG_ASAN 0x2u  /* must match the host */
#define SLUICE_BUILD_FLAG_TSAN 0x4u  /* must match the host */
#define SLUICE_BUILD_FLAGS_MUST_MATCH (SLUICE_BUILD_FLAG_ASAN | SLUICE_BUILD_FLAG_TSAN)

/*
 * OWNERSHIP: plugin-owned, static. LIFETIME: the process. THREAD: read by the host's control
 * thread.
 */
typedef struct sluice_magic {
  uint32_t struct_size;    /* sizeof(sluice_magic) as the plugin was compiled */
  uint32_t abi_major;      /* SLUICE_ABI_MAJOR the plugin was built with */
  uint32_t abi_minor;      /* SLUICE_ABI_MINOR the plugin was built with */
  uint32_t build_flags;    /* SLUICE_BUILD_FLAG_* */
  const char* name;        /* plugin name, e.g. "auth_md5"; should match the file name */
  const char* version;     /* the plugin's own version, free form */
  const char* sdk_version; /* SLUICE_SDK_VERSION the plugin was built with */
} sluice_magic;

typedef const sluice_magic* (*sluice_magic_fn)(void);

/* ------------------------------------------------------------------------------------------------
 * Host API: callbacks the host offers to a plugin.
 * ------------------------------------------------------------------------------------------------
 */

typedef int32_t sluice_log_level;
#define SLUICE_LOG_DEBUG 0
#define SLUICE_LOG_INFO 1 /* PgBouncer's "LOG" level */
#define SLUICE_LOG_WARNING 2
#define SLUICE_LOG_ERROR 3

/* ---- Snapshots of the pooler's state (ABI 0.2), for admin commands and exporters ---------------
 * The host fills one struct per item and passes it to a visitor. OWNERSHIP: host-owned.
 * LIFETIME: the visit call only (copy what you keep). Strings are NUL-terminated UTF-8; a NULL
 * string means SQL NULL where a column is nullable. Times are microseconds.
 */

typedef int32_t sluice_list_kind;
#define SLUICE_LIST_POOLS 1      /* sluice_pool_info, ordered by (database, user) */
#define SLUICE_LIST_DATABASES 2  /* sluice_database_info, ordered by name, incl. "pgbouncer" */
#define SLUICE_LIST_USERS 3      /* sluice_user_info, ordered by name */
#define SLUICE_LIST_CLIENTS 4    /* sluice_socket_info (type 'C'), logged-in clients */
#define SLUICE_LIST_SERVERS 5    /* sluice_socket_info (type 'S') */
#define SLUICE_LIST_STATS 6      /* sluice_stats_info, one per database with pools, by name */
#define SLUICE_LIST_CONFIG 7     /* sluice_config_info, ordered by key */
#define SLUICE_LIST_SHARDS 8     /* sluice_shard_info, one per worker thread, by index (ABI 0.4) */
#define SLUICE_LIST_HISTOGRAMS 9 /* sluice_histogram_info, by (database, kind) (ABI 0.4) */

typedef struct sluice_pool_info {
  uint32_t struct_size;
  const char* database;
  const char* user;
  const char* pool_mode;
  const char* load_balance_hosts; /* NULL unless the database has several hosts */
  int32_t cl_active;              /* logged-in clients not queued for a server */
  int32_t cl_waiting;             /* clients queued for a server */
  int32_t cl_active_cancel_req;
  int32_t cl_waiting_cancel_req;
  int32_t sv_active; /* linked to a client */
  int32_t sv_active_cancel;
  int32_t sv_being_canceled;
  int32_t sv_idle;    /* idle, used within server_check_delay */
  int32_t sv_used;    /* idle for longer: checked before reuse */
  int32_t sv_tested;  /* running server_reset_query / server_check_query */
  int32_t sv_login;   /* being established */
  int64_t maxwait_us; /* how long the oldest queued client has waited */
} sluice_pool_info;

typedef struct sluice_database_info {
  uint32_t struct_size;
  const char* name;
  const char* host; /* NULL: Unix socket */
  int32_t port;
  const char* database;           /* server-side name */
  const char* force_user;         /* NULL if none */
  int32_t pool_size;              /* effective */
  int32_t min_pool_size;          /* effective */
  int32_t reserve_pool_size;      /* effective */
  int32_t server_lifetime;        /* seconds, effective */
  const char* pool_mode;          /* NULL when inherited */
  const char* load_balance_hosts; /* NULL unless the database has several hosts */
  int32_t max_connections;        /* effective max_db_connections, 0 = no limit */
  int32_t current_connections;    /* server connections */
  int32_t max_client_connections; /* effective max_db_client_connections */
  int32_t current_client_connections;
  int32_t paused;
  int32_t disabled;
} sluice_database_info;

typedef struct sluice_user_info {
  uint32_t struct_size;
  const char* name;
  int32_t pool_size;            /* -1: not set for this user */
  int32_t reserve_pool_size;    /* -1: not set for this user */
  const char* pool_mode;        /* NULL when not set for this user */
  int32_t max_user_connections; /* effective */
  int32_t current_connections;
  int32_t max_user_client_connections; /* effective */
  int32_t current_client_connections;
} sluice_user_info;

typedef struct sluice_socket_info {
  uint32_t struct_size;
  char type; /* 'C' client, 'S' server */
  const char* user;
  const char* database;
  const char* replication; /* "none", "logical", "physical" */
  /* clients: active, idle, waiting, active_cancel_req, waiting_cancel_req;
   * servers: active, idle, used, tested, new, active_cancel, being_canceled */
  const char* state;
  const char* addr; /* "unix" for Unix sockets */
  int32_t port;
  const char* local_addr;
  int32_t local_port;
  int64_t connect_time_us; /* wall clock, microseconds since the Unix epoch */
  int64_t request_time_us; /* wall clock of the current (or last) request; 0 = none */
  int64_t wait_us;         /* age of the current request, 0 if none */
  int32_t close_needed;
  uint64_t ptr;  /* an identifier of this connection object */
  uint64_t link; /* ptr of the linked client/server, 0 if none */
  int32_t remote_pid;
  const char* tls; /* "" when plain text */
  const char* application_name;
  int32_t prepared_statements;
  int64_t id; /* process-wide connection id, shared by clients and servers */
} sluice_socket_info;

/* Counters per database, summed over its pools and all shards. */
typedef struct sluice_stats_counters {
  int64_t server_assignment_count;
  int64_t xact_count;
  int64_t query_count;
  int64_t bytes_received; /* from clients */
  int64_t bytes_sent;     /* to clients */
  int64_t xact_time_us;
  int64_t query_time_us;
  int64_t wait_time_us;
  int64_t client_parse_count;
  int64_t server_parse_count;
  int64_t bind_count;
} sluice_stats_counters;

typedef struct sluice_stats_info {
  uint32_t struct_size;
  const char* database;
  sluice_stats_counters totals;
  /* Over the last stats_period: counts and bytes per second; xact_time_us per transaction,
   * query_time_us per query, wait_time_us per server assignment. */
  sluice_stats_counters averages;
} sluice_stats_info;

/* ABI 0.4: the load of one worker thread (shard): the counters of sluice_stats_counters that this
 * shard's sessions added, summed over every current pool. A pool retired by RELOAD takes its share
 * with it, so a total may go down (read it as a counter reset). */
typedef struct sluice_shard_info {
  uint32_t struct_size;
  int32_t shard; /* 0 .. workers - 1 */
  sluice_stats_counters totals;
} sluice_shard_info;

/* ABI 0.4: latency histograms per database, summed over its pools and all shards, since start-up
 * (a pool retired by RELOAD takes its share with it). Kinds: */
typedef int32_t sluice_histogram_kind;
#define SLUICE_HISTOGRAM_CLIENT_WAIT 1 /* a client's wait for a server (each wait_time_us) */
#define SLUICE_HISTOGRAM_QUERY 2       /* a query on a server (each query_time_us) */
#define SLUICE_HISTOGRAM_TRANSACTION 3 /* a transaction on a server (each xact_time_us) */

typedef struct sluice_histogram_info {
  uint32_t struct_size;
  const char* database;
  sluice_histogram_kind kind;
  uint32_t bucket_count;          /* entries of upper_bounds_us and counts */
  const int64_t* upper_bounds_us; /* ascending; the last is INT64_MAX (Prometheus' +Inf) */
  const int64_t* counts;          /* per bucket, NOT cumulative: bound[i-1] < value <= bound[i] */
  int64_t sum_us;                 /* sum of all observations */
} sluice_histogram_info;

typedef struct sluice_config_info {
  uint32_t struct_size;
  const char* key;
  const char* value;         /* NULL when unset */
  const char* default_value; /* NULL when the default is unset */
  int32_t changeable;        /* reloadable / SET-able */
} sluice_config_info;

typedef struct sluice_state_info {
  uint32_t struct_size;
  const char* version; /* e.g. "sluice 0.2.0" */
  int32_t paused;
  int32_t suspended;
  int32_t shutting_down;
  /* SHOW LISTS counters */
  int32_t databases, users, peers, pools, peer_pools;
  int32_t free_clients, used_clients, login_clients, free_servers, used_servers;
  int32_t dns_names, dns_zones, dns_queries, dns_pending;
} sluice_state_info;

/* Called once per item; `item` points to the struct named by the list kind. */
typedef void (*sluice_visit_fn)(void* visit_ctx, const void* item);

/*
 * OWNERSHIP: host-owned. LIFETIME: the process (plugins may keep the pointer from init).
 * THREAD: every callback is thread-safe and non-blocking unless its comment says otherwise.
 * `host_ctx` identifies the calling plugin; pass it back unchanged as the first argument.
 */
typedef struct sluice_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  void* host_ctx;

  /* Writes one log line, attributed to the plugin. `message` is copied before returning. */
  void (*log)(void* host_ctx, sluice_log_level level, const char* message);

  /*
   * Copies the current value of configuration key `key` (a [pgbouncer] key, e.g. "auth_type") as
   * SHOW CONFIG prints it, NUL-terminated, into buf (truncated to buf_len). Returns the full length
   * of the value without NUL, or -1 if the key is unknown or unset. Values may change on RELOAD.
   */
  int64_t (*config_get)(void* host_ctx, const char* key, char* buf, size_t buf_len);

  /* Fills `out` with cryptographically secure random bytes. */
  void (*random_bytes)(void* host_ctx, uint8_t* out, size_t len);

  /* Hash helpers, so plugins need no crypto library of their own. Outputs are raw bytes. */
  void (*md5)(void* host_ctx, const uint8_t* data, size_t len, uint8_t out[16]);
  void (*sha256)(void* host_ctx, const uint8_t* data, size_t len, uint8_t out[32]);
  void (*hmac_sha256)(void* host_ctx, const uint8_t* key, size_t key_len, const uint8_t* data,
                      size_t len, uint8_t out[32]);
  /* PBKDF2-HMAC-SHA-256 (SCRAM's Hi()), one 32-byte block. May take milliseconds. */
  void (*pbkdf2_sha256)(void* host_ctx, const uint8_t* password, size_t password_len,
                        const uint8_t* salt, size_t salt_len, uint32_t iterations, uint8_t out[32]);

  /* ---- ABI 0.2 (check struct_size before use) ---- */
  /* Visits the items of a list (SLUICE_LIST_*) in order. Returns SLUICE_ERROR for an unknown
   * kind or a list that is not available on this thread (CLIENTS/SERVERS are only available
   * inside an admin command's execute()). ABI 0.5: CLIENTS/SERVERS also work from a plugin's own
   * thread (an exporter's); the call then blocks while every worker thread describes its
   * connections (bounded: SLUICE_ERROR after 2 s, e.g. during shutdown). */
  sluice_status (*list)(void* host_ctx, sluice_list_kind kind, sluice_visit_fn visit,
                        void* visit_ctx);
  /* Fills *out (set out->struct_size first) with the pooler's state; fields the host does not
   * know are zeroed, up to out->struct_size. */
  void (*state)(void* host_ctx, sluice_state_info* out);
} sluice_host_api;

/* ------------------------------------------------------------------------------------------------
 * Extensions. A plugin's descriptor lists its extensions; each has a kind, a unique name within its
 * kind across all loaded plugins, and a kind-specific vtable.
 * ------------------------------------------------------------------------------------------------
 */

typedef int32_t sluice_extension_kind;
#define SLUICE_EXT_POOL_MODE 1        /* vtable: sluice_pool_mode_vtable */
#define SLUICE_EXT_AUTH_METHOD 2      /* vtable: sluice_auth_method_vtable */
#define SLUICE_EXT_ADMIN_COMMAND 3    /* vtable: sluice_admin_command_vtable */
#define SLUICE_EXT_METRICS_EXPORTER 4 /* vtable: sluice_metrics_exporter_vtable */

/* OWNERSHIP: plugin-owned, static. LIFETIME: the process. */
typedef struct sluice_extension {
  uint32_t struct_size;
  sluice_extension_kind kind;
  const char* name;   /* pool mode: "session"; auth method: the auth_type value, e.g. "md5";
                         admin command: the command words, e.g. "SHOW POOLS"; exporter: free form */
  const void* vtable; /* points to the kind's vtable struct, which starts with struct_size */
} sluice_extension;

/* OWNERSHIP: plugin-owned, static. LIFETIME: the process. */
typedef struct sluice_plugin_descriptor {
  uint32_t struct_size;
  uint32_t extension_count;
  const sluice_extension* extensions;
} sluice_plugin_descriptor;

typedef sluice_status (*sluice_init_fn)(const sluice_host_api* host,
                                        const sluice_plugin_descriptor** out_descriptor,
                                        char* error_buf, size_t error_buf_len);

/* ---- Pool mode --------------------------------------------------------------------------------
 * A pool mode decides when a client gives its server connection back. The host asks it once per
 * ReadyForQuery the server sends, never per data message.
 */

typedef int32_t sluice_pool_action;
#define SLUICE_POOL_KEEP 0         /* client keeps the server */
#define SLUICE_POOL_RELEASE 1      /* server goes back to the pool */
#define SLUICE_POOL_CLOSE_CLIENT 2 /* close the server and the client with `error_message` */

/* OWNERSHIP: host-owned. LIFETIME: the duration of the hook call. */
typedef struct sluice_ready_event {
  uint32_t struct_size;
  char tx_status;         /* ReadyForQuery status: 'I' idle, 'T' in transaction, 'E' failed tx */
  uint32_t outstanding;   /* requests sent by the client whose responses are still pending */
  int32_t client_in_copy; /* nonzero while the client is sending COPY data */
} sluice_ready_event;

/* Filled by the plugin. OWNERSHIP: error_message is plugin-owned and static. */
typedef struct sluice_pool_decision {
  uint32_t struct_size;
  sluice_pool_action action;
  const char* error_message; /* for SLUICE_POOL_CLOSE_CLIENT: sent as FATAL 08P01 */
} sluice_pool_decision;

/* Flags of a pool mode. */
#define SLUICE_POOL_FLAG_RESET_ON_RELEASE \
  0x1u /* run server_reset_query when the server is released */

/*
 * OWNERSHIP: plugin-owned, static. THREAD: on_ready_for_query is called on any shard thread,
 * possibly concurrently; it must not block and must not keep pointers into `event`.
 */
typedef struct sluice_pool_mode_vtable {
  uint32_t struct_size;
  void* ctx;
  uint32_t flags;
  sluice_status (*on_ready_for_query)(void* ctx, const sluice_ready_event* event,
                                      sluice_pool_decision* decision);
} sluice_pool_mode_vtable;

/* ---- Auth method ------------------------------------------------------------------------------
 * A client authentication method (an auth_type value). The host runs a challenge/response loop:
 * begin() produces the first message for the client; each reply from the client is given to step()
 * until the result is OK or FAIL. end() is always called once after a successful begin().
 */

typedef int32_t sluice_auth_result;
/* CONTINUE: send `message_type`/`payload` to the client and wait for its reply.
 * OK: authenticated; the host sends ok_message_type/ok_payload if set (0.3), then AuthenticationOk.
 * FAIL: refused; the host sends FATAL `error_sqlstate` `error_message`. */
#define SLUICE_AUTH_CONTINUE 0
#define SLUICE_AUTH_OK 1
#define SLUICE_AUTH_FAIL 2

/* OWNERSHIP: host-owned. LIFETIME: the strings live until end() returns. */
typedef struct sluice_auth_request {
  uint32_t struct_size;
  const char* user;     /* login user from the startup packet */
  const char* database; /* database from the startup packet */
  const char* secret; /* stored secret from auth_file: plaintext, "md5<hex>" or "SCRAM-SHA-256$..."
                         NULL when the user is unknown: run a mock exchange, then FAIL */
  const char* client_addr; /* "127.0.0.1", "::1" or "unix" */
  int32_t is_unix_socket;
  int32_t is_tls;
} sluice_auth_request;

/* Filled by the plugin. OWNERSHIP: payload and strings are plugin-owned; LIFETIME: until the next
 * hook call with the same session_state, or end(). */
typedef struct sluice_auth_output {
  uint32_t struct_size;
  sluice_auth_result result;
  uint8_t message_type;   /* backend message type for CONTINUE, normally 'R' */
  const uint8_t* payload; /* message body without type and length */
  uint32_t payload_len;
  const char* error_message;  /* for FAIL, e.g. "password authentication failed" */
  const char* error_sqlstate; /* for FAIL, e.g. "28P01"; NULL means "08P01" */
  /* ---- ABI 0.3 (the host reads these only when struct_size reaches them) ---- */
  /* For OK: a last message the host sends before AuthenticationOk without waiting for a reply,
   * e.g. AuthenticationSASLFinal ('R', code 12); ok_message_type 0 means none. */
  uint8_t ok_message_type;
  const uint8_t* ok_payload; /* body without type and length */
  uint32_t ok_payload_len;
  /* For OK after SCRAM-SHA-256 against a stored verifier: the ClientKey recovered from the proof
   * and the verifier's ServerKey, 32 bytes each, or NULL. The host may use them to log into
   * servers as this user when the stored secret is that verifier (SCRAM pass-through). */
  const uint8_t* scram_client_key;
  const uint8_t* scram_server_key;
} sluice_auth_output;

/*
 * OWNERSHIP: plugin-owned, static; session_state is plugin-owned and freed by end().
 * THREAD: called on shard threads, possibly concurrently for different sessions, never concurrently
 * for the same session_state. Hooks must not block.
 */
typedef struct sluice_auth_method_vtable {
  uint32_t struct_size;
  void* ctx;
  sluice_status (*begin)(void* ctx, const sluice_auth_request* request, void** session_state,
                         sluice_auth_output* out);
  /* `message_type` is the client's message type ('p' for every password-ish message). */
  sluice_status (*step)(void* ctx, void* session_state, uint8_t message_type,
                        const uint8_t* payload, uint32_t payload_len, sluice_auth_output* out);
  void (*end)(void* ctx, void* session_state);
} sluice_auth_method_vtable;

/* ---- Admin command ----------------------------------------------------------------------------
 * A command of the admin console (virtual database "pgbouncer"). The host parses the command words
 * and calls the extension whose name matches; the plugin answers through a result writer.
 */

#define SLUICE_TYPE_TEXT 25u
#define SLUICE_TYPE_INT4 23u
#define SLUICE_TYPE_INT8 20u
#define SLUICE_TYPE_NUMERIC 1700u

/* OWNERSHIP: host-owned. LIFETIME: the duration of execute(). THREAD: same thread as execute().
 * A result with no add_column() call is sent without RowDescription (e.g. SHOW HELP: a notice and
 * the tag). set_error() is final: the host sends only the error, whatever execute() returns. */
typedef struct sluice_result_writer {
  uint32_t struct_size;
  void* writer_ctx;
  sluice_status (*add_column)(void* writer_ctx, const char* name, uint32_t type_oid);
  /* values[i] NULL means SQL NULL; strings are copied. */
  sluice_status (*add_row)(void* writer_ctx, const char* const* values, uint32_t count);
  sluice_status (*set_command_tag)(void* writer_ctx, const char* tag);
  sluice_status (*set_error)(void* writer_ctx, const char* sqlstate, const char* message);
  sluice_status (*add_notice)(void* writer_ctx, const char* message, const char* detail);
} sluice_result_writer;

/* OWNERSHIP: host-owned. LIFETIME: the duration of execute(). */
typedef struct sluice_admin_request {
  uint32_t struct_size;
  const char* command;  /* the full query text as received */
  const char* argument; /* the argument after the command words, or NULL */
  const char* user;     /* console user */
  int32_t is_admin;     /* nonzero for admin_users, zero for stats_users */
} sluice_admin_request;

/* THREAD: execute() runs on the thread of the console client's shard; it must not block. It reads
 * the pooler's state through the host API's list() and state(). */
typedef struct sluice_admin_command_vtable {
  uint32_t struct_size;
  void* ctx;
  sluice_status (*execute)(void* ctx, const sluice_admin_request* request,
                           const sluice_result_writer* writer);
} sluice_admin_command_vtable;

/* ---- Metrics exporter -------------------------------------------------------------------------
 * Started after configuration is loaded, stopped at shutdown. An exporter runs its own threads.
 */
typedef struct sluice_metrics_exporter_vtable {
  uint32_t struct_size;
  void* ctx;
  sluice_status (*start)(void* ctx, char* error_buf, size_t error_buf_len); /* control thread */
  void (*stop)(void* ctx);                                                  /* control thread */
} sluice_metrics_exporter_vtable;

/* NOLINTEND(readability-identifier-naming) */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SLUICE_ABI_H */
