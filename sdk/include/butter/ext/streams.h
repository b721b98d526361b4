/* butter/ext/streams.h — "butter.streams/1": inbound plugin streams and address preference.
 *
 * Growth beside "butter.net/1" (frozen). A plugin that registered a dialer for a scheme with
 * net->register_dialer ("relay") can already make the host DIAL over its byte streams. This
 * extension adds the other direction: a stream that arrived through the plugin (a relayed
 * connection reaching a node behind NAT) is handed to the host, which runs the RESPONDER side of
 * the secure handshake, HELLO and framing over it, exactly as over an accepted TCP connection.
 *
 * An accepted stream is a stream like a dialled one: the host writes to it with the dialer's
 * write(), ends it with the dialer's close(), and the plugin reports bytes and the end with
 * net->stream_deliver / net->stream_closed, all with the stream id accept() returned. When the
 * instance stops (or is isolated), the host closes every connection over its streams, as for
 * dialled ones. */
#ifndef BUTTER_EXT_STREAMS_H
#define BUTTER_EXT_STREAMS_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_STREAMS "butter.streams/1"

typedef struct butter_streams_v1 {
  /* [node] Hands the host an inbound stream for `scheme`. REQUIRES: this instance registered the
   * dialer for `scheme`. `remote` names the far side for logs and peer info (borrowed, e.g.
   * "relay://..."). On BUTTER_OK *out_stream_id is the host's id for the stream; the host calls
   * the dialer's write/close for it only after accept() returned. Errors: BUTTER_E_INVALID (no
   * dialer of this instance for the scheme, null out), BUTTER_E_UNAVAILABLE (instance or transport
   * not active). */
  butter_status (*accept)(const butter_host* host, butter_str scheme, butter_str remote, uint64_t* out_stream_id);
  /* [node] Like net->add_address, but `endpoint` is put FIRST among the node's known endpoints,
   * so that sending to `node_id` tries it before the others (a private node's new relay://
   * endpoint before its unreachable tcp:// one). BUTTER_E_INVALID for a bad id or endpoint. */
  butter_status (*prefer_address)(const butter_host* host, butter_str node_id, butter_str endpoint);
} butter_streams_v1;

/* "butter.streams.flow/1" — added beside butter.streams/1 (frozen): flow control on a plugin's
 * streams. A dialer's write() may answer BUTTER_E_AGAIN when it cannot take bytes now (its own
 * window or queue is full); the host then keeps the bytes and calls write() again with the same
 * bytes later. writable() says when: call it once the stream can take bytes again, and the host
 * retries at once. A host also retries on its own after a short, growing delay (at most 50 ms),
 * so a plugin that cannot tell when it drains (a full queue of its own host) may skip the call.
 * While a write waits, the connection's own queue fills and its senders get BUTTER_E_AGAIN: the
 * backpressure reaches them instead of a buffer growing. The host hands write() at most 64 KiB
 * at a time. On a host older than 1.5 the extension is absent and BUTTER_E_AGAIN from write()
 * closes the connection, as any other error. */
#define BUTTER_EXT_STREAMS_FLOW "butter.streams.flow/1"

typedef struct butter_streams_flow_v1 {
  /* [node] `stream_id` (dialled or accepted by this instance) can take bytes again. Unknown ids
   * and streams with no write waiting are ignored (BUTTER_OK); BUTTER_E_NOT_FOUND for a stream
   * of another instance or none. */
  butter_status (*writable)(const butter_host* host, uint64_t stream_id);
} butter_streams_flow_v1;

#ifdef __cplusplus
}
#endif
#endif
