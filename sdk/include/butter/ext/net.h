/* butter/ext/net.h — "butter.net/1": messages between nodes.
 *
 * Peers are named by node id (64 hex digits) or by endpoint URI ("tcp://198.18.0.2:7000"); a
 * URI is dialled when not yet connected. Connections are persistent and keyed by node id after a
 * HELLO. A message is addressed to a protocol id ("/butter/pcg/1"); each protocol has at most one
 * handler per node. Requests carry a deadline and complete exactly once.
 *
 * Backpressure: when a connection's outgoing queue is full, send/request return BUTTER_E_AGAIN;
 * nothing is queued without bound.
 *
 * When the instance stops, the host unregisters its handlers and watchers and cancels its pending
 * requests silently (their callbacks are not called). */
#ifndef BUTTER_EXT_NET_H
#define BUTTER_EXT_NET_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_NET "butter.net/1"

typedef struct butter_net_message {
  uint32_t struct_size; /* sizeof(butter_net_message) as the host built it */
  butter_str from;      /* sender node id, 64 hex digits */
  butter_str protocol;  /* protocol id */
  butter_bytes payload; /* on an error response: the error text */
  uint64_t reply_token; /* non-zero for a request: pass it to reply() once; 0 for one-way */
} butter_net_message;

/* [node] A message for a protocol this instance handles. Everything in `msg` is borrowed for the
 * call; a request may be answered later with msg->reply_token. */
typedef void (*butter_net_handler_fn)(void* user, const butter_net_message* msg);

/* [node] A request completed: status BUTTER_OK and the reply, or an error (BUTTER_E_TIMEOUT,
 * BUTTER_E_UNAVAILABLE when the connection dropped, BUTTER_E_NOT_FOUND when the peer has no handler
 * for the protocol, or the status the remote handler replied with). `reply` is never NULL, also on
 * error: its `from` and `protocol` say which request this was, and its payload is what the remote
 * sent with an error status (often empty; empty for the host's own errors). Borrowed for the call. */
typedef void (*butter_net_response_fn)(void* user, butter_status status, const butter_net_message* reply);

/* [node] Outcome of connect(): the peer's node id on success (borrowed). */
typedef void (*butter_net_connect_fn)(void* user, butter_status status, butter_str node_id);

enum { BUTTER_PEER_UP = 1, BUTTER_PEER_DOWN = 2 };

/* [node] A peer connected (HELLO done) or its last connection closed. Borrowed strings. */
typedef void (*butter_net_peer_fn)(void* user, int32_t event, butter_str node_id);

typedef struct butter_net_peer_info {
  uint32_t struct_size;    /* set by the caller */
  butter_str node_id;      /* valid for the current callback only */
  uint32_t endpoint_count; /* endpoints the peer advertised */
  const butter_str* endpoints;
  butter_str remote_address; /* the socket's remote address as seen from here */
  int32_t outbound;          /* non-zero when this node dialled */
  /* ABI 1.7: this side's socket address ("tcp://ip:port"), empty over a plugin's stream (relay://).
   * Compared with where a peer says it sees this node, it tells whether a NAT keeps the port. The
   * host fills it only when struct_size covers it (an older host leaves it as the caller set it). */
  butter_str local_address;
} butter_net_peer_info;

/* A byte stream for a URI scheme the host does not know (the NAT plugin's "relay://"). The host
 * runs its HELLO and framing over it exactly as over TCP. The stream id is chosen by the host.
 * All calls [node]. */
typedef struct butter_net_dialer {
  uint32_t struct_size;
  void* user;
  /* Opens a stream to `uri`; later report bytes with stream_deliver and the end with
   * stream_closed, using `stream_id`. Return an error to fail the dial at once. */
  butter_status (*dial)(void* user, butter_str uri, uint64_t stream_id);
  /* Sends bytes on the stream (borrowed: copy them). BUTTER_E_AGAIN when full. */
  butter_status (*write)(void* user, uint64_t stream_id, butter_bytes bytes);
  /* The host is done with the stream. Do not call stream_* for it afterwards. */
  void (*close)(void* user, uint64_t stream_id);
} butter_net_dialer;

