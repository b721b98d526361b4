/* butter/version.h — the ABI version, and the rule that gates loading.
 *
 * A plugin records the ABI version it was built against in its `butter_entry`. The host reads it
 * before calling anything and refuses a plugin whose MAJOR differs from its own. A plugin built
 * against an older MINOR loads in a newer host: minors only add (new extension ids, new fields at
 * the end of structs that carry their `struct_size`). REVISION is for fixes that change nothing. */
#ifndef BUTTER_VERSION_H
#define BUTTER_VERSION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_ABI_MAJOR 1
#define BUTTER_ABI_MINOR 0
#define BUTTER_ABI_REVISION 0

typedef struct butter_version {
  uint32_t major;
  uint32_t minor;
  uint32_t revision;
} butter_version;

#define BUTTER_ABI_VERSION_INIT \
  { BUTTER_ABI_MAJOR, BUTTER_ABI_MINOR, BUTTER_ABI_REVISION }

/* Non-zero when a plugin built against `plugin` may be loaded by a host built with `host`. */
static inline int butter_version_is_compatible(butter_version host, butter_version plugin) {
  return host.major == plugin.major;
}

#ifdef __cplusplus
}
#endif
#endif
