/* butter/ext/punch.h — "butter.punch/1": direct connections through NAT (hole punching), and how
 * each connected peer is reached.
 *
 * New beside the frozen "butter.net/1" and "butter.streams/1". The host holds the mechanism: a
 * TCP simultaneous open from the node's listen port (SO_REUSEADDR/SO_REUSEPORT, so that a NAT
 * with endpoint-independent, port-preserving mapping shows the peer the address it was told), the
 * Noise roles decided by the node ids (both sides "connect": the smaller id initiates), and the
 * transparent replacement of a relayed connection by the punched one: plugins keep sending to the
 * same node id, a request already out on the relay is answered there, and the relayed connection
 * closes once it has carried its last message. The plugin holds the policy: when to punch, which
 * addresses, when to retry (the NAT plugin synchronises both sides through the relayed
 * connection, DCUtR-like). */
#ifndef BUTTER_EXT_PUNCH_H
#define BUTTER_EXT_PUNCH_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_PUNCH "butter.punch/1"

/* How a connection was made (butter_punch_path.how); unknown values must be ignored. */
#define BUTTER_PATH_NONE 0        /* not connected */
#define BUTTER_PATH_DIALLED 1     /* this node dialled a tcp:// endpoint */
#define BUTTER_PATH_ACCEPTED 2    /* the peer dialled this node */
#define BUTTER_PATH_RELAYED_OUT 3 /* over a plugin's stream this node dialled (relay://) */
#define BUTTER_PATH_RELAYED_IN 4  /* over a plugin's stream handed to the host (accept) */
#define BUTTER_PATH_PUNCHED 5     /* hole punching (punch below) */

typedef struct butter_punch_path {
  uint32_t struct_size; /* set by the caller; the host fills what fits */
  int32_t how;          /* BUTTER_PATH_*, of the connection the node sends on to that peer */
  uint8_t relayed;      /* 1 when that connection runs over a plugin's stream */
} butter_punch_path;

/* [node] The outcome of one punch. status BUTTER_OK: the punched connection is up (HELLO done)
 * and is now the path to the peer. Otherwise `reason` (borrowed for the call) starts with one
 * word: "timeout", "refused", "handshake", "busy", "unusable", "no-listen", "cancelled". */
typedef void (*butter_punch_done_fn)(void* user, butter_status status, butter_str reason);

typedef struct butter_punch_v1 {
  /* [node] Punches to `node_id` (64 hex digits): connects to each of `endpoints` (tcp:// URIs with
   * a numeric address; at most 4 used; all borrowed for the call) for up to `window_ms`
   * (1..60000) from this node's first listen endpoint. The peer must punch to this node at about
   * the same moment. `fn` is called exactly once, never inside punch(), unless the instance stops
   * first (then never). Errors (fn not called): BUTTER_E_INVALID (bad id, window, null fn),
   * BUTTER_E_UNAVAILABLE (instance or transport not active). */
  butter_status (*punch)(const butter_host* host, butter_str node_id, const butter_str* endpoints, uint32_t n,
                         uint32_t window_ms, butter_punch_done_fn fn, void* user);
  /* [node] How `node_id` is reached now. BUTTER_E_INVALID for a bad id or `out`; a peer not
   * connected gives BUTTER_OK with how = BUTTER_PATH_NONE. */
  butter_status (*path)(const butter_host* host, butter_str node_id, butter_punch_path* out);
} butter_punch_v1;

#ifdef __cplusplus
}
#endif
#endif
