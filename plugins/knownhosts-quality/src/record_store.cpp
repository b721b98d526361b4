// RecordStore: newest record per node, with freshness and a count bound.
#include "record_store.hpp"

namespace butter::knownhosts {

const char* offer_name(RecordOffer o) {
  switch (o) {
    case RecordOffer::Accepted: return "accepted";
    case RecordOffer::Stale: return "stale";
    case RecordOffer::Expired: return "expired";
    case RecordOffer::Future: return "future";
  }
  return "?";
}

void RecordStore::set_capacity(std::size_t c) {
  limits_.capacity = c == 0 ? 1 : c;
  while (records_.size() > limits_.capacity) erase(by_issued_.begin()->second);
}

RecordOffer RecordStore::offer(const PeerRecord& rec, std::uint64_t now_ms) {
  if (rec.issued_ms > now_ms + limits_.max_skew_ms) return RecordOffer::Future;
  if (rec.issued_ms + limits_.max_age_ms < now_ms) return RecordOffer::Expired;
  const std::string id = rec.id_hex();
  auto it = records_.find(id);
  if (it != records_.end()) {
    // The same record may come redacted differently by different forwarders: one that shows
    // more of its endpoints replaces the copy held (it is the same signed statement).
    auto visible = [](const PeerRecord& r) { return r.visible_endpoints().size(); };
    const bool reveals_more = rec.seq == it->second.seq && visible(rec) > visible(it->second);
    if (rec.seq < it->second.seq || (rec.seq == it->second.seq && !reveals_more)) return RecordOffer::Stale;
    by_issued_.erase({it->second.issued_ms, id});
    it->second = rec;
    by_issued_.insert({rec.issued_ms, id});
    return RecordOffer::Accepted;
  }
  if (records_.size() >= limits_.capacity) {
    // Full: the record issued longest ago makes room, unless the newcomer is older still.
    auto oldest = by_issued_.begin();
    if (oldest->first >= rec.issued_ms) return RecordOffer::Stale;
    records_.erase(oldest->second);
    by_issued_.erase(oldest);
  }
  records_.emplace(id, rec);
  by_issued_.insert({rec.issued_ms, id});
  return RecordOffer::Accepted;
}

const PeerRecord* RecordStore::find(const std::string& id_hex) const {
  auto it = records_.find(id_hex);
  return it == records_.end() ? nullptr : &it->second;
}

bool RecordStore::erase(const std::string& id_hex) {
  auto it = records_.find(id_hex);
  if (it == records_.end()) return false;
  by_issued_.erase({it->second.issued_ms, id_hex});
  records_.erase(it);
  return true;
}

std::vector<std::string> RecordStore::expire(std::uint64_t now_ms) {
  std::vector<std::string> out;
  while (!by_issued_.empty() && by_issued_.begin()->first + limits_.max_age_ms < now_ms) {
    out.push_back(by_issued_.begin()->second);
    erase(out.back());
  }
  return out;
}

}  // namespace butter::knownhosts
