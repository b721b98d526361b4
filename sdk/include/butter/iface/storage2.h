/* butter/iface/storage2.h — "butter.storage/2": butter.storage/1 plus synchronous reads of what
 * this node holds, which never travel over the events bus.
 *
 * butter.storage/1's get returns a whole object inline in one GET_DONE result on the events bus,
 * and the bus carries at most BUTTER_EVENTS_MAX_PAYLOAD bytes (ext/events.h): an object near or
 * over 64 KiB cannot be read that way. Version 2 adds two calls on objects held HERE, answered at
 * once through a callback with borrowed bytes: `manifest` (what an object id is the hash of) and
 * `read` (a bounded byte range). They are the base a streaming get builds on: a reader walks an
 * object range by range with bounded memory, and a verifier (search integrity) reads the one
 * block a challenge names instead of the whole object.
 *
 * butter.storage/1's vtable is frozen; a provider serves both ids (the first four entries of
 * butter_storage_v2 mean exactly what they mean in v1, so one implementation serves both). A
 * consumer asks for butter.storage/2 and falls back to /1.
 *
 * THE MANIFEST FORMAT (version 1). An object id is the SHA-256 of these bytes, as 64 lowercase hex
 * digits. Integers are big-endian; str16 is a u16 length and that many UTF-8 bytes:
 *
 *   "PCGM"            4 bytes, BUTTER_STORAGE_MANIFEST_MAGIC
 *   u8   version      BUTTER_STORAGE_MANIFEST_VERSION (1)
 *   u64  size         the object's length in bytes
 *   u32  block_size   BUTTER_STORAGE_MIN_BLOCK_SIZE .. BUTTER_STORAGE_MAX_BLOCK_SIZE
 *   u32  n            ceil(size / block_size), at most BUTTER_STORAGE_MAX_BLOCKS (0 for an empty object)
 *   n x  32 bytes     SHA-256 of each block: block i is bytes [i*block_size, min(size, (i+1)*block_size))
 *   u16  k            keywords given at put time, at most BUTTER_STORAGE_MAX_KEYWORDS
 *   k x  str16        each at most BUTTER_STORAGE_MAX_KEYWORD_LEN bytes
 *   (nothing after)
 *
 * It is defined here, not only inside one provider, so that any provider of this interface and
 * any verifier (a searcher checking a holder's proof, a reader checking blocks from several
 * holders) agree on what an id means. pcg-storage (Peer Content Groups) writes exactly this. */
#ifndef BUTTER_IFACE_STORAGE2_H
#define BUTTER_IFACE_STORAGE2_H

#include "butter/iface/storage.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_IFACE_STORAGE_V2 "butter.storage/2"

#define BUTTER_STORAGE_MANIFEST_MAGIC "PCGM"
#define BUTTER_STORAGE_MANIFEST_VERSION 1
#define BUTTER_STORAGE_MIN_BLOCK_SIZE 1024u
#define BUTTER_STORAGE_MAX_BLOCK_SIZE (4u * 1024u * 1024u)
#define BUTTER_STORAGE_MAX_BLOCKS (1u << 20)
#define BUTTER_STORAGE_MAX_KEYWORDS 64u
#define BUTTER_STORAGE_MAX_KEYWORD_LEN 255u

/* The most bytes one read() call delivers: 4 MiB, one block of the largest block size, so any
 * single block can be read in one call. Longer ranges are read in several calls. */
#define BUTTER_STORAGE_MAX_READ (4u * 1024u * 1024u)

/* [node] Receives a manifest; the bytes are borrowed for the call. */
typedef void (*butter_storage_manifest_fn)(void* user, butter_bytes manifest);
/* [node] Receives a piece of a read: `offset` is where `piece` starts in the object. Borrowed for
 * the call. */
typedef void (*butter_storage_read_fn)(void* user, uint64_t offset, butter_bytes piece);

typedef struct butter_storage_v2 {
  /* The four calls of butter.storage/1 (iface/storage.h), with the same contracts. */
  butter_status (*put)(const butter_plugin* provider, const butter_reply_to* reply, butter_bytes data,
                       const butter_str* keywords, uint32_t keyword_count, char object_id_out[65], butter_error* err);
  butter_status (*get)(const butter_plugin* provider, const butter_reply_to* reply, butter_str object_id,
                       butter_error* err);
  butter_status (*list)(const butter_plugin* provider, butter_storage_object_fn fn, void* user);
  butter_status (*lookup)(const butter_plugin* provider, butter_str object_id, butter_storage_object_fn fn, void* user);

  /* [node] The manifest of an object held here (the format above; its SHA-256 is `object_id`),
   * passed to fn once before returning. BUTTER_E_NOT_FOUND when this node does not hold the whole
   * object (nothing is fetched from the network), BUTTER_E_INVALID for an id that is not 64 hex
   * digits or a NULL fn. */
  butter_status (*manifest)(const butter_plugin* provider, butter_str object_id, butter_storage_manifest_fn fn,
                            void* user);

  /* [node] Bytes [offset, offset + length) of an object held here, clipped at the object's end,
   * passed to fn before returning as one or more consecutive pieces in order (a range across
   * blocks may come as one piece per block, so the provider copies nothing); a range that is empty
   * after clipping (length 0, or offset == size) calls fn zero times. The bytes are those put:
   * providers check blocks against the manifest when they store them.
   * BUTTER_E_NOT_FOUND when the object is not held here whole (nothing is fetched);
   * BUTTER_E_INVALID when length > BUTTER_STORAGE_MAX_READ, offset > the object's size, the id is
   * not 64 hex digits or fn is NULL (reason in err when given). */
  butter_status (*read)(const butter_plugin* provider, butter_str object_id, uint64_t offset, uint64_t length,
                        butter_storage_read_fn fn, void* user, butter_error* err);
} butter_storage_v2;

#ifdef __cplusplus
}
#endif
#endif
