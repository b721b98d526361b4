/* butter/ext/http2.h — "butter.http/2": butter.http/1 plus streamed request bodies and streamed
 * responses, so that a route can take or serve data of any size with bounded memory (a file put
 * into storage, an object read back).
 *
 * butter.http/1's vtable is frozen; the host serves both ids. The first four entries below mean
 * what they mean in v1 except `route`, which takes a butter_http2_route (callbacks and options)
 * instead of one handler. A v2 route's reply token also accepts v1's `respond` (one whole answer).
 *
 * ONE EXCHANGE. `request` is called once the request head has arrived (and, unless the route
 * streams its body, the whole body). The token it carries names the exchange until the plugin
 * finishes it (respond, end or abort) or the host reports it `closed`; then it is dead and every
 * call with it returns BUTTER_E_NOT_FOUND.
 *
 * STREAMED REQUEST BODY (BUTTER_HTTP_STREAM_BODY). `req->body` is empty; the body is pulled: each
 * read_body() asks for one more piece, delivered later by one `body` call with at most
 * min(max_bytes, BUTTER_HTTP_MAX_CHUNK) bytes and `last` non-zero on the final one (which may be
 * empty). Until the plugin asks again the host reads nothing more from the socket (TCP flow
 * control holds the client back), so the plugin decides how much is in memory. The body may
 * exceed the node's max_body_bytes up to the route's own cap (413 and `closed` beyond it). A
 * plugin may answer before it read the whole body (say 507); the connection is then closed after
 * the answer.
 *
 * STREAMED RESPONSE. begin() sends the status and headers with a known Content-Length, or with
 * BUTTER_HTTP_LENGTH_UNKNOWN as chunked transfer encoding; write() queues bytes (copied) and end()
 * finishes. The host queues at most BUTTER_HTTP_WRITE_WINDOW bytes per exchange: a write that
 * does not fit returns BUTTER_E_AGAIN and the host calls `writable` once the queue has drained to
 * half the window, so a plugin never queues unbounded data and a client that stops reading holds
 * at most one window. With a Content-Length, writing more is BUTTER_E_INVALID and end() before
 * that many bytes aborts (a client must not take a short body for a whole one). abort() closes
 * the connection at once: the client sees a truncated body (or, before begin, no answer).
 * For HEAD requests the host sends the head only and drops what is written.
 *
 * TIMEOUTS AND LIMITS. An exchange is closed when nothing moves for the node's request timeout
 * (30 s by default): no body piece asked for, no answer begun, no write. A transfer that keeps
 * making progress is never cut by time, but progress has a minimum rate, so that a client cannot
 * hold an exchange open by trickling bytes (slow loris): a body piece asked for with read_body()
 * must arrive whole (min(max_bytes, BUTTER_HTTP_MAX_CHUNK) bytes, or the rest of the body) within
 * the request timeout, and the host writes the answer to the client in pieces of at most
 * BUTTER_HTTP_MAX_CHUNK (whatever the sizes of the plugin's writes), each of which the client must
 * take within the request timeout; otherwise the exchange is `closed` ("too slow"). With the
 * defaults that is 64 KiB per 30 s, about 2 KiB/s. By default at most BUTTER_HTTP_MAX_STREAMS v2
 * exchanges are open per node, and at most BUTTER_HTTP_MAX_STREAMS_PER_ADDRESS from one client IP
 * address; one more request to a v2 route is answered 503 (Retry-After: 1) at once.
 *
 * UNROUTE. After unroute() returns, no callback of that route is called again: its open exchanges
 * are ended by the host (503 when no answer has begun, else the connection is closed, as by abort)
 * and their tokens are dead, so a plugin may free what `user` points to right away. The same holds
 * for every route when the plugin stops or is replaced.
 *
 * THREADING. Every function is [node]: called on the node's thread only, and every callback comes
 * there. Callbacks may call back into this vtable (a `body` callback may call read_body again). */
#ifndef BUTTER_EXT_HTTP2_H
#define BUTTER_EXT_HTTP2_H

#include "butter/ext/http.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_HTTP_V2 "butter.http/2"

