// butter.net.peer_lookup/1: one connected peer by node id (ext/net.h). butter.net/1 reaches a peer
// only through peer_count + peer(index), which builds the whole list; a plugin asking for the
// sender of each message (a per-address rate or cap) paid for every connection each time. This
// asks the transport's index of up connections by node id (ConnectionTable::peers, updated as
// each connection comes up and closes), so it costs a hash lookup and the few connections to that
// one peer, and it answers exactly as peer(index) would for the same id.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/peer_info_out.hpp"
#include "services/service_module.hpp"

namespace butter::host {
namespace {

// The peer handed out last and its strings: they live until the next peer_by_id on this thread
// ([node] calls of one node are serial; different nodes run on different threads at any one time),
// apart from net.peer's, so that neither call invalidates what the other handed out.
thread_local PeerInfo t_looked_up;
thread_local PeerInfoStrings t_looked_up_strings;

butter_status net_peer_by_id(const butter_host* host, butter_str node_id, butter_net_peer_info* out) {
  const bool args_valid = out != nullptr && out->struct_size >= kPeerInfoV1Size;
  auto body = [&](PluginInstance& inst) -> butter_status {
    const auto id = node_id_of(node_id);
    if (!id) return BUTTER_E_INVALID;
    auto found = inst.core().transport->peer(*id);
    if (!found) return BUTTER_E_NOT_FOUND;
    t_looked_up = std::move(*found);
    fill_peer_info(t_looked_up, t_looked_up_strings, out);
    return BUTTER_OK;
  };
  // A throw can only be a copy's allocation, before *out is written.
  return guarded<Caller::Transport>(host, "net.peer_by_id", args_valid, BUTTER_E_NOMEM, body);
}

const butter_net_peer_lookup_v1 kNetPeerLookup = {net_peer_by_id};

}  // namespace

const butter_net_peer_lookup_v1* net_peer_lookup_extension() { return &kNetPeerLookup; }

const ServiceModule& net_peer_lookup_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_NET_PEER_LOOKUP, &kNetPeerLookup}};
  static constexpr ServiceModule kModule{kExtensions, nullptr};
  return kModule;
}

}  // namespace butter::host
