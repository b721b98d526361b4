#include "http/router.hpp"

#include <set>
#include <vector>

namespace butter::host::http_detail {

bool prefix_covers(const std::string& prefix, const std::string& path) {
  if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  if (path.size() == prefix.size()) return true;
  return prefix.back() == '/' || path[prefix.size()] == '/';
}

std::uint64_t Router::add(const std::string& method, const std::string& path, bool prefix, HttpHandler handler) {
  if (!handler) return 0;
  return insert(Route{method, path, prefix, std::make_shared<const HttpHandler>(std::move(handler)), nullptr, {}});
}

std::uint64_t Router::add_stream(const std::string& method, const std::string& path, bool prefix,
                                 StreamRouteOptions options, HttpStreamHandler handler) {
  if (!handler) return 0;
  return insert(
      Route{method, path, prefix, nullptr, std::make_shared<const HttpStreamHandler>(std::move(handler)), options});
}

std::uint64_t Router::insert(Route route) {
  if (route.method.empty() || route.path.empty() || route.path.front() != '/') return 0;
  std::lock_guard lock(mu_);
  for (const auto& [id, r] : routes_) {
    if (r.method == route.method && r.path == route.path && r.prefix == route.prefix) return 0;
  }
  std::uint64_t id = next_id_++;
  routes_.emplace(id, std::move(route));
  return id;
}

bool Router::remove(std::uint64_t id) {
  std::lock_guard lock(mu_);
  return routes_.erase(id) > 0;
}

void Router::clear() {
  std::lock_guard lock(mu_);
  routes_.clear();
}

std::size_t Router::size() const {
  std::lock_guard lock(mu_);
  return routes_.size();
}

namespace {

// How well a route's method fits the request's: 0 not at all, higher is better.
int method_fit(const std::string& route_method, const std::string& method) {
  if (route_method == method) return 3;
  if (method == "HEAD" && route_method == "GET") return 2;
  if (route_method == "*") return 1;
  return 0;
}

}  // namespace

RouteMatch Router::match(const std::string& method, const std::string& path) const {
  std::lock_guard lock(mu_);
  // Specificity of a path match: exact routes above every prefix, longer prefixes above shorter.
  const Route* best = nullptr;
  std::size_t best_rank = 0;
  int best_fit = 0;
  bool path_matched = false;
  std::set<std::string> allowed;
  for (const auto& [id, r] : routes_) {
    std::size_t rank = 0;
    if (!r.prefix) {
      if (r.path != path) continue;
      rank = static_cast<std::size_t>(-1);
    } else {
      if (!prefix_covers(r.path, path)) continue;
      rank = r.path.size() + 1;
    }
    path_matched = true;
    allowed.insert(r.method);
    int fit = method_fit(r.method, method);
    if (fit == 0) continue;
    if (!best || rank > best_rank || (rank == best_rank && fit > best_fit)) {
      best = &r;
      best_rank = rank;
      best_fit = fit;
    }
  }
  RouteMatch m;
  if (best) {
    m.kind = RouteMatch::Kind::Found;
    m.handler = best->handler;
    m.stream_handler = best->stream_handler;
    m.stream_options = best->stream_options;
  } else if (path_matched) {
    m.kind = RouteMatch::Kind::MethodNotAllowed;
    if (allowed.count("GET")) allowed.insert("HEAD");
    for (const auto& a : allowed) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += a;
    }
  }
  return m;
}

}  // namespace butter::host::http_detail
