/* butter/plugin.h — descriptors, the factory and a plugin instance.
 *
 * A plugin file offers one or more plugins through its factory. Each is described by a
 * descriptor (identity, the interfaces it provides and requires, its config schema) and
 * instantiated once per node: a process may run many nodes, each with its own instances.
 *
 * Lifecycle of an instance, always in this order and always on the node's executor [node]:
 *   create -> init -> start -> (callbacks...) -> stop -> destroy
 * init may fail (the instance is then destroyed, never started); start may fail (the instance is
 * then destroyed without stop — isolated — while the node keeps running). stop is called only
 * after a successful start. An instance that throws through the boundary or fails a call is
 * isolated the same way. After stop (or a failure) the host cancels every timer, handler, socket
 * and route the instance registered, so a plugin may rely on the host for cleanup. */
#ifndef BUTTER_PLUGIN_H
#define BUTTER_PLUGIN_H

#include "butter/host.h"
#include "butter/status.h"
#include "butter/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Config value types a schema can declare. Crosses as int32_t; the host refuses unknown types. */
enum {
  BUTTER_CONFIG_STRING = 1,
  BUTTER_CONFIG_INT = 2,
  BUTTER_CONFIG_FLOAT = 3, /* an integer in the manifest is accepted */
  BUTTER_CONFIG_BOOL = 4,
  BUTTER_CONFIG_STRING_ARRAY = 5
};

/* One key of a plugin's config table. The host validates the manifest against the schema before
 * anything starts: an unknown key, a wrong type or a missing required key is an error at its
 * file:line:column. */
typedef struct butter_config_key {
  const char* key;         /* NUL-terminated, e.g. "interval_ms" */
  int32_t type;            /* BUTTER_CONFIG_* */
  int32_t required;        /* non-zero: the manifest must set it */
  const char* description; /* one line, for `butter inspect` and errors; may be NULL */
} butter_config_key;

/* ABI 1.3: what a key's value defaults to, which values are in range, and its unit, for keys of
 * config_schema. Each record names the key it describes; keys without a record keep the v1.0
 * behaviour. Why a second array and not fields grown at the end of butter_config_key: that struct
 * lives in arrays whose stride is compiled into the plugin, so growing it would make an old host
 * (and a new host reading a recompiled plugin that does not say its new stride) walk the array
 * at the wrong stride. This array is new, so its stride (`config_key_ext_size`) is always stated.
 *
 * The host checks the record when it loads the plugin and refuses the plugin (with the key and
 * the reason) when: the key is not in config_schema or has two records; a flag does not fit the
 * key's type (MIN/MAX for INT and FLOAT only, MAX_LEN for STRING and STRING_ARRAY only); min >
 * max; a float bound or default is NaN or infinite; the default is outside [min, max] or longer
 * than max_len; a required key declares a default; `has` carries an unknown bit.
 * In the manifest, a value outside [min, max] or longer than max_len is an error at its
 * file:line:column. A key the manifest leaves out gets its default from butter.config/1. */
enum {
  BUTTER_CONFIG_HAS_DEFAULT = 1u << 0, /* the *_default field of the key's type is set */
  BUTTER_CONFIG_HAS_MIN = 1u << 1,     /* int_min (INT) or float_min (FLOAT), inclusive */
  BUTTER_CONFIG_HAS_MAX = 1u << 2,     /* int_max (INT) or float_max (FLOAT), inclusive */
  BUTTER_CONFIG_HAS_MAX_LEN = 1u << 3  /* max_len: bytes of a STRING, items of a STRING_ARRAY */
};

typedef struct butter_config_key_ext {
  const char* key; /* NUL-terminated; names a key of config_schema */
  uint32_t has;    /* BUTTER_CONFIG_HAS_* */
  uint32_t max_len;
  const char* unit;                           /* one word for docs and errors ("ms", "bytes", "KiB"); may be NULL */
  int64_t int_default, int_min, int_max;      /* INT keys */
  double float_default, float_min, float_max; /* FLOAT keys */
  const char* string_default;                 /* STRING keys; NUL-terminated */
  const char* const* strings_default;         /* STRING_ARRAY keys; NULL-terminated (NULL = []) */
  int32_t bool_default;                       /* BOOL keys; non-zero = true */
} butter_config_key_ext;

