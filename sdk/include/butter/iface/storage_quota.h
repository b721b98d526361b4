/* butter/iface/storage_quota.h — "butter.storage-quota/1": how much a node can still store.
 * Served by the storage plugin next to its storage interface, read by the known-host cache to
 * rank hosts by free storage. Kept apart from the storage interface so that a cache never
 * depends on how storage works. */
#ifndef BUTTER_IFACE_STORAGE_QUOTA_H
#define BUTTER_IFACE_STORAGE_QUOTA_H

#include "butter/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_IFACE_STORAGE_QUOTA "butter.storage-quota/1"

typedef struct butter_storage_quota_v1 {
  /* [node] Bytes this node can still accept. */
  uint64_t (*free_bytes)(const butter_plugin* provider);
  /* [node] Bytes stored now. */
  uint64_t (*used_bytes)(const butter_plugin* provider);
} butter_storage_quota_v1;

#ifdef __cplusplus
}
#endif
#endif
