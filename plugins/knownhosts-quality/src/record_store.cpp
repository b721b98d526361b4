// RecordStore: newest record per node, with freshness, a count bound and bounds per source.
#include "record_store.hpp"

#include <algorithm>
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
  // Shrunk: the records only heard of go first, the lowest ranked of each kind first.
  while (records_.size() > limits_.capacity) erase((heard_.empty() ? vouched_ : heard_).begin()->second);
}

namespace {
std::size_t visible(const PeerRecord& r) { return r.visible_endpoints().size(); }
bool same_endpoints(const PeerRecord& a, const PeerRecord& b) {
  if (a.endpoints.size() != b.endpoints.size()) return false;
  for (std::size_t i = 0; i < a.endpoints.size(); ++i)
    if (a.endpoints[i].hash != b.endpoints[i].hash) return false;
  return true;
}
// A record's age for eviction and expiry: when it was issued, but never later than when this node
// received it. Claiming the future (within the allowed skew) then buys nothing over an honest
// record received at the same moment, neither a higher rank nor a longer life.
std::uint64_t rank_of(const PeerRecord& r, std::uint64_t now_ms) { return std::min(r.issued_ms, now_ms); }
// Vouched by whom it came from: a record its owner sent us over its own channel.
bool from_owner(const RecordOrigin& o, const std::string& id) { return !o.from.empty() && o.from == id; }
}  // namespace

std::size_t RecordStore::source_quota() const {
  if (limits_.source_share == 0) return SIZE_MAX;
  return std::max<std::size_t>(1, limits_.capacity / limits_.source_share);
}

RecordStore::Room RecordStore::room_for(std::uint64_t rank, const RecordOrigin& origin, const std::string& id) const {
  Room room;
  const bool vouched = origin.vouched || from_owner(origin, id);
  // A source at its quota makes room from its own records, whether or not the store is full.
  if (!origin.source.empty()) {
    auto src = by_source_.find(origin.source);
    if (src != by_source_.end() && src->second.size() >= source_quota()) {
      const auto& lowest = *src->second.begin();
      if (lowest.first >= rank) {
        room.refused = true;
      } else {
        room.victim = lowest.second;
      }
      return room;
    }
  }
  if (records_.size() < limits_.capacity) return room;
  // Full: a record only heard of goes first (a vouched newcomer takes the lowest ranked whatever
  // its rank); a vouched one goes only for a vouched newcomer ranked higher.
  if (!heard_.empty() && (vouched || heard_.begin()->first < rank)) {
    room.victim = heard_.begin()->second;
  } else if (heard_.empty() && vouched && vouched_.begin()->first < rank) {
    room.victim = vouched_.begin()->second;
  } else {
    room.refused = true;
  }
  return room;
}

RecordOffer RecordStore::check(const PeerRecord& rec, std::uint64_t now_ms, const RecordOrigin& origin) const {
  if (rec.issued_ms > now_ms + limits_.max_skew_ms) return RecordOffer::Future;
  if (rec.issued_ms + limits_.max_age_ms < now_ms) return RecordOffer::Expired;
  const std::string id = rec.id_hex();
  auto it = records_.find(id);
  if (it != records_.end()) {
    // The same record may come redacted differently by different forwarders: one that shows
    // more of its endpoints replaces the copy held (it is the same signed statement).
    const PeerRecord& held = it->second.rec;
    const bool reveals_more = rec.seq == held.seq && visible(rec) > visible(held);
    if (rec.seq < held.seq || (rec.seq == held.seq && !reveals_more)) return RecordOffer::Stale;
    return RecordOffer::Accepted;
  }
  return room_for(rank_of(rec, now_ms), origin, id).refused ? RecordOffer::Stale : RecordOffer::Accepted;
}

void RecordStore::index(const std::string& id, const Held& h) {
  by_rank_.insert({h.rank, id});
  (h.vouched ? vouched_ : heard_).insert({h.rank, id});
  if (!h.source.empty()) by_source_[h.source].insert({h.rank, id});
}

