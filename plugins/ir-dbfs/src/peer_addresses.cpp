// The remote address of the connection a message came over, for the per-address query rate
// (source_limiter.hpp): butter.net/1 names a message's sender by node id only, and the host tells
// the remote address of a connected peer by id (Net::peer: butter.net.peer_lookup/1, one lookup in
// the host's index of connections, not a walk of them all). Read anew for each query, so it is the
// connection's as it stands, and nothing is kept here. (On a host before ABI 1.8 Net::peer walks
// the peer list instead: right, but a cost per query that grows with the connections.)
#include "dbfs_plugin.hpp"

namespace butter::dbfs {

namespace {
// The key of a sender whose address is not known: all such share one bucket (conservative).
constexpr const char* kUnknown = "unknown";
}  // namespace

// A peer whose last connection closed: its inbound slot goes (Engine::peer_disconnected).
void DbfsPlugin::watch_peers() {
  net().on_peer([this](butter::PeerEvent ev, std::string_view id) {
    if (ev != butter::PeerEvent::Down) return;
    engine_->peer_disconnected(std::string(id));
    sync_metrics();
  });
}

std::string DbfsPlugin::remote_address_of(const std::string& peer) {
  if (auto p = net().peer(peer)) return std::move(p->remote_address);
  return kUnknown;
}

}  // namespace butter::dbfs
