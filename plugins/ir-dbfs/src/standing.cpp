// PeerStanding: verified and failed proofs per node id, demotion and blocks (see standing.hpp).
#include "standing.hpp"

#include <algorithm>

namespace butter::dbfs {

StandingRecord& PeerStanding::touch(const std::string& peer, std::uint64_t now_ms) {
  auto it = records_.find(peer);
  if (it == records_.end()) {
    if (records_.size() >= cfg_.max_entries) {
      // Forget idle entries first; if none, the one seen least recently that is not blocked (a
      // flood of fresh ids must not unblock a liar), else the least recent.
      for (auto i = records_.begin(); i != records_.end();) {
        if (i->second.blocked_until <= now_ms && now_ms >= i->second.last_ms + cfg_.forget_ms)
          i = records_.erase(i);
        else
          ++i;
      }
      if (records_.size() >= cfg_.max_entries) {
        auto victim = records_.end();
        for (auto i = records_.begin(); i != records_.end(); ++i) {
          if (i->second.blocked_until > now_ms) continue;
          if (victim == records_.end() || i->second.last_ms < victim->second.last_ms) victim = i;
        }
        if (victim == records_.end())
          victim = std::min_element(records_.begin(), records_.end(),
                                    [](const auto& a, const auto& b) { return a.second.last_ms < b.second.last_ms; });
        records_.erase(victim);
      }
    }
    it = records_.emplace(peer, StandingRecord{}).first;
  }
  it->second.last_ms = now_ms;
  return it->second;
}

void PeerStanding::on_verified(const std::string& peer, std::uint64_t now_ms) {
  StandingRecord& r = touch(peer, now_ms);
  ++r.verified;
}

bool PeerStanding::on_failed(const std::string& peer, bool lie, std::uint64_t now_ms) {
  StandingRecord& r = touch(peer, now_ms);
  ++r.failed;
  if (lie) ++r.lied;
  if (!lie || r.blocked_until > now_ms || net(r.lied, r.verified) < cfg_.block_after) return false;
  // Each block lasts longer than the one before (a liar that comes back is caught sooner: its
  // failures are not reset, only its verified count would earn them back).
  r.blocked_until = now_ms + cfg_.block_ms * (1 + std::min<std::uint64_t>(r.blocks, 7));
  ++r.blocks;
  return true;
}

bool PeerStanding::blocked(const std::string& peer, std::uint64_t now_ms) const {
  auto it = records_.find(peer);
  return it != records_.end() && it->second.blocked_until > now_ms;
}

bool PeerStanding::demoted(const std::string& peer, std::uint64_t now_ms) const {
  auto it = records_.find(peer);
  if (it == records_.end()) return false;
  return it->second.blocked_until > now_ms || net(it->second.failed, it->second.verified) >= cfg_.demote_after;
}

std::vector<std::string> PeerStanding::blocked_ids(std::uint64_t now_ms) const {
  std::vector<std::string> out;
  for (const auto& [id, r] : records_)
    if (r.blocked_until > now_ms) out.push_back(id);
  return out;
}

}  // namespace butter::dbfs
