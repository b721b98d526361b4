// The node's local HTTP endpoint (Boost.Beast), loopback by default: /status, /metrics and the
// routes plugins register through butter.http/1. HTTP/1.1 with keep-alive; request bodies are
// bounded; a malformed request gets 400 and closes that connection only.
// Before any route runs, the server refuses what web pages could make a browser send it: a Host
// that does not name this endpoint (421, DNS rebinding) and a state-changing request from another
// origin (403); see request_guard.hpp. Every answer carries X-Frame-Options, X-Content-Type-Options
// and a Content-Security-Policy unless the handler set its own (security_headers.hpp).
// Threading: runs on the node's strand; handlers are invoked there.
#pragma once
#include "core/executor.hpp"
#include "core/status.hpp"
#include "http/http_exchange.hpp"

#include <butter/ext/http.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace butter::host {

class HttpServerImpl;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/status?x=1"
  std::string path;    // "/status" (percent-decoding is left to the handler)
  std::string query;   // "x=1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote;  // "127.0.0.1:53422"
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Call exactly once, on the node's strand. Calling it after the server stopped is harmless.
using HttpResponder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(const HttpRequest&, HttpResponder)>;
// A stream route's handler (http_exchange.hpp): `request.body` is empty when the route streams its
// body. The exchange is shared: keep it to answer later.
using HttpStreamHandler = std::function<void(const HttpRequest&, std::shared_ptr<HttpExchange>)>;

struct HttpServerOptions {
  std::string endpoint = "127.0.0.1:0";               // host:port; port 0 picks a free one
  std::size_t max_body_bytes = BUTTER_HTTP_MAX_BODY;  // larger bodies get 413 and the connection is closed (ext/http.h)
  // At this many open connections a new one makes room by closing the oldest that is idle between
  // requests or still sending its request (eviction.hpp); when all are being answered, the new one
  // is closed as soon as it is accepted.
  std::size_t max_connections = 256;
  // The whole request head (request line and headers) must arrive within this from the
  // connection's accept, or from the first byte of a later request on it: a deadline for the head,
  // not reset by each byte, so a client dribbling bytes cannot hold a connection.
  std::chrono::milliseconds header_timeout{10000};
  // A keep-alive connection with no new request for this long is closed.
  std::chrono::milliseconds idle_timeout{10000};
  // Bounds reading one request body, writing one answer, and how long a handler may take to
  // answer (then the client gets 504). For stream routes it is a minimum rate: each piece of a
  // streamed body the handler asks for (up to 64 KiB, or the body's end) must arrive whole within
  // it, and each piece of a streamed answer (up to 64 KiB, or all that is queued) must be taken.
  std::chrono::milliseconds request_timeout{30000};
  // Host names (DNS names or IP addresses) accepted in Host and Origin besides the bound address,
  // localhost, 127.0.0.1 and [::1]: e.g. the machine's name when bound to 0.0.0.0.
  std::vector<std::string> allowed_hosts;
  // Stream routes' exchanges open at once; one more request to a stream route gets 503.
  std::size_t max_streams = 32;
  // Of those, open at once from one client IP address (one more from it gets 503), so that one
  // client cannot take every slot.
  std::size_t max_streams_per_address = 16;
};

// What the server refused and closed, since it was made.
struct HttpServerStats {
  std::uint64_t refused_host = 0;                 // 421: Host does not name the endpoint
  std::uint64_t refused_origin = 0;               // 403: state change with another Origin
  std::uint64_t refused_fetch_site = 0;           // 403: state change with Sec-Fetch-Site not same-origin/none
  std::uint64_t connections_evicted = 0;          // closed to admit a new one at max_connections
  std::uint64_t connections_refused = 0;          // closed at accept: max_connections, all busy
  std::uint64_t header_timeouts = 0;              // closed: request head not complete within header_timeout
  std::uint64_t idle_timeouts = 0;                // closed: keep-alive idle for idle_timeout
  std::uint64_t streams_refused = 0;              // 503: max_streams exchanges already open
  std::uint64_t streams_refused_per_address = 0;  // 503: max_streams_per_address open from that address
  std::uint64_t streams_too_slow = 0;             // exchanges closed: a piece not taken or sent within request_timeout
  std::uint64_t stream_timeouts = 0;              // exchanges closed: nothing moved for request_timeout
  std::uint64_t streams_closed_early = 0;         // exchanges the client left (or that broke) unfinished
  // Reads that took streamed request bodies, and the bytes they took: bytes / reads is the size of
  // a body read (Beast reads no more than its buffer's spare room, so this shows that room).
  std::uint64_t stream_body_reads = 0, stream_body_bytes = 0;
};

class HttpServer {
 public:
  HttpServer(IoContext& io, Strand strand, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. Errors: BUTTER_E_INVALID (not host:port, unresolvable host,
  // started twice), BUTTER_E_UNAVAILABLE ("cannot listen on 127.0.0.1:8080: Address already in use").
  Error start();
  // Closes the listener and every connection; no handler is invoked afterwards and all routes are
  // dropped. Idempotent, also called by the destructor. From another thread than the strand's, the
  // sockets are closed when the strand next runs.
  void stop();
  // "http://127.0.0.1:8080" once started.
  std::string url() const;
  // Thread-safe.
  HttpServerStats stats() const;
  const HttpServerOptions& options() const;

  // `method` "*" matches any method. With `prefix`, `path` matches itself and anything below
  // it ("/wiki" matches "/wiki" and "/wiki/x"). An exact route beats a prefix route; the longest
  // prefix wins. No match: 404; path matches but not the method: 405.
  // At the same path an explicit method beats "*"; HEAD is served by a GET route (without body).
  // Returns an id for remove_route; 0 when a route with the same method, path and kind (exact or
  // prefix) exists, when `path` does not start with '/', or after stop(). Thread-safe; a request
  // already dispatched to a removed route can still be answered.
  std::uint64_t add_route(const std::string& method, const std::string& path, bool prefix, HttpHandler handler);
  void remove_route(std::uint64_t id);
  // A route whose handler gets an HttpExchange (streamed body and/or response); same matching
  // rules and ids as add_route. Request timeouts become progress deadlines: an exchange is closed
  // only when nothing moved for request_timeout.
  std::uint64_t add_stream_route(const std::string& method, const std::string& path, bool prefix,
                                 StreamRouteOptions options, HttpStreamHandler handler);

 private:
  std::unique_ptr<HttpServerImpl> impl_;
};

}  // namespace butter::host
