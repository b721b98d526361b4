/* butter/ext/connections.h — "butter.connections/1": the connection manager, and what this node
 * announces about itself.
 *
 * Known is not connected: a node may know thousands of hosts but keeps an *active set* of
 * connected peers between a low and a high watermark (manifest [node] connections_low_water,
 * connections_high_water). The host holds the mechanism; plugins hold the policy:
 *  - above the high watermark the host closes unprotected peers (least recently active first,
 *    never one younger than connection_grace_ms nor one with a request in flight) down to the
 *    low watermark; an unprotected connection idle for connection_idle_ms is closed;
 *  - a plugin that is using a peer (an overlay neighbour, a group being synced, a search in
 *    flight, a relay circuit) protects it with a tag, and unprotects it when done. Tags are per
 *    plugin instance: two plugins may use the same tag name without touching each other's, and
 *    every tag an instance set is dropped when it stops. Protection does not dial: it only keeps.
 *  - the host keeps one connection per pair of nodes: when both dial at once, the second
 *    connection is closed once it has carried its last message.
 *
 * Advertised endpoints: endpoints this node can be reached at besides the ones it listens on (the
 * relay:// endpoint an ambassador gave it). They are announced in HELLO to peers connecting from
 * then on and appear in butter.node/1's endpoint list, after the listen endpoints. */
#ifndef BUTTER_EXT_CONNECTIONS_H
#define BUTTER_EXT_CONNECTIONS_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_CONNECTIONS "butter.connections/1"

/* Tags: 1..64 bytes. At most 16 tags per peer (all instances together) and at most
 * max_connections protected peers; beyond a bound protect() returns BUTTER_E_AGAIN. */
#define BUTTER_CONNECTIONS_MAX_TAG_BYTES 64

typedef struct butter_connections_info {
  uint32_t struct_size;     /* set by the caller; the host fills what fits */
  uint32_t low_water;       /* manifest connections_low_water */
  uint32_t high_water;      /* manifest connections_high_water */
  uint32_t peers;           /* peers connected now (HELLO done) */
  uint32_t protected_peers; /* peers with at least one tag (connected or not) */
} butter_connections_info;

typedef struct butter_connections_v1 {
  /* [node] Protects `node_id` (64 hex digits, borrowed) with `tag` (borrowed) for this instance.
   * The peer need not be connected yet. Protecting twice with one tag is a no-op. Errors:
   * BUTTER_E_INVALID (bad id or tag), BUTTER_E_AGAIN (a bound above), BUTTER_E_UNAVAILABLE. */
  butter_status (*protect)(const butter_host* host, butter_str node_id, butter_str tag);
  /* [node] Removes this instance's `tag` from `node_id`. BUTTER_E_NOT_FOUND when it had none. */
  butter_status (*unprotect)(const butter_host* host, butter_str node_id, butter_str tag);
  /* [node] Fills `out` (out->struct_size set by the caller). */
  butter_status (*info)(const butter_host* host, butter_connections_info* out);
  /* [node] Announces `endpoint` (a URI, borrowed, at most 255 bytes) as one of this node's own,
   * until withdrawn or this instance stops. At most 8 in all. BUTTER_E_INVALID for a bad URI,
   * BUTTER_E_AGAIN when 8 are advertised; advertising one already there is a no-op. */
  butter_status (*advertise)(const butter_host* host, butter_str endpoint);
  /* [node] Stops announcing `endpoint`. BUTTER_E_NOT_FOUND when this instance did not advertise it. */
  butter_status (*withdraw)(const butter_host* host, butter_str endpoint);
} butter_connections_v1;

/* "butter.connections.release/1" — added beside butter.connections/1 (frozen): a connection opened
 * for a one-off use (a probe, a lookup, a single request) need not wait out the grace and idle
 * periods. Without it such connections pile up above the high watermark on a node that asks many
 * hosts in turn, each kept for connection_grace_ms because it carried something recently. */
#define BUTTER_EXT_CONNECTIONS_RELEASE "butter.connections.release/1"

typedef struct butter_connections_release_v1 {
  /* [node] This instance has no further use for `node_id` (64 hex digits, borrowed). The host
   * closes the connection once nothing is in flight on it (within connection_grace_ms; else the
   * usual trimming and idle rules apply) — but only a connection this node dialled and that is
   * younger than connection_grace_ms, only while no plugin protects the peer, and only while more
   * than connections_low_water peers are connected: a peer some other part of the node is using
   * (it dialled us, it is protected, it has been up a while) is never cut. BUTTER_OK (closing, or
   * kept by those rules), BUTTER_E_NOT_FOUND (not connected), BUTTER_E_INVALID (bad id),
   * BUTTER_E_UNAVAILABLE. */
  butter_status (*release)(const butter_host* host, butter_str node_id);
} butter_connections_release_v1;

#ifdef __cplusplus
}
#endif
#endif