/* Static data, owned by the plugin, valid until deinit. Grows only at the end; the host reads
 * fields beyond the v1.0 ones only when struct_size covers them. */
typedef struct butter_plugin_descriptor {
  uint32_t struct_size; /* sizeof(butter_plugin_descriptor) */
  butter_version abi;   /* BUTTER_ABI_VERSION_INIT */
  const char* id;       /* "butter.discovery.multicast"; third parties use reverse DNS */
  const char* name;     /* human-readable */
  const char* vendor;
  const char* version; /* the plugin's own version, e.g. "1.2.0" */
  const char* description;
  const char* const* provides; /* NULL-terminated interface ids it serves ("butter.peers/1"); may be NULL */
  const char* const* required; /* NULL-terminated interface ids that must be started before it; may be NULL */
  const char* const* optional; /* NULL-terminated ids it uses when present (ordering only); may be NULL */
  const butter_config_key* config_schema; /* may be NULL when config_schema_len is 0 */
  uint32_t config_schema_len;
  /* ABI 1.3 (read only when struct_size covers them). Defaults, ranges and units of schema keys;
   * config_key_ext may be NULL (then config_key_ext_len is 0). config_key_ext_size is the stride
   * of the array, sizeof(butter_config_key_ext): a later minor grows that struct at its end. */
  const butter_config_key_ext* config_key_ext;
  uint32_t config_key_ext_len;
  uint32_t config_key_ext_size;
} butter_plugin_descriptor;

typedef struct butter_plugin butter_plugin;

/* A plugin instance. Allocated and owned by the plugin (returned by create); valid until destroy
 * returns. Every function pointer must be set. */
struct butter_plugin {
  const butter_plugin_descriptor* desc;
  void* plugin_data; /* the plugin's own; the host never touches it */

  /* [node] Prepare: read config, register handlers. Must not block. On failure fill `err`. */
  butter_status (*init)(const butter_plugin* plugin, butter_error* err);
  /* [node] Begin work: the interfaces listed in `required` are started and available now. */
  butter_status (*start)(const butter_plugin* plugin, butter_error* err);
  /* [node] Stop work. Must not block. After it returns the host cancels the instance's
   * timers, handlers, sockets and routes. */
  void (*stop)(const butter_plugin* plugin);
  /* [node] Free the instance. The `plugin` pointer is invalid afterwards. */
  void (*destroy)(const butter_plugin* plugin);
  /* [node] Returns the vtable of an interface this instance provides (e.g. "butter.peers/1",
   * "butter.state/1"), or NULL. The vtable is static data of the plugin; its functions take this
   * `plugin` pointer as their first argument. */
  const void* (*get_extension)(const butter_plugin* plugin, const char* id);
};

#define BUTTER_PLUGIN_FACTORY_ID "butter.plugin-factory/1"

typedef struct butter_plugin_factory {
  /* [main] Number of plugins in this file. */
  uint32_t (*count)(const struct butter_plugin_factory* factory);
  /* [main] Descriptor of plugin `index` (< count), or NULL. Owned by the plugin. */
  const butter_plugin_descriptor* (*get_descriptor)(const struct butter_plugin_factory* factory, uint32_t index);
  /* [node] Creates an instance of plugin `plugin_id` for the node behind `host`. `host` stays
   * valid until the instance is destroyed; keep it. Returns NULL on failure. */
  const butter_plugin* (*create)(const struct butter_plugin_factory* factory, const butter_host* host,
                                 const char* plugin_id);
} butter_plugin_factory;

#ifdef __cplusplus
}
#endif
#endif
