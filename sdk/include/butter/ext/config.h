/* butter/ext/config.h — "butter.config/1": the instance's config table from the manifest.
 *
 * The host already validated the table against the descriptor's schema (types, unknown and
 * required keys, ranges). A key the manifest leaves out whose schema declares a default
 * (butter_config_key_ext, ABI 1.3 hosts) reads as that default, so the default is written once,
 * in the descriptor. Getters return BUTTER_E_NOT_FOUND when the key is absent and has no schema
 * default (then *out is left untouched, so initialise it to a fallback first; a host older than
 * 1.3 serves no schema defaults) and BUTTER_E_INVALID when it has another type.
 * Keys that are set in the manifest but never read by the plugin are reported in the log after
 * start. Strings are owned by the host and valid until the instance is destroyed. */
#ifndef BUTTER_EXT_CONFIG_H
#define BUTTER_EXT_CONFIG_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_CONFIG "butter.config/1"

typedef struct butter_config_v1 {
  /* [node] */
  butter_status (*get_string)(const butter_host* host, const char* key, butter_str* out);
  butter_status (*get_int)(const butter_host* host, const char* key, int64_t* out);
  butter_status (*get_float)(const butter_host* host, const char* key, double* out);
  butter_status (*get_bool)(const butter_host* host, const char* key, int32_t* out);
  /* [node] For string arrays: the count, then each item (index < count). */
  butter_status (*get_array_len)(const butter_host* host, const char* key, uint32_t* out);
  butter_status (*get_array_item)(const butter_host* host, const char* key, uint32_t index, butter_str* out);
} butter_config_v1;

#ifdef __cplusplus
}
#endif
#endif