/* Route flag: the request body is pulled with read_body() instead of buffered. */
#define BUTTER_HTTP_STREAM_BODY 1u
/* max_body_bytes of a streamed-body route without a cap. */
#define BUTTER_HTTP_UNLIMITED UINT64_MAX
/* begin()'s content_length when the length is not known: chunked transfer encoding. */
#define BUTTER_HTTP_LENGTH_UNKNOWN UINT64_MAX
/* The most bytes one `body` callback carries. */
#define BUTTER_HTTP_MAX_CHUNK (64u * 1024u)
/* The most bytes queued for one client; also the largest single write(). */
#define BUTTER_HTTP_WRITE_WINDOW (1024u * 1024u)
/* The most v2 exchanges open at once on one node, by default. */
#define BUTTER_HTTP_MAX_STREAMS 32u
/* The most of those open at once from one client IP address, by default. */
#define BUTTER_HTTP_MAX_STREAMS_PER_ADDRESS 16u

typedef struct butter_http2_route {
  uint32_t struct_size; /* sizeof(butter_http2_route) as the plugin built it */
  uint32_t flags;       /* BUTTER_HTTP_STREAM_BODY or 0 */
  /* Streamed bodies only: the most bytes accepted (413 beyond); BUTTER_HTTP_UNLIMITED for no cap,
   * 0 for the node's max_body_bytes. Buffered bodies always use the node's max_body_bytes. */
  uint64_t max_body_bytes;
  void* user;
  /* [node] The request; everything is borrowed for the call. Required. */
  void (*request)(void* user, const butter_http_request* req);
  /* [node] The piece asked for with read_body(); borrowed for the call. Required with
   * BUTTER_HTTP_STREAM_BODY. */
  void (*body)(void* user, uint64_t token, butter_bytes chunk, int32_t last);
  /* [node] A write refused with BUTTER_E_AGAIN now fits. Optional. */
  void (*writable)(void* user, uint64_t token);
  /* [node] The exchange ended before the plugin finished it: the client went away, nothing moved
   * for the request timeout, the body broke its cap or was malformed, or the node is stopping.
   * The token is dead. `reason` is one line. Optional. */
  void (*closed)(void* user, uint64_t token, butter_str reason);
} butter_http2_route;

/* The smallest struct_size the host accepts: the first version's end (`closed`). Fields added
 * later go after it, so a plugin built against an older header keeps working. */
#define BUTTER_HTTP2_ROUTE_MIN_SIZE (offsetof(butter_http2_route, closed) + sizeof(((butter_http2_route*)0)->closed))

typedef struct butter_http_v2 {
  /* [node] As v1's route, with the callbacks and options of `route` (copied). BUTTER_E_INVALID
   * when the route is taken or a required callback is missing; BUTTER_E_UNAVAILABLE without an
   * HTTP endpoint. */
  butter_status (*route)(const butter_host* host, butter_str method, butter_str path, int32_t prefix,
                         const butter_http2_route* route, uint64_t* out_route_id, butter_error* err);
  void (*unroute)(const butter_host* host, uint64_t route_id);
  /* [node] One whole answer, as in v1; finishes the exchange. BUTTER_E_INVALID after begin(). */
  butter_status (*respond)(const butter_host* host, uint64_t reply_token, int32_t status, butter_str content_type,
                           butter_bytes body, const butter_http_header* headers, uint32_t header_count);
  butter_str (*base_url)(const butter_host* host);

  /* [node] Asks for the next piece of a streamed body (one `body` call follows). BUTTER_E_AGAIN
   * while a piece is already asked for, BUTTER_E_INVALID when the route does not stream its body,
   * after the last piece, or for max_bytes 0. */
  butter_status (*read_body)(const butter_host* host, uint64_t token, uint64_t max_bytes);
  /* [node] Sends the status line and headers (copied; CR/LF refused). `content_length` is the body's
   * exact length or BUTTER_HTTP_LENGTH_UNKNOWN (chunked). Content-Length, Transfer-Encoding and
   * Connection among `headers` are ignored: the host sets them. BUTTER_E_INVALID when called
   * twice or after respond(). */
  butter_status (*begin)(const butter_host* host, uint64_t token, int32_t status, butter_str content_type,
                         const butter_http_header* headers, uint32_t header_count, uint64_t content_length);
  /* [node] Queues `data` (copied) after begin(). BUTTER_E_AGAIN when it does not fit the window
   * (nothing queued; wait for `writable`), BUTTER_E_INVALID when larger than the window, beyond
   * the Content-Length or before begin(). */
  butter_status (*write)(const butter_host* host, uint64_t token, butter_bytes data);
  /* [node] Finishes the body once the queue is written; the exchange is over for the plugin. */
  butter_status (*end)(const butter_host* host, uint64_t token);
  /* [node] Closes the connection now; the exchange is over. Unknown tokens are ignored. */
  void (*abort)(const butter_host* host, uint64_t token);
} butter_http_v2;

#ifdef __cplusplus
}
#endif
#endif
