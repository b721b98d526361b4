// butter.http/2: butter.http/1 plus streamed request bodies and streamed answers (ext/http2.h).
// A v2 route is an HttpServer stream route; each request's exchange sits in core.http_slots under
// its reply token (so v1's respond works on it too) until the plugin finishes it or the server
// reports it closed. The plugin is called through its instance (invoke), never after it stopped.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"
#include "services/http_route_adapter.hpp"

#include <algorithm>
#include <cstring>

namespace butter::host {

// The host's limits are the ones the header promises plugins.
static_assert(HttpExchange::kMaxChunk == BUTTER_HTTP_MAX_CHUNK);
static_assert(HttpExchange::kWriteWindow == BUTTER_HTTP_WRITE_WINDOW);
static_assert(HttpExchange::kUnknownLength == BUTTER_HTTP_LENGTH_UNKNOWN);

namespace {

// The plugin's callbacks for one route, copied from its butter_http2_route.
struct RouteCallbacks {
  void* user = nullptr;
  void (*request)(void*, const butter_http_request*) = nullptr;
  void (*body)(void*, uint64_t, butter_bytes, int32_t) = nullptr;
  void (*writable)(void*, uint64_t) = nullptr;
  void (*closed)(void*, uint64_t, butter_str) = nullptr;
  std::uint64_t route_id = 0;  // set once the server gave the route its id
};

// Forgets the token: the exchange is over for the plugin.
void forget(NodeCore& core, PluginInstance& owner, std::uint64_t token) {
  core.http_slots.erase(token);
  owner.registrations().http_tokens.erase(token);
}

// The events of one exchange, turned into calls of the plugin's callbacks.
HttpStreamEvents events_for(const std::shared_ptr<const RouteCallbacks>& cb, const std::weak_ptr<PluginInstance>& weak,
                            const std::weak_ptr<NodeCore>& weak_core, const std::weak_ptr<HttpExchange>& weak_ex,
                            std::uint64_t token) {
  HttpStreamEvents ev;
  // A plugin that is gone cannot be told anything: the exchange is aborted instead.
  auto abort_if_gone = [weak_ex] {
    if (auto ex = weak_ex.lock()) ex->abort();
  };
  if (cb->body) {
    ev.on_body = [cb, weak, token, abort_if_gone](std::string_view chunk, bool last) {
      auto owner = weak.lock();
      if (!owner || !owner->active()) return abort_if_gone();
      butter_bytes b{reinterpret_cast<const std::uint8_t*>(chunk.data()), chunk.size()};
      owner->invoke("http body", [&] { cb->body(cb->user, token, b, last ? 1 : 0); });
    };
  }
  if (cb->writable) {
    ev.on_writable = [cb, weak, token, abort_if_gone] {
      auto owner = weak.lock();
      if (!owner || !owner->active()) return abort_if_gone();
      owner->invoke("http writable", [&] { cb->writable(cb->user, token); });
    };
  }
  ev.on_closed = [cb, weak, weak_core, token](const std::string& reason) {
    auto owner = weak.lock();
    auto core = weak_core.lock();
    if (!owner || !core) return;
    forget(*core, *owner, token);
    if (cb->closed && owner->active()) {
      owner->invoke("http closed", [&] { cb->closed(cb->user, token, str_of(reason)); });
    }
  };
  return ev;
}

butter_status http2_route(const butter_host* host, butter_str method, butter_str path, int32_t prefix,
                          const butter_http2_route* route, uint64_t* out_route_id, butter_error* err) {
  if (!route || route->struct_size < BUTTER_HTTP2_ROUTE_MIN_SIZE) {
    return butter_error_set(err, BUTTER_E_INVALID,
                            "missing route, or its struct_size is below BUTTER_HTTP2_ROUTE_MIN_SIZE");
  }
  // What this host knows of the plugin's struct: an older one is shorter, a newer one longer.
  butter_http2_route known{};
  std::memcpy(&known, route, std::min<std::size_t>(route->struct_size, sizeof known));
  route = &known;
  if (!route->request) return butter_error_set(err, BUTTER_E_INVALID, "missing request callback");
  const bool stream_body = (route->flags & BUTTER_HTTP_STREAM_BODY) != 0;
  if (stream_body && !route->body)
    return butter_error_set(err, BUTTER_E_INVALID, "a streamed body needs a body callback");
  return guarded_reporting<Caller::Active>(host, "http2.route", err, BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    RouteArgs args;
    if (butter_status s = check_route_args(inst, method, path, args, err)) return s;
    NodeCore& core = inst.core();
    auto cb = std::make_shared<RouteCallbacks>();
    *cb = RouteCallbacks{route->user, route->request, route->body, route->writable, route->closed, 0};
    StreamRouteOptions opts;
    opts.stream_body = stream_body;
    // 0: the node's own limit; UNLIMITED: none (the server's 0).
    opts.max_body_bytes = route->max_body_bytes == BUTTER_HTTP_UNLIMITED ? 0
                          : route->max_body_bytes == 0                   ? core.http->options().max_body_bytes
                                                                         : route->max_body_bytes;
    std::weak_ptr<PluginInstance> weak = inst.weak_from_this();
    std::weak_ptr<NodeCore> weak_core = core.weak_from_this();
    std::shared_ptr<const RouteCallbacks> ccb = cb;
    std::uint64_t id = core.http->add_stream_route(
        args.method, args.path, prefix != 0, opts,
        [weak, weak_core, ccb](const HttpRequest& req, std::shared_ptr<HttpExchange> ex) {
          HttpSlot slot;
          slot.responder = [ex](HttpResponse r) { ex->respond(std::move(r)); };
          slot.exchange = ex;
          slot.route = ccb->route_id;
          const std::uint64_t token = hand_request(
              weak, weak_core, req, std::move(slot),
              [&](std::uint64_t t) { ex->set_events(events_for(ccb, weak, weak_core, ex, t)); },
              [&](const butter_http_request& r) { ccb->request(ccb->user, &r); },
              [](const HttpSlot& failed) {
                if (failed.exchange->respond(
                        HttpResponse{500, kTextPlain, "the plugin failed while handling the request\n", {}})) {
                  failed.exchange->abort();
                }
              });
          if (token == 0) ex->respond(plugin_unavailable());
        });
    // Known before any request can come: both run on the node's strand.
    cb->route_id = id;
    return adopt_route(inst, args, id, out_route_id, err);
  });
}

// The exchange behind `token` when it belongs to the calling instance.
std::shared_ptr<HttpExchange> exchange_of(const butter_host* host, uint64_t token, PluginInstance** owner = nullptr) {
  auto* inst = node_instance_of(host, "http2 (an exchange call)");
  if (!inst) return nullptr;
  auto& slots = inst->core().http_slots;
  auto it = slots.find(token);
  if (it == slots.end() || !it->second.exchange || it->second.owner.lock().get() != inst) return nullptr;
  if (owner) *owner = inst;
  return it->second.exchange;
}

std::vector<std::pair<std::string, std::string>> copy_headers(const butter_http_header* headers, uint32_t count) {
  std::vector<std::pair<std::string, std::string>> out;
  for (uint32_t i = 0; headers && i < count; ++i)
    out.emplace_back(copy_str(headers[i].name), copy_str(headers[i].value));
  return out;
}

// An exchange call: the caller is found through its exchange, not only its handle. The body runs
// with the calling instance's exchange behind `token` (and that instance); BUTTER_E_NOT_FOUND when
// there is none (an unknown handle, a call off the node's thread, a token of another instance or
// of no v2 exchange), BUTTER_E_INTERNAL when the body throws: nothing crosses the C ABI.
template <class Body>
butter_status guarded_exchange(const butter_host* host, uint64_t token, Body&& body) noexcept {
  static_assert(std::is_invocable_r_v<butter_status, Body&, HttpExchange&, PluginInstance&>,
                "an exchange call's body takes the exchange and its instance and returns a butter_status");
  try {
    PluginInstance* owner = nullptr;
    auto ex = exchange_of(host, token, &owner);
    if (!ex) return BUTTER_E_NOT_FOUND;
    return body(*ex, *owner);
  } catch (...) {
    return BUTTER_E_INTERNAL;
  }
}

butter_status http2_respond(const butter_host* host, uint64_t token, int32_t status, butter_str content_type,
                            butter_bytes body, const butter_http_header* headers, uint32_t header_count) {
  // A v1 token (or none): v1's respond knows it.
  if (!exchange_of(host, token)) {
    return http_extension()->respond(host, token, status, content_type, body, headers, header_count);
  }
  return guarded_exchange(host, token, [&](HttpExchange& ex, PluginInstance& owner) -> butter_status {
    if (status < 200 || status > 599) return BUTTER_E_INVALID;  // a final answer
    HttpResponse res;
    res.status = status;
    std::string ct = copy_str(content_type);
    if (ct.find_first_of("\r\n") != std::string::npos) return BUTTER_E_INVALID;
    if (!ct.empty()) res.content_type = ct;
    if (body.data) res.body.assign(reinterpret_cast<const char*>(body.data), body.len);
    res.headers = copy_headers(headers, header_count);
    for (const auto& [k, v] : res.headers) {
      if (k.find_first_of("\r\n") != std::string::npos || v.find_first_of("\r\n") != std::string::npos)
        return BUTTER_E_INVALID;
    }
    if (Error e = ex.respond(std::move(res))) return e.code;
    forget(owner.core(), owner, token);
    return BUTTER_OK;
  });
}

butter_status http2_read_body(const butter_host* host, uint64_t token, uint64_t max_bytes) {
  return guarded_exchange(host, token, [&](HttpExchange& ex, PluginInstance&) {
    return ex.read_body(static_cast<std::size_t>(std::min<uint64_t>(max_bytes, HttpExchange::kMaxChunk))).code;
  });
}

butter_status http2_begin(const butter_host* host, uint64_t token, int32_t status, butter_str content_type,
                          const butter_http_header* headers, uint32_t header_count, uint64_t content_length) {
  return guarded_exchange(host, token, [&](HttpExchange& ex, PluginInstance&) -> butter_status {
    if (status < 200 || status > 599) return BUTTER_E_INVALID;  // a final answer
    return ex.begin(status, copy_str(content_type), copy_headers(headers, header_count), content_length).code;
  });
}

butter_status http2_write(const butter_host* host, uint64_t token, butter_bytes data) {
  return guarded_exchange(host, token, [&](HttpExchange& ex, PluginInstance&) -> butter_status {
    if (!data.data && data.len) return BUTTER_E_INVALID;
    return ex.write(std::string_view(reinterpret_cast<const char*>(data.data), data.len)).code;
  });
}

butter_status http2_end(const butter_host* host, uint64_t token) {
  return guarded_exchange(host, token, [&](HttpExchange& ex, PluginInstance& owner) {
    Error e = ex.end();
    // Ended short, the exchange is over all the same (the connection is closed).
    if (!ex.open()) forget(owner.core(), owner, token);
    return e.code;
  });
}

void http2_abort(const butter_host* host, uint64_t token) {
  // abort answers nothing: an unknown token is ignored, a throw swallowed.
  guarded_exchange(host, token, [&](HttpExchange& ex, PluginInstance& owner) -> butter_status {
    forget(owner.core(), owner, token);
    ex.abort();
    return BUTTER_OK;
  });
}

void http2_unroute(const butter_host* host, uint64_t route_id) { http_extension()->unroute(host, route_id); }
butter_str http2_base_url(const butter_host* host) { return http_extension()->base_url(host); }

const butter_http_v2 kHttp2 = {http2_route, http2_unroute, http2_respond, http2_base_url, http2_read_body,
                               http2_begin, http2_write,   http2_end,     http2_abort};

}  // namespace

const butter_http_v2* http2_extension() { return &kHttp2; }

const ServiceModule& http2_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_HTTP_V2, &kHttp2}};
  static constexpr ServiceModule kModule{kExtensions, nullptr};
  return kModule;
}

}  // namespace butter::host
