// butter_host.get_extension and post, and the cleanup that stop/isolation runs.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"

#include <boost/asio/post.hpp>

#include <cstring>
#include <string_view>

namespace butter::host {

const void* host_get_extension(const butter_host* host, const char* id) {
  if (!host || !id) return nullptr;
  std::string_view want(id);
  if (want == BUTTER_EXT_LOG) return log_extension();
  if (want == BUTTER_EXT_NODE) return node_extension();
  if (want == BUTTER_EXT_CONFIG) return config_extension();
  if (want == BUTTER_EXT_TIMER) return timer_extension();
  if (want == BUTTER_EXT_NET) return net_extension();
  if (want == BUTTER_EXT_NET_REPLY) return net_reply_extension();
  if (want == BUTTER_EXT_NET_SEALED) return net_sealed_extension();
  if (want == BUTTER_EXT_DATAGRAM) return datagram_extension();
  if (want == BUTTER_EXT_FD) return fd_extension();
  if (want == BUTTER_EXT_HTTP) return http_extension();
  if (want == BUTTER_EXT_HTTP_V2) return http2_extension();
  if (want == BUTTER_EXT_METRICS) return metrics_extension();
  if (want == BUTTER_EXT_SERVICES) return services_extension();
  if (want == BUTTER_EXT_EVENTS) return events_extension();
  if (want == BUTTER_EXT_IDENTITY) return identity_extension();
  if (want == BUTTER_EXT_STREAMS) return streams_extension();
  if (want == BUTTER_EXT_STREAMS_FLOW) return streams_flow_extension();
  if (want == BUTTER_EXT_CONNECTIONS) return connections_extension();
  if (want == BUTTER_EXT_CONNECTIONS_RELEASE) return connections_release_extension();
  if (want == BUTTER_EXT_PUNCH) return punch_extension();
  if (want == BUTTER_EXT_PUNCH2) return punch2_extension();
  return nullptr;
}

PluginInstance* active_transport_caller(const butter_host* host, const char* function) {
  auto* inst = node_instance_of(host, function);
  if (!inst || !inst->active() || !inst->core().transport) return nullptr;
  return inst;
}

butter_status caller_refusal(const butter_host* host) {
  auto* inst = instance_of(host);
  return !inst || !inst->on_node_thread() ? BUTTER_E_INVALID : BUTTER_E_UNAVAILABLE;
}

butter_status host_post(const butter_host* host, void (*fn)(void* user), void* user) {
  return guarded<Caller::AnyThreadActive>(host, "post", fn != nullptr, BUTTER_E_NOMEM, [&](PluginInstance& inst) {
    std::weak_ptr<PluginInstance> weak = inst.weak_from_this();
    boost::asio::post(inst.core().strand, [weak, fn, user] {
      if (auto self = weak.lock()) self->invoke("posted function", [&] { fn(user); });
    });
    return BUTTER_OK;
  });
}

void release_instance_registrations(PluginInstance& instance) {
  release_timers(instance);
  release_net(instance);
  release_datagrams(instance);
  release_fds(instance);
  release_http(instance);
  release_events(instance);
  release_connections(instance);
}

const ServiceTable& host_service_table() {
  static const ServiceTable table{&host_get_extension, &host_post, &release_instance_registrations};
  return table;
}

}  // namespace butter::host