/* Limits of a message (see send). */
#define BUTTER_NET_MAX_PROTOCOL 256u                       /* bytes of a protocol id */
#define BUTTER_NET_FRAME_OVERHEAD 16u                      /* frame bytes besides protocol id and payload */
#define BUTTER_NET_DEFAULT_MAX_FRAME (16u * 1024u * 1024u) /* max_frame_bytes unless the manifest says */

typedef struct butter_net_v1 {
  /* [node] Routes messages for `protocol` to fn. BUTTER_E_INVALID when another instance of the
   * node handles it already. */
  butter_status (*handle)(const butter_host* host, butter_str protocol, butter_net_handler_fn fn, void* user,
                          butter_error* err);
  /* [node] Stops routing `protocol` to this instance. */
  void (*unhandle)(const butter_host* host, butter_str protocol);

  /* [node] One-way message. The payload is copied before return. send and request refuse with
   * BUTTER_E_INVALID, sending nothing, a protocol id that is empty, over BUTTER_NET_MAX_PROTOCOL
   * bytes or not UTF-8, and a message whose frame (BUTTER_NET_FRAME_OVERHEAD + protocol id +
   * payload bytes) exceeds the node's max_frame_bytes (manifest [node]; default
   * BUTTER_NET_DEFAULT_MAX_FRAME): larger data goes as a stream (butter.streams/1). */
  butter_status (*send)(const butter_host* host, butter_str peer, butter_str protocol, butter_bytes payload,
                        butter_error* err);
  /* [node] Request with a deadline (timeout_ms > 0). On BUTTER_OK, fn(user, ...) is called exactly
   * once later (never from inside this call), unless cancelled. *out_request_id may be NULL. */
  butter_status (*request)(const butter_host* host, butter_str peer, butter_str protocol, butter_bytes payload,
                           uint32_t timeout_ms, butter_net_response_fn fn, void* user, uint64_t* out_request_id,
                           butter_error* err);
  /* [node] Cancels a pending request: its callback is not called. Unknown ids are ignored. */
  void (*cancel)(const butter_host* host, uint64_t request_id);
  /* [node] Answers a request, now or later, exactly once. status BUTTER_OK with the reply payload,
   * or an error status with a reason as payload. BUTTER_E_NOT_FOUND when the token is unknown,
   * already used, or its connection is gone. */
  butter_status (*reply)(const butter_host* host, uint64_t reply_token, butter_status status, butter_bytes payload);

  /* [node] Dials `uri` (if not connected) and reports the peer's node id. */
  butter_status (*connect)(const butter_host* host, butter_str uri, butter_net_connect_fn fn, void* user);
  /* [node] Remembers that `node_id` is reachable at `endpoint`, so that send/request to the id
   * can dial it. */
  butter_status (*add_address)(const butter_host* host, butter_str node_id, butter_str endpoint);

  /* [node] Connected peers: the count, then each (index < count); strings valid for the
   * current callback only. */
  uint32_t (*peer_count)(const butter_host* host);
  butter_status (*peer)(const butter_host* host, uint32_t index, butter_net_peer_info* out);
  /* [node] Calls fn on every peer up/down until the instance stops. */
  butter_status (*watch_peers)(const butter_host* host, butter_net_peer_fn fn, void* user);

  /* [node] Serves `scheme` ("relay") with a plugin's byte streams. The dialer struct is copied. */
  butter_status (*register_dialer)(const butter_host* host, butter_str scheme, const butter_net_dialer* dialer);
  /* [node] Bytes arrived on a stream opened by this instance's dialer (borrowed). */
  butter_status (*stream_deliver)(const butter_host* host, uint64_t stream_id, butter_bytes bytes);
  /* [node] The stream ended (remote closed, failed). The host closes the connection over it. */
  void (*stream_closed)(const butter_host* host, uint64_t stream_id, butter_str reason);
} butter_net_v1;

