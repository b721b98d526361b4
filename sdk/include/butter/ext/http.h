/* butter/ext/http.h — "butter.http/1": routes on the node's local HTTP endpoint, so that a dapp
 * serves its web page and API next to /status and /metrics.
 *
 * What the host does around a handler (defaults; the node's [http] settings may change them):
 *  - A request body over 1 MiB (BUTTER_HTTP_MAX_BODY) is answered 413 before any handler sees it,
 *    and the connection is closed. The whole body is read before the handler is called.
 *  - A request the handler does not answer within 30 s (the request timeout) gets 504; a later
 *    respond() for it returns BUTTER_E_NOT_FOUND. Requests still unanswered when the instance
 *    stops (or is swapped, or isolated) get 503. A handler that needs longer answers at once
 *    (e.g. 202 with a ticket to poll).
 *  - Method and path are matched before the handler: a path with no route is 404, a path whose
 *    routes take other methods is 405 with Allow. */
#ifndef BUTTER_EXT_HTTP_H
#define BUTTER_EXT_HTTP_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_HTTP "butter.http/1"
#define BUTTER_HTTP_MAX_BODY (1024u * 1024u) /* request body bytes by default ([http] may change it) */

typedef struct butter_http_header {
  butter_str name;
  butter_str value;
} butter_http_header;

typedef struct butter_http_request {
  uint32_t struct_size; /* sizeof(butter_http_request) as the host built it */
  butter_str method;    /* "GET" */
  butter_str path;      /* "/wiki/page", as sent: NOT percent-decoded */
  butter_str query;     /* "q=x%20y" without '?', as sent: NOT percent-decoded ('+' stays '+') */
  butter_bytes body;
  uint32_t header_count;
  const butter_http_header* headers;
  uint64_t reply_token; /* pass to respond() exactly once, now or later */
} butter_http_request;

/* [node] A request for one of this instance's routes. Everything is borrowed for the call. */
typedef void (*butter_http_handler_fn)(void* user, const butter_http_request* req);

typedef struct butter_http_v1 {
  /* [node] Routes `method` ("GET", "POST", "*" for any) on `path` to fn. With `prefix` non-zero
   * the route also matches everything below `path`. The path decides first: exact beats prefix,
   * the longest prefix wins; among routes on that same path, the request's own method beats a
   * GET route serving a HEAD request, which beats "*". `out_route_id` may be NULL (the route then
   * lives until the instance stops). BUTTER_E_INVALID when the route is taken; BUTTER_E_UNAVAILABLE
   * when the node has no HTTP endpoint. */
  butter_status (*route)(const butter_host* host, butter_str method, butter_str path, int32_t prefix,
                         butter_http_handler_fn fn, void* user, uint64_t* out_route_id, butter_error* err);
  /* [node] Removes a route. Unknown ids are ignored. */
  void (*unroute)(const butter_host* host, uint64_t route_id);
  /* [node] Answers a request. `headers` may be NULL when header_count is 0. Everything is copied.
   * BUTTER_E_NOT_FOUND when the token was used or the client is gone. */
  butter_status (*respond)(const butter_host* host, uint64_t reply_token, int32_t status, butter_str content_type,
                           butter_bytes body, const butter_http_header* headers, uint32_t header_count);
  /* [node] "http://127.0.0.1:8700", or empty when the node has no HTTP endpoint. Valid for the
   * current callback only. */
  butter_str (*base_url)(const butter_host* host);
} butter_http_v1;

#ifdef __cplusplus
}
#endif
#endif
