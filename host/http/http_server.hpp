// The node's local HTTP endpoint (Boost.Beast), loopback by default: /status, /metrics and the
// routes plugins register through butter.http/1. HTTP/1.1 with keep-alive; request bodies are
// bounded; a malformed request gets 400 and closes that connection only.
// Threading: runs on the node's strand; handlers are invoked there.
#pragma once
#include "core/executor.hpp"
#include "core/status.hpp"

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

struct HttpServerOptions {
  std::string endpoint = "127.0.0.1:0";  // host:port; port 0 picks a free one
  std::size_t max_body_bytes = 1024 * 1024;  // larger bodies get 413 and the connection is closed
  std::size_t max_connections = 256;  // a connection over this is closed as soon as it is accepted
  // Bounds reading one request (and an idle keep-alive connection: it is closed), writing one
  // answer, and how long a handler may take to answer (then the client gets 504).
  std::chrono::milliseconds request_timeout{30000};
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

  // `method` "*" matches any method. With `prefix`, `path` matches itself and anything below
  // it ("/wiki" matches "/wiki" and "/wiki/x"). An exact route beats a prefix route; the longest
  // prefix wins. No match: 404; path matches but not the method: 405.
  // At the same path an explicit method beats "*"; HEAD is served by a GET route (without body).
  // Returns an id for remove_route; 0 when a route with the same method, path and kind (exact or
  // prefix) exists, when `path` does not start with '/', or after stop(). Thread-safe; a request
  // already dispatched to a removed route can still be answered.
  std::uint64_t add_route(const std::string& method, const std::string& path, bool prefix, HttpHandler handler);
  void remove_route(std::uint64_t id);

 private:
  std::unique_ptr<HttpServerImpl> impl_;
};

}  // namespace butter::host
