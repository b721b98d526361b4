// ConnManager: protection tags and the choice of connections to trim.
#include "transport/conn_manager.hpp"

#include <algorithm>
#include <tuple>

namespace butter::host {

std::vector<NodeId> select_trim_victims(const std::vector<TrimCandidate>& peers, std::size_t low_water,
                                        std::size_t high_water, std::chrono::steady_clock::time_point now,
                                        std::chrono::milliseconds grace) {
  std::vector<NodeId> out;
  if (peers.size() <= high_water) return out;
  const std::size_t excess = peers.size() - std::min(low_water, peers.size());
  std::vector<const TrimCandidate*> eligible;
  for (const auto& p : peers)
    if (!p.is_protected && !p.busy && (now - p.opened >= grace || now - p.last_activity >= grace / 4))
      eligible.push_back(&p);
  std::sort(eligible.begin(), eligible.end(), [](const TrimCandidate* a, const TrimCandidate* b) {
    // Least recently active first; among equals the youngest connection (it has shown least).
    return std::tie(a->last_activity, b->opened, b->id) < std::tie(b->last_activity, a->opened, a->id);
  });
  for (std::size_t i = 0; i < eligible.size() && out.size() < excess; ++i) out.push_back(eligible[i]->id);
  return out;
}

bool ConnManager::protect(const NodeId& peer, const std::string& owner, const std::string& tag) {
  if (tag.empty() || tag.size() > kMaxTagBytes) return false;
  auto it = tags_.find(peer);
  if (it == tags_.end()) {
    if (tags_.size() >= max_protected_) return false;
    it = tags_.emplace(peer, std::set<std::string>{}).first;
  }
  std::string key = owner;
  key.push_back('\0');
  key += tag;
  if (it->second.count(key)) return true;
  if (it->second.size() >= kMaxTagsPerPeer) return false;
  it->second.insert(std::move(key));
  return true;
}

bool ConnManager::unprotect(const NodeId& peer, const std::string& owner, const std::string& tag) {
  auto it = tags_.find(peer);
  if (it == tags_.end()) return false;
  std::string key = owner;
  key.push_back('\0');
  key += tag;
  bool had = it->second.erase(key) > 0;
  if (it->second.empty()) tags_.erase(it);
  return had;
}

void ConnManager::release_owner(const std::string& owner) {
  std::string prefix = owner;
  prefix.push_back('\0');
  for (auto it = tags_.begin(); it != tags_.end();) {
    auto& set = it->second;
    for (auto t = set.lower_bound(prefix); t != set.end() && t->compare(0, prefix.size(), prefix) == 0;)
      t = set.erase(t);
    it = set.empty() ? tags_.erase(it) : std::next(it);
  }
}

}  // namespace butter::host
