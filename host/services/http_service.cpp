// butter.http/1: plugin routes on the node's HTTP endpoint; answers may come later.
#include "node/node_core.hpp"
#include "node/plugin_instance.hpp"
#include "services/extensions.hpp"

namespace butter::host {
namespace {

std::string to_string(butter_str s) { return s.data ? std::string(s.data, s.len) : std::string(); }
butter_str str_of(const std::string& s) { return butter_str{s.data(), s.size()}; }

butter_status http_route(const butter_host* host, butter_str method, butter_str path, int32_t prefix,
                         butter_http_handler_fn fn, void* user, uint64_t* out_route_id, butter_error* err) {
  auto* inst = node_instance_of(host, "http.route");
  if (!inst || !fn) return butter_error_set(err, BUTTER_E_INVALID, "missing callback");
  if (!inst->active()) return butter_error_set(err, BUTTER_E_UNAVAILABLE, "the instance is not active");
  NodeCore& core = inst->core();
  if (!core.http) return butter_error_set(err, BUTTER_E_UNAVAILABLE, "this node has no HTTP endpoint");
  std::string m = to_string(method), p = to_string(path);
  if (m.empty() || p.empty() || p[0] != '/') return butter_error_set(err, BUTTER_E_INVALID, "route needs a method and a path starting with /");
  try {
    std::weak_ptr<PluginInstance> weak = inst->weak_from_this();
    std::weak_ptr<NodeCore> weak_core = core.weak_from_this();
    std::uint64_t route = core.http->add_route(m, p, prefix != 0, [weak, weak_core, fn, user](const HttpRequest& req,
                                                                                              HttpResponder respond) {
      auto owner = weak.lock();
      auto core = weak_core.lock();
      if (!owner || !core || !owner->active()) {
        respond(HttpResponse{503, "text/plain; charset=utf-8", "the plugin serving this route is unavailable\n", {}});
        return;
      }
      std::uint64_t token = core->fresh_id();
      core->http_slots[token] = HttpSlot{owner, std::move(respond), nullptr};
      owner->registrations().http_tokens.insert(token);
      std::vector<butter_http_header> headers;
      headers.reserve(req.headers.size());
      for (const auto& [k, v] : req.headers) headers.push_back({str_of(k), str_of(v)});
      butter_http_request r{};
      r.struct_size = sizeof r;
      r.method = str_of(req.method);
      r.path = str_of(req.path);
      r.query = str_of(req.query);
      r.body = butter_bytes{reinterpret_cast<const std::uint8_t*>(req.body.data()), req.body.size()};
      r.header_count = static_cast<uint32_t>(headers.size());
      r.headers = headers.data();
      r.reply_token = token;
      bool ok = owner->invoke("http handler", [&] { fn(user, &r); });
      if (!ok) {
        auto it = core->http_slots.find(token);
        if (it != core->http_slots.end()) {
          auto responder = std::move(it->second.responder);
          core->http_slots.erase(it);
          responder(HttpResponse{500, "text/plain; charset=utf-8", "the plugin failed while handling the request\n", {}});
        }
      }
    });
    if (route == 0) {
      std::string msg = "route " + m + " " + p + " is already taken";
      return butter_error_set(err, BUTTER_E_INVALID, msg.c_str());
    }
    core.http_routes[route] = inst->weak_from_this();
    inst->registrations().http_routes.insert(route);
    if (out_route_id) *out_route_id = route;
    return BUTTER_OK;
  } catch (const std::exception& e) {
    return butter_error_set(err, BUTTER_E_INTERNAL, e.what());
  }
}

void http_unroute(const butter_host* host, uint64_t route_id) {
  auto* inst = node_instance_of(host, "http.unroute");
  if (!inst) return;
  NodeCore& core = inst->core();
  auto it = core.http_routes.find(route_id);
  if (it == core.http_routes.end() || it->second.lock().get() != inst) return;
  if (core.http) core.http->remove_route(route_id);
  core.http_routes.erase(it);
  inst->registrations().http_routes.erase(route_id);
}

butter_status http_respond(const butter_host* host, uint64_t reply_token, int32_t status, butter_str content_type,
                           butter_bytes body, const butter_http_header* headers, uint32_t header_count) {
  auto* inst = node_instance_of(host, "http.respond");
  if (!inst) return BUTTER_E_INVALID;
  NodeCore& core = inst->core();
  auto it = core.http_slots.find(reply_token);
  if (it == core.http_slots.end() || it->second.owner.lock().get() != inst) return BUTTER_E_NOT_FOUND;
  if (status < 100 || status > 599) return BUTTER_E_INVALID;
  try {
    HttpResponse res;
    res.status = status;
    std::string ct = to_string(content_type);
    if (!ct.empty()) res.content_type = ct;
    if (body.data) res.body.assign(reinterpret_cast<const char*>(body.data), body.len);
    for (uint32_t i = 0; headers && i < header_count; ++i) {
      std::string k = to_string(headers[i].name), v = to_string(headers[i].value);
      // Header injection: refuse CR/LF in names and values.
      if (k.find_first_of("\r\n") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) {
        return BUTTER_E_INVALID;
      }
      res.headers.emplace_back(std::move(k), std::move(v));
    }
    auto responder = std::move(it->second.responder);
    core.http_slots.erase(it);
    inst->registrations().http_tokens.erase(reply_token);
    responder(std::move(res));
    return BUTTER_OK;
  } catch (...) {
    return BUTTER_E_INTERNAL;
  }
}

butter_str http_base_url(const butter_host* host) {
  auto* inst = node_instance_of(host, "http.base_url");
  if (!inst || !inst->core().http) return {"", 0};
  std::string& s = inst->scratch(3);
  s = inst->core().http->url();
  return str_of(s);
}

const butter_http_v1 kHttp = {http_route, http_unroute, http_respond, http_base_url};

}  // namespace

const butter_http_v1* http_extension() { return &kHttp; }

void release_http(PluginInstance& instance) {
  NodeCore& core = instance.core();
  for (auto id : instance.registrations().http_routes) {
    if (core.http) core.http->remove_route(id);
    core.http_routes.erase(id);
  }
  for (auto token : instance.registrations().http_tokens) {
    auto it = core.http_slots.find(token);
    if (it == core.http_slots.end()) continue;
    auto responder = std::move(it->second.responder);
    auto exchange = std::move(it->second.exchange);
    core.http_slots.erase(it);
    // A butter.http/2 answer already begun cannot become a 503: cut it.
    if (exchange) {
      if (exchange->respond(HttpResponse{503, "text/plain; charset=utf-8", "the plugin stopped before answering\n", {}})) {
        exchange->abort();
      }
      continue;
    }
    responder(HttpResponse{503, "text/plain; charset=utf-8", "the plugin stopped before answering\n", {}});
  }
}

}  // namespace butter::host
