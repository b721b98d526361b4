// Route table of the HTTP endpoint: exact and prefix routes, by method. Thread-safe (a mutex), so
// routes may be added or removed while requests are in flight; a matched handler is shared, so a
// removal never pulls a handler from under a request that already matched it.
// Internal to the http area.
#pragma once
#include "http/http_server.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace butter::host::http_detail {

struct RouteMatch {
  enum class Kind { Found, NotFound, MethodNotAllowed };
  Kind kind = Kind::NotFound;
  std::shared_ptr<const HttpHandler> handler;               // set when Found by a plain route
  std::shared_ptr<const HttpStreamHandler> stream_handler;  // set when Found by a stream route
  StreamRouteOptions stream_options;
  std::string allow;  // "GET, HEAD, POST" when MethodNotAllowed
};

class Router {
 public:
  // 0 when the path is not absolute ("/..."), the method or handler is empty, or a route with the
  // same method, path and kind (exact or prefix) exists.
  std::uint64_t add(const std::string& method, const std::string& path, bool prefix, HttpHandler handler);
  std::uint64_t add_stream(const std::string& method, const std::string& path, bool prefix, StreamRouteOptions options,
                           HttpStreamHandler handler);
  // false when no route has this id.
  bool remove(std::uint64_t id);
  void clear();
  std::size_t size() const;

  // The most specific route matching both path and method: an exact route first, then prefix
  // routes longest first; at the same path, an explicit method beats "*". HEAD falls back to GET.
  RouteMatch match(const std::string& method, const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::string path;
    bool prefix = false;
    std::shared_ptr<const HttpHandler> handler;
    std::shared_ptr<const HttpStreamHandler> stream_handler;
    StreamRouteOptions stream_options;
  };
  std::uint64_t insert(Route route);
  mutable std::mutex mu_;
  std::map<std::uint64_t, Route> routes_;
  std::uint64_t next_id_ = 1;
};

// Whether prefix route `prefix` covers `path`: itself and anything below it ("/wiki" covers
// "/wiki" and "/wiki/x", not "/wikipedia"; "/" and "/wiki/" cover everything starting with them).
bool prefix_covers(const std::string& prefix, const std::string& path);

}  // namespace butter::host::http_detail
