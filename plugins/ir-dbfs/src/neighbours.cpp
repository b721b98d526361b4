// Neighbours: chosen outbound links plus inbound links learnt from traffic.
#include "neighbours.hpp"

#include <algorithm>

namespace butter::dbfs {

void Neighbours::set_outbound(std::vector<std::string> peers) {
  outbound_ = std::move(peers);
  for (const auto& p : outbound_) inbound_.erase(p);
}

bool Neighbours::note_inbound(const std::string& peer, std::uint64_t now_ms, const std::string& address_key) {
  if (std::find(outbound_.begin(), outbound_.end(), peer) != outbound_.end()) return true;
  auto it = inbound_.find(peer);
  if (it != inbound_.end()) {
    it->second.last_ms = now_ms;
    return true;
  }
  if (max_inbound_ == 0) return false;
  if (max_per_address_ && !address_key.empty()) {
    const auto same = std::count_if(inbound_.begin(), inbound_.end(), [&](const auto& p) {
      return p.second.address == address_key && now_ms < p.second.last_ms + idle_ms_;
    });
    if (static_cast<std::size_t>(same) >= max_per_address_) return false;
  }
  if (inbound_.size() >= max_inbound_) {
    auto idle = std::min_element(inbound_.begin(), inbound_.end(),
                                 [](const auto& a, const auto& b) { return a.second.last_ms < b.second.last_ms; });
    if (now_ms < idle->second.last_ms + idle_ms_) return false;  // all live: no room
    inbound_.erase(idle);
  }
  inbound_.emplace(peer, Inbound{now_ms, address_key});
  return true;
}

void Neighbours::remove(const std::string& peer) {
  inbound_.erase(peer);
  outbound_.erase(std::remove(outbound_.begin(), outbound_.end(), peer), outbound_.end());
}

std::vector<std::string> Neighbours::all(std::uint64_t now_ms) const {
  std::vector<std::string> out = outbound_;
  for (const auto& [p, in] : inbound_)
    if (now_ms < in.last_ms + idle_ms_) out.push_back(p);
  return out;
}

void Neighbours::refused_by(const std::string& peer, std::uint64_t until_ms) {
  outbound_.erase(std::remove(outbound_.begin(), outbound_.end(), peer), outbound_.end());
  if (refusals_.size() >= kMaxRefusals && !refusals_.count(peer)) {
    auto first = std::min_element(refusals_.begin(), refusals_.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
    refusals_.erase(first);
  }
  refusals_[peer] = until_ms;
}

bool Neighbours::refuses(const std::string& peer, std::uint64_t now_ms) const {
  auto it = refusals_.find(peer);
  return it != refusals_.end() && now_ms < it->second;
}

std::size_t Neighbours::inbound_count(std::uint64_t now_ms) const {
  return static_cast<std::size_t>(std::count_if(inbound_.begin(), inbound_.end(),
                                                [&](const auto& p) { return now_ms < p.second.last_ms + idle_ms_; }));
}

}  // namespace butter::dbfs
