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
 * word: "timeout", "refused", "handshake", "busy", "unusable", "no-listen", "cancelled", or
 * "budget" (every SYN of the punch was over the node's punch budget, below: none was sent).
 * Words may be added: treat an unknown one as a failure.
 *
 * The punch budget (host, node-wide, whatever plugin punches): every SYN a punch sends (one per
 * endpoint and extra socket, and each retry after a reset) takes a token per destination IP
 * (manifest [node] punch_syns_per_ip_per_minute, default 64, same burst; a spread's SYNs, below,
 * from punch_spread_syns_per_ip_per_minute, default 1024) and node-wide (punch_syns_per_second,
 * default 520); a SYN without one is not sent. The endpoints a plugin
 * passes are usually a peer's claims: the budget bounds what a hostile peer naming a third
 * party's address can make the node send there. */
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

/* "butter.punch/2": butter.punch/1 (unchanged, frozen) plus punch_spread, a punch with extra
 * sockets for NATs whose mapping is random ("symmetric": the port a peer sees cannot be told in
 * advance), the "many sockets" or birthday attempt. A host that has /2 also offers /1. */
#define BUTTER_EXT_PUNCH2 "butter.punch/2"

/* Options of punch_spread. May grow at the end: the caller sets struct_size, the host reads what
 * it knows of and takes anything not given as 0. */
typedef struct butter_punch_options {
  uint32_t struct_size;    /* sizeof(butter_punch_options) as the caller knows it */
  uint32_t window_ms;      /* 1..60000, as punch's window_ms */
  uint32_t local_sockets;  /* more connections to endpoints[0], each from a distinct ephemeral local
                              port (a random-mapping NAT then opens as many mappings); at most 256 */
  uint32_t remote_guesses; /* more connections from the listen port to this many distinct random
                              ports (1024..65535) of endpoints[0]'s address; at most 256 */
} butter_punch_options;

typedef struct butter_punch_v2 {
  /* As in butter_punch_v1. */
  butter_status (*punch)(const butter_host* host, butter_str node_id, const butter_str* endpoints, uint32_t n,
                         uint32_t window_ms, butter_punch_done_fn fn, void* user);
  butter_status (*path)(const butter_host* host, butter_str node_id, butter_punch_path* out);
  /* [node] punch with `opts` (borrowed for the call): the same contract and errors, and
   * BUTTER_E_INVALID for a null opts, a struct_size under 8 or a window out of range. The extra
   * sockets go to endpoints[0] only (put the peer's observed public address first), after the
   * endpoints' own SYNs in the punch budget (above): the caller bounds them, the budget too. */
  butter_status (*punch_spread)(const butter_host* host, butter_str node_id, const butter_str* endpoints, uint32_t n,
                                const butter_punch_options* opts, butter_punch_done_fn fn, void* user);
} butter_punch_v2;

#ifdef __cplusplus
}
#endif
#endif
