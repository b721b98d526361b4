// The remote address of the connection a message came over, for the per-address query rate
// (source_limiter.hpp): butter.net/1 names a message's sender by node id only, and tells the
// remote address of each connected peer (butter_net_peer_info.remote_address). Cached by node id,
// rebuilt from the host's peer list on a miss (at most every 100 ms, so a stream of unknown ids
// costs no more), an entry dropped when its peer goes down: bounded by the connected peers.
#include "dbfs_plugin.hpp"

namespace butter::dbfs {

namespace {
constexpr std::uint64_t kReadEveryMs = 100;
// The key of a sender whose address is not known: all such share one bucket (conservative).
constexpr const char* kUnknown = "unknown";
}  // namespace

// A peer whose last connection closed: its cached address goes, and so does its inbound slot
// (Engine::peer_disconnected).
void DbfsPlugin::watch_peers() {
  net().on_peer([this](butter::PeerEvent ev, std::string_view id) {
    if (ev != butter::PeerEvent::Down) return;
    peer_addresses_.erase(std::string(id));
    engine_->peer_disconnected(std::string(id));
    sync_metrics();
  });
}

std::string DbfsPlugin::remote_address_of(const std::string& peer) {
  auto it = peer_addresses_.find(peer);
  if (it != peer_addresses_.end()) return it->second;
  const std::uint64_t now = now_ms();
  if (peer_addresses_read_ms_ == 0 || now >= peer_addresses_read_ms_ + kReadEveryMs) {
    peer_addresses_read_ms_ = now ? now : 1;
    peer_addresses_.clear();
    for (auto& p : net().peers()) peer_addresses_[p.node_id] = std::move(p.remote_address);
    it = peer_addresses_.find(peer);
    if (it != peer_addresses_.end()) return it->second;
  }
  return kUnknown;
}

}  // namespace butter::dbfs
