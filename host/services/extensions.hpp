// The host's services as C vtables (butter.log/1, butter.node/1, ...), one file each (a module,
// service_module.hpp), and the functions behind butter_host.get_extension / post. Each vtable
// function finds its PluginInstance through host->host_data, checks the instance is active, and
// never lets an exception escape into plugin code (services/entry_point.hpp does all three for an
// entry point).
#pragma once
#include "core/node_id.hpp"
#include "instance/service_table.hpp"

#include <butter/butter.h>

#include <optional>
#include <string>
#include <string_view>

namespace butter::host {

class PluginInstance;

// Shared by the service files: a copy of a borrowed string and a borrowed view of one, a node id from 64 hex digits,
// and the calling instance of the [node] function `function` when it is active, on the node's thread, and its node has
// a transport (null otherwise; see node_instance_of).
inline std::string copy_str(butter_str s) { return s.data ? std::string(s.data, s.len) : std::string(); }
// A borrowed view of a string that outlives the call it is passed to.
inline butter_str str_of(const std::string& s) { return butter_str{s.data(), s.size()}; }
inline constexpr const char* kTextPlain = "text/plain; charset=utf-8";
inline std::optional<NodeId> node_id_of(butter_str s) {
  return NodeId::from_hex(std::string_view(s.data ? s.data : "", s.data ? s.len : 0));
}
PluginInstance* active_transport_caller(const butter_host* host, const char* function);
// The status for a call refused by active_transport_caller (or net's caller): BUTTER_E_INVALID
// for a bad handle or a foreign thread, BUTTER_E_UNAVAILABLE for an inactive instance or a node
// without transport.
butter_status caller_refusal(const butter_host* host);

const void* host_get_extension(const butter_host* host, const char* id);
butter_status host_post(const butter_host* host, void (*fn)(void* user), void* user);

// Cancels everything the instance registered with any service (called on stop and isolation).
void release_instance_registrations(PluginInstance& instance);

// The three above, as the table NodeCore hands every instance (instance/service_table.hpp).
const ServiceTable& host_service_table();

// Each service's vtables by themselves, for tests and for a service that calls another (http/2
// answers through http/1). get_extension does not need them: it finds every vtable through the
// service modules (service_module.hpp), so a new extension needs no line here.
const butter_log_v1* log_extension();
const butter_node_v1* node_extension();
const butter_config_v1* config_extension();
const butter_timer_v1* timer_extension();
const butter_net_v1* net_extension();
const butter_net_reply_v1* net_reply_extension();
const butter_net_sealed_v1* net_sealed_extension();
const butter_net_peer_lookup_v1* net_peer_lookup_extension();
const butter_datagram_v1* datagram_extension();
const butter_fd_v1* fd_extension();
const butter_http_v1* http_extension();
const butter_http_v2* http2_extension();
const butter_metrics_v1* metrics_extension();
const butter_services_v1* services_extension();
const butter_events_v1* events_extension();
const butter_identity_v1* identity_extension();
const butter_streams_v1* streams_extension();
const butter_streams_flow_v1* streams_flow_extension();
const butter_connections_v1* connections_extension();
const butter_connections_release_v1* connections_release_extension();
const butter_punch_v1* punch_extension();
const butter_punch_v2* punch2_extension();

}  // namespace butter::host
