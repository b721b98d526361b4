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
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_connections = 256;
  std::chrono::milliseconds request_timeout{30000};
};

class HttpServer {
 public:
  HttpServer(IoContext& io, Strand strand, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Error start();
  void stop();
  // "http://127.0.0.1:8080" once started.
  std::string url() const;

  // `method` "*" matches any method. With `prefix`, `path` matches itself and anything below
  // it ("/wiki" matches "/wiki" and "/wiki/x"). An exact route beats a prefix route; the longest
  // prefix wins. No match: 404; path matches but not the method: 405.
  // Returns an id for remove_route; 0 when a route with the same method and path exists.
  std::uint64_t add_route(const std::string& method, const std::string& path, bool prefix, HttpHandler handler);
  void remove_route(std::uint64_t id);

 private:
  std::unique_ptr<HttpServerImpl> impl_;
};

}  // namespace butter::host
