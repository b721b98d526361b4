/* butter/iface/storage3.h — "butter.storage/3": butter.storage/2 plus streamed reads and writes of
 * objects of any size, with bounded memory on both sides.
 *
 * butter.storage/1's get returns a whole object in one events-bus payload (at most
 * BUTTER_EVENTS_MAX_PAYLOAD, 64 KiB); /2's read only reaches objects held HERE. /3 adds:
 *
 *  - a STREAMED READ of any object in the network over a byte range: the provider finds the
 *    object, fetches its blocks (from several holders at once, each block verified against the
 *    object id before it is handed out) and delivers the range IN ORDER as chunks through a
 *    callback. Backpressure is pull-based: the consumer grants credit, one chunk per unit, and
 *    the provider delivers no chunk without credit. It never holds more than `window` blocks
 *    for one read (in flight plus verified but not delivered), so a 10 GiB object reads with
 *    window x block size bytes of memory (64 x 64 KiB = 4 MiB at most with the default block
 *    size). A read ends with one `done` callback carrying the offset it reached: a read cut off
 *    (every holder lost) is RESUMED by opening a new read at that offset; bytes already
 *    delivered are not fetched again (only the block containing the offset, which must be
 *    verified whole). Results never go over the events bus.
 *  - a STREAMED PUT: begin (keywords, optional expected size), write chunks of any size (copied;
 *    the provider hashes each block as soon as it is full), commit (the object id at once, and
 *    the same completion as put: when the group holds it, or failed), or abort.
 *
 * Version 3 starts with /2's six entries, which mean exactly what they mean there, so one
 * provider serves /1, /2 and /3 with the same functions. A consumer asks for butter.storage/3 and
 * falls back to /2 or /1.
 *
 * THREADING AND LIFETIME. Every function and every callback is [node]: called on, and calling
 * back on, the node's executor. Callbacks are NEVER called from inside the function the consumer
 * called (open_read, read_credit, read_cancel, put_*): they come later, from the provider's own
 * work (a message, a timer), so a consumer may call read_credit or read_cancel from inside a
 * chunk callback. Bytes passed to a callback are borrowed for that call only. The handlers
 * struct is copied at open; `user` must stay valid until `done` was called or the read/put was
 * cancelled/aborted (after which the provider never calls back). When the provider stops, every
 * open read ends with done(BUTTER_E_CANCELLED) and every put awaiting its result with the same.
 *
 * LIMITS. At most BUTTER_STORAGE_MAX_STREAM_WINDOW blocks per read window; outstanding credit is
 * capped at the window (more is ignored, not an error). A provider may bound the reads and puts
 * open at once (BUTTER_E_NOMEM past it; pcg-storage: 256 reads, 64 puts). A read makes progress
 * or ends: one that waits on the network (not on the consumer's credit) longer than the
 * provider's idle limit ends with BUTTER_E_TIMEOUT and the offset reached. A read kept open
 * without credit holds its window of blocks until it is given credit or cancelled.
 *
 * MEMORY OF A STREAMED PUT. The bytes written are the provider's copy of the object: a provider
 * that keeps objects in memory (pcg-storage today) holds everything written so far, and refuses
 * a write with BUTTER_E_NOMEM when the object would exceed the expected size or its free budget;
 * nothing else is buffered (no second copy is made at commit). */
#ifndef BUTTER_IFACE_STORAGE3_H
#define BUTTER_IFACE_STORAGE3_H

#include "butter/iface/storage2.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_IFACE_STORAGE_V3 "butter.storage/3"

/* The most blocks one read holds (in flight + verified, not yet delivered). */
#define BUTTER_STORAGE_MAX_STREAM_WINDOW 64u
/* A read's `length` that means "to the object's end". */
#define BUTTER_STORAGE_TO_END UINT64_MAX
/* A put's `expected_size` that means "not known in advance". */
#define BUTTER_STORAGE_SIZE_UNKNOWN UINT64_MAX

typedef struct butter_storage_read_handlers {
  uint32_t struct_size; /* sizeof(butter_storage_read_handlers) */
  void* user;
  /* [node] Bytes [offset, offset + data.len) of the object, verified. Chunks come in order with
   * no gap and no overlap, starting at the read's offset, one per unit of credit; a chunk is at
   * most one block (BUTTER_STORAGE_MAX_BLOCK_SIZE). Borrowed for the call. Required. */
  void (*chunk)(void* user, uint64_t read_id, uint64_t offset, butter_bytes data);
  /* [node] The read ended; called exactly once unless the read was cancelled, after which
   * read_id is unknown. status BUTTER_OK: the whole range was delivered. Otherwise
   * BUTTER_E_NOT_FOUND (nobody reachable holds the object), BUTTER_E_INVALID (offset past the
   * object's end), BUTTER_E_UNAVAILABLE (no holder left for the rest), BUTTER_E_TIMEOUT (no
   * progress), BUTTER_E_CANCELLED (provider stopping). `next_offset` is the first byte not
   * delivered: open a new read there to resume. `reason` is borrowed. Required. */
  void (*done)(void* user, uint64_t read_id, butter_status status, uint64_t next_offset, butter_str reason);
} butter_storage_read_handlers;

