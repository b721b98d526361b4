/* butter/iface/storage.h — "butter.storage/1": replicated object storage for dapps, provided by a
 * plugin (the standard one is pcg-storage, Peer Content Groups).
 *
 * Objects are immutable byte strings of any size. The provider splits them into blocks addressed
 * by SHA-256; an object id is the SHA-256 of its block manifest, as 64 lowercase hex digits.
 * Every read is verified against the id, so a get never returns bytes other than those put.
 * Keywords (UTF-8, for search) may be attached at put time; they travel with the object.
 *
 * put and get complete asynchronously through the events bus (butter/iface/reply.h). Results:
 *   kind 1 PUT_DONE : u64 ticket, u8 1, i32 status, str16 object_id, u32 replicas, str16 message
 *                     (object_id empty on failure; replicas = members holding it when reported)
 *   kind 2 GET_DONE : u64 ticket, u8 2, i32 status, str16 object_id, u32 data_len, data bytes,
 *                     str16 message
 * The object id of a put is known before any network traffic, so put returns it at once too.
 * A result is one events-bus payload, at most BUTTER_EVENTS_MAX_PAYLOAD bytes (ext/events.h): a get
 * of an object whose GET_DONE would be larger ends with status BUTTER_E_NOMEM and a message saying
 * so, never with the data. butter.storage/2 (iface/storage2.h) reads held objects of any size.
 *
 * Topics published by the provider (payload: the object id, 64 hex digits):
 *   "butter.storage/1:stored"   this node now holds the object (put here, or recruited)
 *   "butter.storage/1:dropped"  this node no longer holds it
 * An indexer (the search plugin) keeps its local index with list() plus these two topics. */
#ifndef BUTTER_IFACE_STORAGE_H
#define BUTTER_IFACE_STORAGE_H

#include "butter/iface/reply.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_IFACE_STORAGE "butter.storage/1"
#define BUTTER_STORAGE_TOPIC_STORED "butter.storage/1:stored"
#define BUTTER_STORAGE_TOPIC_DROPPED "butter.storage/1:dropped"

enum { BUTTER_STORAGE_RESULT_PUT = 1, BUTTER_STORAGE_RESULT_GET = 2 };

/* One object this node holds. Borrowed for the callback that receives it. */
typedef struct butter_storage_object {
  uint32_t struct_size;
  butter_str object_id; /* 64 hex digits */
  uint64_t size_bytes;  /* the object's length */
  uint32_t keyword_count;
  const butter_str* keywords;
  uint32_t group_size; /* members of its content group known to this node, itself included */
} butter_storage_object;

/* [node] Receives objects; borrowed for the call. */
typedef void (*butter_storage_object_fn)(void* user, const butter_storage_object* object);

typedef struct butter_storage_v1 {
  /* [node] Stores `data` (copied) with its keywords (copied) and replicates it to a group.
   * Writes the object id (64 hex digits + NUL) to `object_id_out` at once. One PUT_DONE result is
   * published on reply->topic when the group holds it (or the put failed). Returns an error at once,
   * with no result later, for what can be refused locally: BUTTER_E_NOMEM beyond the node's budget,
   * BUTTER_E_INVALID for bad arguments. */
  butter_status (*put)(const butter_plugin* provider, const butter_reply_to* reply, butter_bytes data,
                       const butter_str* keywords, uint32_t keyword_count, char object_id_out[65], butter_error* err);
  /* [node] Fetches an object, locally when held, else from its group (found through the search
   * interface when present, else by asking known hosts). One GET_DONE result, BUTTER_E_NOT_FOUND
   * when no reachable node has it. */
  butter_status (*get)(const butter_plugin* provider, const butter_reply_to* reply, butter_str object_id,
                       butter_error* err);
  /* [node] Every object this node holds, in object id order. */
  butter_status (*list)(const butter_plugin* provider, butter_storage_object_fn fn, void* user);
  /* [node] One held object; BUTTER_E_NOT_FOUND when not held here. */
  butter_status (*lookup)(const butter_plugin* provider, butter_str object_id, butter_storage_object_fn fn, void* user);
} butter_storage_v1;

#ifdef __cplusplus
}
#endif
#endif
