// PeerVersions: the bounded, expiring table of version-1-only peers.
#include "peer_versions.hpp"

namespace butter::knownhosts {

void PeerVersions::drop_lapsed(std::uint64_t now_ms) {
  // Oldest first, so this costs one look when nothing lapsed.
  while (!by_time_.empty() && lapsed(by_time_.begin()->first, now_ms)) {
    marked_.erase(by_time_.begin()->second);
    by_time_.erase(by_time_.begin());
  }
}

void PeerVersions::mark_v1_only(const std::string& peer, std::uint64_t now_ms) {
  if (limits_.max_peers == 0) return;
  drop_lapsed(now_ms);
  if (auto it = marked_.find(peer); it != marked_.end()) {
    by_time_.erase({it->second, peer});
    it->second = now_ms;
  } else {
    if (marked_.size() >= limits_.max_peers) {
      marked_.erase(by_time_.begin()->second);
      by_time_.erase(by_time_.begin());
    }
    marked_.emplace(peer, now_ms);
  }
  by_time_.insert({now_ms, peer});
}

void PeerVersions::refresh(const std::string& peer, std::uint64_t now_ms) {
  if (v1_only(peer, now_ms)) mark_v1_only(peer, now_ms);
}

bool PeerVersions::upgrade(const std::string& peer) {
  auto it = marked_.find(peer);
  if (it == marked_.end()) return false;
  by_time_.erase({it->second, peer});
  marked_.erase(it);
  return true;
}

bool PeerVersions::v1_only(const std::string& peer, std::uint64_t now_ms) const {
  auto it = marked_.find(peer);
  return it != marked_.end() && !lapsed(it->second, now_ms);
}

}  // namespace butter::knownhosts
