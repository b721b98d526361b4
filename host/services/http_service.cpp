// butter.http/1: plugin routes on the node's HTTP endpoint; answers may come later.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"
#include "services/http_route_adapter.hpp"

namespace butter::host {
namespace {

butter_status http_route(const butter_host* host, butter_str method, butter_str path, int32_t prefix,
                         butter_http_handler_fn fn, void* user, uint64_t* out_route_id, butter_error* err) {
  if (!fn) return butter_error_set(err, BUTTER_E_INVALID, "missing callback");
  return guarded_reporting<Caller::Active>(host, "http.route", err, BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    RouteArgs args;
    if (butter_status s = check_route_args(inst, method, path, args, err)) return s;
    std::weak_ptr<PluginInstance> weak = inst.weak_from_this();
    std::weak_ptr<NodeCore> weak_core = inst.core().weak_from_this();
    std::uint64_t route = inst.core().http->add_route(
        args.method, args.path, prefix != 0,
        [weak, weak_core, fn, user](const HttpRequest& req, const HttpResponder& respond) {
          HttpSlot slot;
          slot.responder = respond;
          const std::uint64_t token = hand_request(
              weak, weak_core, req, std::move(slot), nullptr, [&](const butter_http_request& r) { fn(user, &r); },
              [](const HttpSlot& failed) {
                failed.responder(HttpResponse{
                    500, "text/plain; charset=utf-8", "the plugin failed while handling the request\n", {}});
              });
          if (token == 0) respond(plugin_unavailable());
        });
    return adopt_route(inst, args, route, out_route_id, err);
  });
}

void http_unroute(const butter_host* host, uint64_t route_id) {
  guarded_void<Caller::NodeThread>(host, "http.unroute", [&](PluginInstance& inst) {
    NodeCore& core = inst.core();
    auto it = core.http_routes.find(route_id);
    if (it == core.http_routes.end() || it->second.lock().get() != &inst) return;
    if (core.http) core.http->remove_route(route_id);
    core.http_routes.erase(it);
    inst.registrations().http_routes.erase(route_id);
    // butter.http/2: the route's callbacks may be freed once this returns (the C++ wrapper does).
    end_route_exchanges(core, inst, route_id);
  });
}

butter_status http_respond(const butter_host* host, uint64_t reply_token, int32_t status, butter_str content_type,
                           butter_bytes body, const butter_http_header* headers, uint32_t header_count) {
  return guarded<Caller::NodeThread>(host, "http.respond", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    NodeCore& core = inst.core();
    auto it = core.http_slots.find(reply_token);
    if (it == core.http_slots.end() || it->second.owner.lock().get() != &inst) return BUTTER_E_NOT_FOUND;
    if (status < 100 || status > 599) return BUTTER_E_INVALID;
    HttpResponse res;
    res.status = status;
    std::string ct = copy_str(content_type);
    if (!ct.empty()) res.content_type = ct;
    if (body.data) res.body.assign(reinterpret_cast<const char*>(body.data), body.len);
    for (uint32_t i = 0; headers && i < header_count; ++i) {
      std::string k = copy_str(headers[i].name), v = copy_str(headers[i].value);
      // Header injection: refuse CR/LF in names and values.
      if (k.find_first_of("\r\n") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) {
        return BUTTER_E_INVALID;
      }
      res.headers.emplace_back(std::move(k), std::move(v));
    }
    auto responder = std::move(it->second.responder);
    core.http_slots.erase(it);
    inst.registrations().http_tokens.erase(reply_token);
    responder(std::move(res));
    return BUTTER_OK;
  });
}

butter_str http_base_url(const butter_host* host) {
  return guarded_value<Caller::NodeThread>(host, "http.base_url", butter_str{"", 0}, [&](PluginInstance& inst) {
    if (!inst.core().http) return butter_str{"", 0};
    std::string& s = inst.scratch(3);
    s = inst.core().http->url();
    return str_of(s);
  });
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
  // A copy: ending an exchange must not pull the set from under the loop.
  const auto tokens = instance.registrations().http_tokens;
  for (auto token : tokens) {
    auto it = core.http_slots.find(token);
    if (it == core.http_slots.end()) continue;
    auto responder = std::move(it->second.responder);
    auto exchange = std::move(it->second.exchange);
    core.http_slots.erase(it);
    if (exchange) {
      end_orphaned_exchange(*exchange, "the plugin stopped before answering");
      continue;
    }
    responder(HttpResponse{503, "text/plain; charset=utf-8", "the plugin stopped before answering\n", {}});
  }
}

const ServiceModule& http_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_HTTP, &kHttp}};
  static constexpr ServiceModule kModule{kExtensions, &release_http};
  return kModule;
}

}  // namespace butter::host