/* "butter.net.reply/1" — added beside butter.net/1 (whose vtable is frozen): answering a request
 * with a payload given in parts, so that a handler answering with, say, a prefix and the request's
 * own bytes builds no joined copy of its own. A host without it returns NULL from get_extension;
 * the C++ wrapper then joins the parts itself and calls butter.net/1 reply. */
#define BUTTER_EXT_NET_REPLY "butter.net.reply/1"

/* The most parts one reply_parts call takes. */
#define BUTTER_NET_REPLY_MAX_PARTS 64

typedef struct butter_net_reply_v1 {
  /* [node] As butter_net_v1.reply, with the payload the concatenation of parts[0..count) (borrowed:
   * the host copies them once, where the frame is queued; count may be 0).
   * Refused with BUTTER_E_INVALID, sending nothing: count > BUTTER_NET_REPLY_MAX_PARTS, or
   * parts == NULL with count > 0. The token stays valid after these refusals and after
   * BUTTER_E_AGAIN (queue full), so the reply can be made again; any other result consumes it. */
  butter_status (*reply_parts)(const butter_host* host, uint64_t reply_token, butter_status status,
                               const butter_bytes* parts, uint32_t count);
} butter_net_reply_v1;

/* "butter.net.sealed/1" — added beside butter.net/1: a one-way message whose payload ends in bytes
 * the plugin already protects end to end, such as the records of a secure channel it relays. On an
 * encrypted connection to a peer that takes them, those bytes cross the hop without being
 * encrypted a second time (the relay's work per byte drops to a copy); the hop still encrypts and
 * authenticates the message's protocol, `head` and where `sealed` lies, but NOT the bytes of
 * `sealed`: one that is tampered with in transit arrives tampered, so use this only for bytes whose
 * final receiver checks them (authenticated ciphertext). The receiver's handler sees the payload
 * head || sealed as from send. Elsewhere (plaintext mode, a peer or connection that does not take
 * them) the message goes exactly as send would. A host without it returns NULL from get_extension;
 * the C++ wrapper then joins the two and calls butter.net/1 send. */
#define BUTTER_EXT_NET_SEALED "butter.net.sealed/1"

typedef struct butter_net_sealed_v1 {
  /* [node] As butter_net_v1.send with the payload head || sealed (both copied before return; the
   * same refusals and limits, the frame counting 4 bytes more for the length of `sealed`). */
  butter_status (*send_sealed)(const butter_host* host, butter_str peer, butter_str protocol, butter_bytes head,
                               butter_bytes sealed, butter_error* err);
} butter_net_sealed_v1;

/* "butter.net.peer_lookup/1" — added beside butter.net/1: one connected peer's info by node id.
 * butter.net/1 tells a peer's remote address only through peer_count + peer(index), a walk of
 * every connection; a plugin that needs the address of a message's sender (a rate limit or a cap
 * per network address) paid that walk per message. The host answers this from its index of
 * connections by node id, without walking the others. A host without it returns NULL from
 * get_extension; the C++ wrapper (Net::peer) then walks peer_count + peer. */
#define BUTTER_EXT_NET_PEER_LOOKUP "butter.net.peer_lookup/1"

typedef struct butter_net_peer_lookup_v1 {
  /* [node] Fills *out for the connected peer `node_id` (64 hex digits): the same connection, and
   * the same fields, as butter_net_v1.peer reports for it (out->node_id as the host spells it, in
   * lower case). out->struct_size is set by the caller; local_address is filled only when it
   * covers it. Strings in *out are valid for the current callback only, and until the next
   * peer_by_id call. Constant time in the number of connections (a hash lookup, then the few
   * connections to that one peer).
   * BUTTER_E_NOT_FOUND when no connection to `node_id` is up (never connected, or gone);
   * BUTTER_E_INVALID when out is NULL, out->struct_size is smaller than the fields up to
   * `outbound`, or node_id is not 64 hex digits; *out is left alone on any error. */
  butter_status (*peer_by_id)(const butter_host* host, butter_str node_id, butter_net_peer_info* out);
} butter_net_peer_lookup_v1;

#ifdef __cplusplus
}
#endif
#endif
