/* butter/iface/search.h — "butter.search/1": information retrieval over the overlay, provided by
 * a plugin (the standard one is ir-dbfs, directed breadth-first search).
 *
 * Two kinds of query: which nodes hold an object id, and which objects match a set of keywords
 * (all of them, case-insensitive). Hits stream back as they arrive, then one DONE.
 *
 * Results through the events bus (butter/iface/reply.h):
 *   kind 1 HIT  : u64 ticket, u8 1, i32 status(OK), str16 object_id, str16 node_id,
 *                 u16 endpoint_count, endpoint_count x str16 endpoint, u16 keyword_count,
 *                 keyword_count x str16 keyword, u8 hops
 *   kind 2 DONE : u64 ticket, u8 2, i32 status, u32 hits, u32 messages, str16 message
 *                 (status OK when the search ran, even with no hit; messages = query messages
 *                 this search cost, as far as the source knows)
 * The same (object, node) pair is reported once per search. */
#ifndef BUTTER_IFACE_SEARCH_H
#define BUTTER_IFACE_SEARCH_H

#include "butter/iface/reply.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_IFACE_SEARCH "butter.search/1"

enum { BUTTER_SEARCH_RESULT_HIT = 1, BUTTER_SEARCH_RESULT_DONE = 2 };

enum {
  BUTTER_SEARCH_BY_OBJECT = 1,  /* terms[0] is an object id: who holds it */
  BUTTER_SEARCH_BY_KEYWORDS = 2 /* objects whose keywords contain every term */
};

typedef struct butter_search_query {
  uint32_t struct_size; /* sizeof(butter_search_query) */
  int32_t kind;         /* BUTTER_SEARCH_BY_* */
  uint32_t term_count;
  const butter_str* terms; /* borrowed for the call */
  uint32_t max_results;    /* the search stops once this many hits came; 0 = provider default */
  uint32_t ttl;            /* hops; 0 = provider default; clamped to the provider's maximum */
  uint32_t timeout_ms;     /* DONE at the latest after this; 0 = provider default */
} butter_search_query;

typedef struct butter_search_v1 {
  /* [node] Starts a search; results on reply->topic. BUTTER_E_INVALID for a bad query (no terms,
   * too long, unknown kind), with no result later. */
  butter_status (*find)(const butter_plugin* provider, const butter_reply_to* reply, const butter_search_query* query,
                        butter_error* err);
  /* [node] Attaches keywords (copied) to an object this node holds or knows of, for keyword
   * searches answered here. Objects held by the storage plugin are indexed without this call. */
  butter_status (*annotate)(const butter_plugin* provider, butter_str object_id, const butter_str* keywords,
                            uint32_t keyword_count, butter_error* err);
} butter_search_v1;

#ifdef __cplusplus
}
#endif
#endif
