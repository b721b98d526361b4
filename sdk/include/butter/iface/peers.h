/* butter/iface/peers.h — "butter.peers/1": the known-host cache, provided by a plugin
 * (the standard one is knownhosts-quality) and used by discovery, storage and search.
 *
 * Obtain it per callback through the services broker:
 *   butter_service s = { sizeof s };
 *   if (services->acquire(host, BUTTER_IFACE_PEERS, &s) == BUTTER_OK) {
 *     const butter_peers_v1* peers = s.vtable;
 *     peers->add_candidate(s.provider, id, endpoints, n, source);
 *   }
 * Changes are announced on the events bus (butter/ext/events.h) under the topics below, with the
 * node id (64 hex digits) as payload. */
#ifndef BUTTER_IFACE_PEERS_H
#define BUTTER_IFACE_PEERS_H

#include "butter/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_IFACE_PEERS "butter.peers/1"
#define BUTTER_PEERS_TOPIC_ADDED "butter.peers/1:added"
#define BUTTER_PEERS_TOPIC_REMOVED "butter.peers/1:removed"
#define BUTTER_PEERS_TOPIC_UPDATED "butter.peers/1:updated"

/* What a host says about itself; used to rank and diversify the cache. */
typedef struct butter_peer_quality {
  uint32_t struct_size;
  uint64_t uptime_s;
  uint64_t free_storage_bytes;
  uint32_t hosts_known;
} butter_peer_quality;

/* One known host. Borrowed for the callback that receives it. */
typedef struct butter_peer_record {
  uint32_t struct_size;
  butter_str node_id;
  uint32_t endpoint_count;
  const butter_str* endpoints;
  int32_t quality_known; /* non-zero once the host answered a quality request */
  butter_peer_quality quality;
  uint64_t last_seen_ms; /* node clock (butter.timer/1 now_ms) of the last answer */
  uint32_t failures;     /* consecutive unanswered quality requests */
  int32_t quality_class; /* 0..7 (bit 0 uptime, bit 1 storage, bit 2 hosts known: high), -1 unknown */
} butter_peer_record;

/* [node] Receives records; borrowed for the call. */
typedef void (*butter_peer_record_fn)(void* user, const butter_peer_record* record);

typedef struct butter_peers_v1 {
  /* [node] A host was heard of (by discovery, a HELLO, a peer's list). It is kept on probation
   * until it answers a quality request, then admitted by the cache's rule. `source` says who
   * told us ("multicast", "hello", ...), for logs. */
  butter_status (*add_candidate)(const butter_plugin* provider, butter_str node_id, const butter_str* endpoints,
                                 uint32_t endpoint_count, butter_str source);
  /* [node] Forgets a host. BUTTER_E_NOT_FOUND when unknown. */
  butter_status (*remove)(const butter_plugin* provider, butter_str node_id);
  /* [node] Number of admitted hosts (not counting candidates on probation). */
  uint32_t (*count)(const butter_plugin* provider);
  /* [node] Every admitted host, in a stable order (node id). */
  butter_status (*list)(const butter_plugin* provider, butter_peer_record_fn fn, void* user);
  /* [node] Up to k admitted hosts, chosen to be diverse across quality classes and otherwise at
   * random. */
  butter_status (*sample)(const butter_plugin* provider, uint32_t k, butter_peer_record_fn fn, void* user);
  /* [node] One host; BUTTER_E_NOT_FOUND when not admitted. */
  butter_status (*lookup)(const butter_plugin* provider, butter_str node_id, butter_peer_record_fn fn, void* user);
} butter_peers_v1;

#ifdef __cplusplus
}
#endif
#endif
