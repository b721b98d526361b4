/* butter/host.h — what the host hands a plugin instance.
 *
 * Each instance receives its own `butter_host` (so the host knows who calls). Everything the host
 * offers is an extension fetched by id: `host->get_extension(host, BUTTER_EXT_LOG)`. Published
 * extension vtables are frozen; growth is a new id ("butter.timer/2") served beside the old one.
 * A plugin should fetch extensions in init and may keep the vtable pointers until destroy. */
#ifndef BUTTER_HOST_H
#define BUTTER_HOST_H

#include "butter/status.h"
#include "butter/version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct butter_host butter_host;

struct butter_host {
  uint32_t struct_size; /* sizeof(butter_host) as the host built it */
  butter_version abi;   /* the host's ABI version */
  const char* name;     /* "butter" */
  const char* version;  /* the host's own version */
  void* host_data;      /* the host's; plugins never touch it */

  /* [any-thread] Returns the vtable of extension `id`, or NULL when unsupported. The vtable is
   * valid until the instance is destroyed. */
  const void* (*get_extension)(const butter_host* host, const char* id);

  /* [any-thread] Schedules `fn(user)` on the node's executor (the only way in from a thread the
   * plugin started). Returns BUTTER_E_UNAVAILABLE when the instance is stopping; then fn is not
   * called. */
  butter_status (*post)(const butter_host* host, void (*fn)(void* user), void* user);
};

#ifdef __cplusplus
}
#endif
#endif
