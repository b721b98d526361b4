// RecordStore: newest record per node, with freshness and a count bound.
#include "record_store.hpp"

#include <iterator>

namespace butter::knownhosts {

const char* offer_name(RecordOffer o) {
  switch (o) {
    case RecordOffer::Accepted:
      return "accepted";
    case RecordOffer::Stale:
      return "stale";
    case RecordOffer::Expired:
      return "expired";
    case RecordOffer::Future:
      return "future";
  }
  return "?";
}

void RecordStore::set_capacity(std::size_t c) {
  limits_.capacity = c == 0 ? 1 : c;
  while (records_.size() > limits_.capacity) erase(by_issued_.begin()->second);
}

namespace {
std::size_t visible(const PeerRecord& r) { return r.visible_endpoints().size(); }
bool same_endpoints(const PeerRecord& a, const PeerRecord& b) {
  if (a.endpoints.size() != b.endpoints.size()) return false;
  for (std::size_t i = 0; i < a.endpoints.size(); ++i)
    if (a.endpoints[i].hash != b.endpoints[i].hash) return false;
  return true;
}
}  // namespace

RecordOffer RecordStore::check(const PeerRecord& rec, std::uint64_t now_ms) const {
  if (rec.issued_ms > now_ms + limits_.max_skew_ms) return RecordOffer::Future;
  if (rec.issued_ms + limits_.max_age_ms < now_ms) return RecordOffer::Expired;
  auto it = records_.find(rec.id_hex());
  if (it != records_.end()) {
    // The same record may come redacted differently by different forwarders: one that shows
    // more of its endpoints replaces the copy held (it is the same signed statement).
    const PeerRecord& held = it->second.rec;
    const bool reveals_more = rec.seq == held.seq && visible(rec) > visible(held);
    if (rec.seq < held.seq || (rec.seq == held.seq && !reveals_more)) return RecordOffer::Stale;
    return RecordOffer::Accepted;
  }
  // Full: the record issued longest ago makes room, unless the newcomer is older still.
  if (records_.size() >= limits_.capacity && by_issued_.begin()->first >= rec.issued_ms) return RecordOffer::Stale;
  return RecordOffer::Accepted;
}

RecordOffer RecordStore::offer(const PeerRecord& rec, std::uint64_t now_ms, const std::string& from, bool* news,
                               bool* moved) {
  if (news) *news = false;
  if (moved) *moved = false;
  const RecordOffer o = check(rec, now_ms);
  if (o != RecordOffer::Accepted) return o;
  const std::string id = rec.id_hex();
  auto it = records_.find(id);
  bool is_news = true;
  if (it != records_.end()) {
    is_news = !same_endpoints(rec, it->second.rec);
    // Moved again soon after it last was news: kept quietly, or a node re-signing new endpoints
    // on every exchange would take the whole news budget.
    if (is_news && it->second.news_ms + limits_.min_move_interval_ms > now_ms) is_news = false;
    if (!is_news) {
      // A re-signed or less redacted copy (or a quiet move): fresher, not news (its news entry
      // stays as it was).
      by_issued_.erase({it->second.rec.issued_ms, id});
      it->second.rec = rec;
      by_issued_.insert({rec.issued_ms, id});
      return RecordOffer::Accepted;
    }
    if (moved) *moved = true;
    drop(it);
  } else if (records_.size() >= limits_.capacity) {
    drop(records_.find(by_issued_.begin()->second));
  }
  Held h{rec, ++news_counter_, now_ms, from};
  by_issued_.insert({rec.issued_ms, id});
  const std::uint64_t n = h.news;
  by_news_[n] = &*records_.emplace(id, std::move(h)).first;
  if (news) *news = is_news;
  return RecordOffer::Accepted;
}

RecordOffer RecordStore::restore(const PeerRecord& rec, std::uint64_t now_ms) {
  const RecordOffer o = check(rec, now_ms);
  if (o != RecordOffer::Accepted) return o;
  const std::string id = rec.id_hex();
  if (auto it = records_.find(id); it != records_.end()) {
    drop(it);
  } else if (records_.size() >= limits_.capacity) {
    drop(records_.find(by_issued_.begin()->second));
  }
  by_issued_.insert({rec.issued_ms, id});
  records_.emplace(id, Held{rec, 0, 0, {}});  // never news: no move interval to wait out
  return RecordOffer::Accepted;
}

bool RecordStore::news_after(std::uint64_t cursor, std::uint64_t now_ms, std::size_t max_pushes) const {
  // Newest first: young news sits at the end, so the scan stops at the first old entry.
  std::size_t scanned = 0;
  for (auto it = by_news_.rbegin(); it != by_news_.rend() && it->first > cursor && scanned < kMaxNewsScan;
       ++it, ++scanned) {
    const Held& h = it->second->second;
    if (h.news_ms + limits_.news_ttl_ms < now_ms) return false;
    if (h.pushes < max_pushes) return true;
  }
  return false;
}

std::vector<const PeerRecord*> RecordStore::news_since(std::uint64_t& cursor, std::size_t k,
                                                       const std::string& receiver, std::uint64_t now_ms,
                                                       const NewsPick& pick) {
  std::vector<const PeerRecord*> out;
  std::size_t relayed = 0, scanned = 0;
  for (auto it = by_news_.upper_bound(cursor); it != by_news_.end() && out.size() < k && scanned < kMaxNewsScan;
       ++it, ++scanned) {
    cursor = it->first;
    Held& h = it->second->second;
    if (h.news_ms + limits_.news_ttl_ms < now_ms) continue;  // old news: no longer passed on
    if (h.pushes >= pick.max_pushes) continue;               // passed on to enough peers
    if (h.from == receiver || it->second->first == receiver) continue;
    if (pick.usable && !pick.usable(h.rec)) continue;  // nothing the receiver could dial: not sent, not counted
    const bool from_owner = h.from == it->second->first;
    if (!from_owner && relayed >= pick.max_relayed) continue;  // the rest is kept for owners' own records
    if (!from_owner) ++relayed;
    if (pick.count) {
      ++h.pushes;
      if (pick.counted) pick.counted->push_back(it->first);
    }
    out.push_back(&h.rec);
  }
  return out;
}

void RecordStore::unpush(const std::vector<std::uint64_t>& news_values) {
  for (std::uint64_t n : news_values)
    if (auto it = by_news_.find(n); it != by_news_.end() && it->second->second.pushes > 0) --it->second->second.pushes;
}

std::vector<const PeerRecord*> RecordStore::some(std::size_t k, std::size_t start) const {
  std::vector<const PeerRecord*> out;
  if (records_.empty()) return out;
  auto it = std::next(records_.begin(), static_cast<std::ptrdiff_t>(start % records_.size()));
  for (std::size_t n = 0; n < records_.size() && out.size() < k; ++n) {
    out.push_back(&it->second.rec);
    if (++it == records_.end()) it = records_.begin();
  }
  return out;
}

const PeerRecord* RecordStore::find(const std::string& id_hex) const {
  auto it = records_.find(id_hex);
  return it == records_.end() ? nullptr : &it->second.rec;
}

void RecordStore::drop(std::map<std::string, Held>::iterator it) {
  by_issued_.erase({it->second.rec.issued_ms, it->first});
  if (it->second.news) by_news_.erase(it->second.news);
  records_.erase(it);
}

bool RecordStore::erase(const std::string& id_hex) {
  auto it = records_.find(id_hex);
  if (it == records_.end()) return false;
  drop(it);
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
