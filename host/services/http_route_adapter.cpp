#include "services/http_route_adapter.hpp"

#include "instance/plugin_instance.hpp"
#include "services/extensions.hpp"

#include <vector>

namespace butter::host {

butter_status check_route_args(PluginInstance& inst, butter_str method, butter_str path, RouteArgs& out,
                               butter_error* err) {
  if (!inst.core().http) return butter_error_set(err, BUTTER_E_UNAVAILABLE, "this node has no HTTP endpoint");
  out.method = copy_str(method);
  out.path = copy_str(path);
  if (out.method.empty() || out.path.empty() || out.path[0] != '/') {
    return butter_error_set(err, BUTTER_E_INVALID, "route needs a method and a path starting with /");
  }
  return BUTTER_OK;
}

butter_status adopt_route(PluginInstance& inst, const RouteArgs& args, std::uint64_t id, uint64_t* out_route_id,
                          butter_error* err) {
  if (id == 0) {
    const std::string msg = "route " + args.method + " " + args.path + " is already taken";
    return butter_error_set(err, BUTTER_E_INVALID, msg.c_str());
  }
  inst.core().http_routes[id] = inst.weak_from_this();
  inst.registrations().http_routes.insert(id);
  if (out_route_id) *out_route_id = id;
  return BUTTER_OK;
}

std::uint64_t hand_request(const std::weak_ptr<PluginInstance>& weak, const std::weak_ptr<NodeCore>& weak_core,
                           const HttpRequest& req, HttpSlot slot,
                           const std::function<void(std::uint64_t token)>& before,
                           const std::function<void(const butter_http_request&)>& call,
                           const std::function<void(HttpSlot)>& on_failure) {
  auto owner = weak.lock();
  auto core = weak_core.lock();
  if (!owner || !core || !owner->active()) return 0;
  const std::uint64_t token = core->fresh_id();
  slot.owner = owner;
  core->http_slots[token] = std::move(slot);
  owner->registrations().http_tokens.insert(token);
  if (before) before(token);
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
  const bool ok = owner->invoke("http handler", [&] { call(r); });
  if (!ok) {
    // The instance may have been isolated meanwhile, which already released the slot.
    auto it = core->http_slots.find(token);
    if (it != core->http_slots.end()) {
      HttpSlot failed = std::move(it->second);
      core->http_slots.erase(it);
      owner->registrations().http_tokens.erase(token);
      on_failure(std::move(failed));
    }
  }
  return token;
}

HttpResponse plugin_unavailable() {
  return HttpResponse{503, kTextPlain, "the plugin serving this route is unavailable\n", {}};
}

void end_orphaned_exchange(HttpExchange& exchange, const std::string& why) {
  // A respond() refused because the answer has begun: a 503 cannot follow a 200, so cut it.
  if (exchange.respond(HttpResponse{503, kTextPlain, why + "\n", {}})) exchange.abort();
}

void end_route_exchanges(NodeCore& core, PluginInstance& inst, std::uint64_t route_id) {
  std::vector<std::shared_ptr<HttpExchange>> orphans;
  auto& tokens = inst.registrations().http_tokens;
  for (auto it = core.http_slots.begin(); it != core.http_slots.end();) {
    if (it->second.exchange && it->second.route == route_id && it->second.owner.lock().get() == &inst) {
      orphans.push_back(std::move(it->second.exchange));
      tokens.erase(it->first);
      it = core.http_slots.erase(it);
    } else {
      ++it;
    }
  }
  // After the tables are consistent: ending one calls nothing of the plugin, but may run the
  // server's bookkeeping.
  for (auto& ex : orphans) end_orphaned_exchange(*ex, "the route was removed before the answer was complete");
}

}  // namespace butter::host
