// What butter.http/1 and butter.http/2 share between a plugin's route and the HTTP server: the
// checks before a route is added, the request handed to the plugin as a butter_http_request under
// a fresh reply token (kept in NodeCore::http_slots until answered), the route's bookkeeping, and
// how an exchange the plugin can no longer finish is ended (503 before the answer began, the
// connection cut after). Host-internal; every function runs on the node's strand.
#pragma once
#include "http/http_server.hpp"
#include "instance/node_core.hpp"

#include <butter/ext/http.h>

#include <cstdint>
#include <functional>
#include <string>

namespace butter::host {

class PluginInstance;

// The arguments of a route call, checked once the caller is (an active instance on the node's
// thread, services/entry_point.hpp): the node has an HTTP endpoint, the method is set and the
// path absolute. BUTTER_OK, or the error set in `err`.
struct RouteArgs {
  std::string method;
  std::string path;
};
butter_status check_route_args(PluginInstance& inst, butter_str method, butter_str path, RouteArgs& out,
                               butter_error* err);

// Registers route `id` (from HttpServer::add_route/add_stream_route) as the instance's, or reports
// the route taken when `id` is 0.
butter_status adopt_route(PluginInstance& inst, const RouteArgs& args, std::uint64_t id, uint64_t* out_route_id,
                          butter_error* err);

// Hands `req` to the plugin: a fresh token with `slot` in http_slots, the request as a
// butter_http_request, `call` invoked through the instance. Returns the token, or 0 when the
// plugin is gone or inactive (then nothing was registered). When the plugin fails inside the call
// and has not answered, the slot is removed and `on_failure` gets it.
std::uint64_t hand_request(const std::weak_ptr<PluginInstance>& weak, const std::weak_ptr<NodeCore>& weak_core,
                           const HttpRequest& req, HttpSlot slot,
                           const std::function<void(std::uint64_t token)>& before,
                           const std::function<void(const butter_http_request&)>& call,
                           const std::function<void(HttpSlot)>& on_failure);

// The 503 a route answers when its plugin is gone.
HttpResponse plugin_unavailable();

// Ends an exchange its plugin can no longer finish (it stopped, or removed the route): 503 when
// no answer has begun, otherwise the connection is closed (the client sees a truncated body).
// No callback of the plugin follows.
void end_orphaned_exchange(HttpExchange& exchange, const std::string& why);

// Ends the open exchanges of route `route_id` (see end_orphaned_exchange) and forgets their
// tokens: after unroute, no callback of that route reaches the plugin, which may free what the
// callbacks point to.
void end_route_exchanges(NodeCore& core, PluginInstance& inst, std::uint64_t route_id);

}  // namespace butter::host
