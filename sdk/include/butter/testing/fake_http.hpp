// butter/testing/fake_http.hpp — the fake host's butter.http/1: routes the test calls by hand
// (call()), responses recorded by token. Routing and refusals follow ext/http.h: the path decides
// first (exact beats prefix, the longest prefix wins), then the method (its own, then GET for a
// HEAD, then "*"); a body over BUTTER_HTTP_MAX_BODY, a path with no route and a method no route
// on the path takes are answered by the "node" (413, 404, 405) without calling a handler. Part of
// fake_host.hpp.
#pragma once

#include <butter/testing/fake_core.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace butter::testing {

template <class Host>
class FakeHttp {
 public:
  struct RouteRec {
    std::string method, path;
    std::int32_t prefix;
    butter_http_handler_fn fn;
    void* user;
  };
  std::map<std::uint64_t, RouteRec> routes;
  struct HttpResp {
    std::uint64_t token;
    std::int32_t status;
    std::string content_type, body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::vector<HttpResp> http_responses;  // every respond() accepted, in order
  // What the node itself answered the last call() that returned 0: 404 (no route on the path),
  // 405 (routes on the path, none for the method) or 413 (body over BUTTER_HTTP_MAX_BODY).
  std::int32_t refused_status = 0;

  // Calls the route the node would choose for method and path; returns the reply token, or 0
  // when the node answers by itself (refused_status says how).
  std::uint64_t call(std::string_view method, std::string_view path, std::string_view query = {},
                     std::string_view body = {}, const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    refused_status = 0;
    if (body.size() > BUTTER_HTTP_MAX_BODY) return refused_status = 413, 0;
    RouteRec* r = choose(method, path);
    if (!r) return 0;
    std::vector<butter_http_header> hs;
    hs.reserve(headers.size());
    for (const auto& [n, v] : headers) hs.push_back({str(n), str(v)});
    butter_http_request q{};
    q.struct_size = sizeof q;
    q.method = str(method);
    q.path = str(path);
    q.query = str(query);
    q.body = bytes(body);
    q.header_count = static_cast<std::uint32_t>(hs.size());
    q.headers = hs.empty() ? nullptr : hs.data();
    q.reply_token = static_cast<Host&>(*this).issue_token();
    r->fn(r->user, &q);
    return q.reply_token;
  }
  const HttpResp* response_for(std::uint64_t token) const {
    for (const auto& r : http_responses)
      if (r.token == token) return &r;
    return nullptr;
  }

 protected:
  static const void* extension(std::string_view id) {
    static const butter_http_v1 vt = {&route, &unroute, &respond, &base_url};
    return id == BUTTER_EXT_HTTP ? &vt : nullptr;
  }

 private:
  // The route ext/http.h's rules pick; nullptr with refused_status 404 or 405 when none.
  RouteRec* choose(std::string_view method, std::string_view path) {
    // The path first: an exact route ranks above every prefix route, a longer prefix above a
    // shorter one (0: the route does not match the path).
    auto rank = [&](const RouteRec& r) -> std::size_t {
      if (!r.prefix) return r.path == path ? SIZE_MAX : 0;
      return path.substr(0, r.path.size()) == r.path ? r.path.size() + 1 : 0;
    };
    std::size_t best = 0;
    for (auto& [id, r] : routes) best = std::max(best, rank(r));
    if (best == 0) return refused_status = 404, nullptr;
    // Then the method among the routes of that rank: its own, GET for a HEAD, "*".
    RouteRec *own = nullptr, *get_for_head = nullptr, *any = nullptr;
    for (auto& [id, r] : routes) {
      if (rank(r) != best) continue;
      if (r.method == method)
        own = &r;
      else if (method == "HEAD" && r.method == "GET")
        get_for_head = &r;
      else if (r.method == "*")
        any = &r;
    }
    RouteRec* chosen = own ? own : get_for_head ? get_for_head : any;
    if (!chosen) refused_status = 405;
    return chosen;
  }

  static butter_status route(const butter_host* h, butter_str method, butter_str path, std::int32_t prefix,
                             butter_http_handler_fn fn, void* user, std::uint64_t* out_id, butter_error* err) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return butter_error_set(err, BUTTER_E_INVALID, "called off the node's thread");
    for (auto& [id, r] : self.routes)
      if (r.method == to_string(method) && r.path == to_string(path) && (r.prefix != 0) == (prefix != 0))
        return butter_error_set(err, BUTTER_E_INVALID, "route taken");
    const std::uint64_t id = self.next_id();
    self.routes[id] = {to_string(method), to_string(path), prefix, fn, user};
    if (out_id) *out_id = id;
    return BUTTER_OK;
  }
  static void unroute(const butter_host* h, std::uint64_t id) {
    Host& self = Host::of(h);
    if (self.on_node_thread()) self.routes.erase(id);
  }
  static butter_status respond(const butter_host* h, std::uint64_t token, std::int32_t status, butter_str content_type,
                               butter_bytes body, const butter_http_header* headers, std::uint32_t n) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return BUTTER_E_INVALID;
    if (!self.retire_token(token)) return BUTTER_E_NOT_FOUND;
    HttpResp r{token, status, to_string(content_type), to_string(body), {}};
    for (std::uint32_t i = 0; i < n; ++i)
      r.headers.emplace_back(to_string(headers[i].name), to_string(headers[i].value));
    self.http_responses.push_back(std::move(r));
    return BUTTER_OK;
  }
  static butter_str base_url(const butter_host*) { return str("http://127.0.0.1:8700"); }
};

}  // namespace butter::testing
