/* butter/ext/services.h — "butter.services/1": the interfaces other plugins of the node provide.
 *
 * A plugin that lists "butter.peers/1" in its descriptor's `provides` serves it through its
 * get_extension. Another plugin asks the broker for it each time it needs it, and uses it only
 * within the current callback: plugins never hold each other's pointers, so that a provider can be
 * replaced (hot swap) or isolated between callbacks. */
#ifndef BUTTER_EXT_SERVICES_H
#define BUTTER_EXT_SERVICES_H

#include "butter/host.h"
#include "butter/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_SERVICES "butter.services/1"

typedef struct butter_service {
  uint32_t struct_size;          /* set by the caller */
  const void* vtable;            /* the interface's function table */
  const butter_plugin* provider; /* pass as the first argument of the vtable's functions */
} butter_service;

typedef struct butter_services_v1 {
  /* [node] Looks up a started provider of `interface_id`. BUTTER_E_NOT_FOUND when no instance of
   * the node provides it; BUTTER_E_UNAVAILABLE while its provider is failed, stopped or being
   * replaced. `out` is valid until the current callback returns: do not keep it. */
  butter_status (*acquire)(const butter_host* host, const char* interface_id, butter_service* out);
} butter_services_v1;

#ifdef __cplusplus
}
#endif
#endif