void RecordStore::unindex(const std::string& id, const Held& h) {
  by_rank_.erase({h.rank, id});
  (h.vouched ? vouched_ : heard_).erase({h.rank, id});
  if (h.source.empty()) return;
  auto src = by_source_.find(h.source);
  if (src == by_source_.end()) return;
  src->second.erase({h.rank, id});
  if (src->second.empty()) by_source_.erase(src);
}

void RecordStore::hold(const std::string& id, Held h) {
  index(id, h);
  auto& entry = *records_.emplace(id, std::move(h)).first;
  if (entry.second.news) by_news_[entry.second.news] = &entry;
}

RecordOffer RecordStore::offer(const PeerRecord& rec, std::uint64_t now_ms, const RecordOrigin& origin, bool* news,
                               bool* moved) {
  if (news) *news = false;
  if (moved) *moved = false;
  const RecordOffer o = check(rec, now_ms, origin);
  if (o != RecordOffer::Accepted) return o;
  const std::string id = rec.id_hex();
  const std::uint64_t rank = rank_of(rec, now_ms);
  const bool vouched = origin.vouched || from_owner(origin, id);
  auto it = records_.find(id);
  bool is_news = true;
  if (it != records_.end()) {
    is_news = !same_endpoints(rec, it->second.rec);
    // Moved again soon after it last was news: kept quietly, or a node re-signing new endpoints
    // on every exchange would take the whole news budget.
    if (is_news && it->second.news_ms + limits_.min_move_interval_ms > now_ms) is_news = false;
    if (!is_news) {
      // A re-signed or less redacted copy (or a quiet move): fresher, not news (its news entry
      // stays as it was). Once vouched for, it stays so.
      Held& h = it->second;
      unindex(id, h);
      h.rec = rec;
      h.rank = rank;
      h.source = origin.source;
      h.vouched = h.vouched || vouched;
      index(id, h);
      return RecordOffer::Accepted;
    }
    if (moved) *moved = true;
    const bool was_vouched = it->second.vouched;
    drop(it);
    Held h{rec, ++news_counter_, now_ms, origin.from, 0, rank, origin.source, was_vouched || vouched};
    hold(id, std::move(h));
  } else {
    const Room room = room_for(rank, origin, id);
    if (!room.victim.empty()) erase(room.victim);
    hold(id, Held{rec, ++news_counter_, now_ms, origin.from, 0, rank, origin.source, vouched});
  }
  if (news) *news = is_news;
  return RecordOffer::Accepted;
}

RecordOffer RecordStore::restore(const PeerRecord& rec, std::uint64_t now_ms) {
  const RecordOffer o = check(rec, now_ms);
  if (o != RecordOffer::Accepted) return o;
  const std::string id = rec.id_hex();
  if (auto it = records_.find(id); it != records_.end()) {
    drop(it);
  } else {
    const Room room = room_for(rank_of(rec, now_ms), {}, id);
    if (!room.victim.empty()) erase(room.victim);
  }
  hold(id, Held{rec, 0, 0, {}, 0, rank_of(rec, now_ms), {}, false});  // never news: no move interval to wait out
  return RecordOffer::Accepted;
}

void RecordStore::vouch(const std::string& id_hex) {
  auto it = records_.find(id_hex);
  if (it == records_.end() || it->second.vouched) return;
  unindex(id_hex, it->second);
  it->second.vouched = true;
  index(id_hex, it->second);
}

bool RecordStore::vouched(const std::string& id_hex) const {
  auto it = records_.find(id_hex);
  return it != records_.end() && it->second.vouched;
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
  unindex(it->first, it->second);
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
  while (!by_rank_.empty() && by_rank_.begin()->first + limits_.max_age_ms < now_ms) {
    out.push_back(by_rank_.begin()->second);
    erase(out.back());
  }
  return out;
}

}  // namespace butter::knownhosts
