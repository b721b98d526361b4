// Budget accounting (see budget.hpp).
#include "budget.hpp"

namespace butter::pcg {

bool Budget::reserve(std::uint64_t bytes, std::string& why) {
  if (bytes > free()) {
    why = "storage budget exceeded: needs " + std::to_string(bytes) + " bytes, " + std::to_string(free()) + " of " +
          std::to_string(capacity_) + " free";
    return false;
  }
  used_ += bytes;
  return true;
}

bool Budget::set_aside(std::uint64_t bytes, std::string& why) {
  if (bytes > free()) {
    why = "storage budget exceeded: open streamed puts would need " + std::to_string(bytes) + " more bytes, " +
          std::to_string(free()) + " of " + std::to_string(capacity_) + " free";
    return false;
  }
  aside_ += bytes;
  return true;
}

void Budget::release(std::uint64_t bytes) { used_ = bytes > used_ ? 0 : used_ - bytes; }

std::uint64_t PeerQuota::used(const Hash& peer) const {
  auto it = used_.find(peer);
  return it == used_.end() ? 0 : it->second;
}

bool PeerQuota::reserve(const Hash& peer, std::uint64_t bytes, std::string& why) {
  const std::uint64_t have = used(peer);
  if (bytes > limit_ || have > limit_ - bytes) {
    why = "peer quota exceeded: " + to_hex(peer).substr(0, 16) + " would hold " + std::to_string(have + bytes) +
          " bytes here, its quota is " + std::to_string(limit_) + " (peer_quota_bytes)";
    return false;
  }
  used_[peer] = have + bytes;
  return true;
}

void PeerQuota::release(const Hash& peer, std::uint64_t bytes) {
  auto it = used_.find(peer);
  if (it == used_.end()) return;
  if (bytes >= it->second) {
    used_.erase(it);
  } else {
    it->second -= bytes;
  }
}

}  // namespace butter::pcg
