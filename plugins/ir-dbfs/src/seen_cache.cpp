// SeenCache: duplicate suppression and the reverse path, bounded in size and age.
#include "seen_cache.hpp"

namespace butter::dbfs {

SeenEntry* SeenCache::find(const QueryId& id, std::uint64_t now_ms) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return nullptr;
  if (now_ms >= it->second.first_ms + max_age_ms_) return nullptr;  // expire() removes it later
  return &it->second;
}

SeenEntry& SeenCache::insert(const QueryId& id, SeenEntry e) {
  while (entries_.size() >= max_entries_ && !order_.empty()) {
    auto it = entries_.find(order_.front().first);
    if (it != entries_.end() && it->second.first_ms == order_.front().second) {
      entries_.erase(it);
      ++evicted_;
    }
    order_.pop_front();
  }
  order_.emplace_back(id, e.first_ms);
  auto [it, fresh] = entries_.insert_or_assign(id, std::move(e));
  (void)fresh;
  return it->second;
}

void SeenCache::expire(std::uint64_t now_ms) {
  while (!order_.empty() && now_ms >= order_.front().second + max_age_ms_) {
    auto it = entries_.find(order_.front().first);
    // An id re-inserted after expiry has a newer first_ms: only drop the entry this record is for.
    if (it != entries_.end() && it->second.first_ms == order_.front().second) entries_.erase(it);
    order_.pop_front();
  }
}

}  // namespace butter::dbfs