typedef struct butter_storage_put_handlers {
  uint32_t struct_size; /* sizeof(butter_storage_put_handlers) */
  void* user;
  /* [node] The committed put's result, exactly once, like PUT_DONE (iface/storage.h): status,
   * the object id (64 hex digits; empty when the put failed before it was stored), the group
   * members holding it when reported, a reason. Borrowed. Required. */
  void (*done)(void* user, uint64_t put_id, butter_status status, butter_str object_id, uint32_t replicas,
               butter_str reason);
} butter_storage_put_handlers;

typedef struct butter_storage_v3 {
  /* The six calls of butter.storage/2 (iface/storage2.h), with the same contracts. */
  butter_status (*put)(const butter_plugin* provider, const butter_reply_to* reply, butter_bytes data,
                       const butter_str* keywords, uint32_t keyword_count, char object_id_out[65], butter_error* err);
  butter_status (*get)(const butter_plugin* provider, const butter_reply_to* reply, butter_str object_id,
                       butter_error* err);
  butter_status (*list)(const butter_plugin* provider, butter_storage_object_fn fn, void* user);
  butter_status (*lookup)(const butter_plugin* provider, butter_str object_id, butter_storage_object_fn fn, void* user);
  butter_status (*manifest)(const butter_plugin* provider, butter_str object_id, butter_storage_manifest_fn fn,
                            void* user);
  butter_status (*read)(const butter_plugin* provider, butter_str object_id, uint64_t offset, uint64_t length,
                        butter_storage_read_fn fn, void* user, butter_error* err);

  /* [node] Opens a streamed read of bytes [offset, offset + length) of `object_id` (length
   * clipped at the object's end; BUTTER_STORAGE_TO_END for the rest), from this node or the
   * network. `window`: blocks the provider may hold for this read, 1..BUTTER_STORAGE_MAX_STREAM_WINDOW
   * (0: the provider's default, 8 for pcg-storage). `initial_credit`: chunks the consumer takes
   * at once (may be 0; capped at the window). Writes the read's id to *read_id_out; callbacks
   * follow later. Errors, with no callback: BUTTER_E_INVALID (id not 64 hex digits, window over
   * the maximum, handlers missing or too small), BUTTER_E_NOMEM (too many reads open). An offset
   * past the object's end is found only once its manifest is known: done(BUTTER_E_INVALID). */
  butter_status (*open_read)(const butter_plugin* provider, butter_str object_id, uint64_t offset, uint64_t length,
                             uint32_t window, uint32_t initial_credit, const butter_storage_read_handlers* handlers,
                             uint64_t* read_id_out, butter_error* err);
  /* [node] Grants `chunks` more chunks of credit (pull): delivery resumes later, never inside this
   * call. BUTTER_E_NOT_FOUND once done was called, after read_cancel, or for an unknown id (credit
   * given from the last chunk's callback, before done, is accepted and has no effect). */
  butter_status (*read_credit)(const butter_plugin* provider, uint64_t read_id, uint32_t chunks);
  /* [node] Ends a read at once: everything it holds is freed, no callback follows (not even
   * done). BUTTER_E_NOT_FOUND when it has ended already or is unknown. */
  butter_status (*read_cancel)(const butter_plugin* provider, uint64_t read_id);

  /* [node] Begins a streamed put with its keywords (copied; limits of the manifest format) and
   * the object's size when known (BUTTER_STORAGE_SIZE_UNKNOWN otherwise; a commit with another
   * size fails). Writes the put's id to *put_id_out. BUTTER_E_INVALID (bad keywords),
   * BUTTER_E_NOMEM (expected size over the free budget, or too many puts open). */
  butter_status (*put_begin)(const butter_plugin* provider, const butter_str* keywords, uint32_t keyword_count,
                             uint64_t expected_size, uint64_t* put_id_out, butter_error* err);
  /* [node] Appends `data` (copied, any length). All of it or none is taken: BUTTER_E_NOMEM (past
   * the expected size or the budget: the put is aborted), BUTTER_E_AGAIN (not now: the provider's
   * window is full; retry later, the put stays open), BUTTER_E_NOT_FOUND (unknown put). */
  butter_status (*put_write)(const butter_plugin* provider, uint64_t put_id, butter_bytes data, butter_error* err);
  /* [node] Ends the writes: the object is stored here and replicated as put does. Writes its id
   * (64 hex digits + NUL) to object_id_out at once; handlers->done follows later, exactly once,
   * when the group holds it or at the provider's put deadline. On an error returned here (size
   * not the expected one, store refused) the put is gone and no callback follows. */
  butter_status (*put_commit)(const butter_plugin* provider, uint64_t put_id,
                              const butter_storage_put_handlers* handlers, char object_id_out[65], butter_error* err);
  /* [node] Drops an open (uncommitted) put and everything written. On a COMMITTED put whose
   * done has not been called yet it forgets the handler instead: the object is stored and
   * replicated all the same, done is never called and `user` may be freed once this returns
   * BUTTER_OK (a consumer going away calls it). BUTTER_E_NOT_FOUND when unknown or done already
   * called. */
  butter_status (*put_abort)(const butter_plugin* provider, uint64_t put_id);
} butter_storage_v3;

#ifdef __cplusplus
}
#endif
#endif
