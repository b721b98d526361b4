// RecordStore: the newest signed record of each known node, bounded in count. A record replaces
// the one held only when its seq is higher (a replayed or older record changes nothing), or when
// it is the same record with more of its endpoints visible (forwarders redact per receiver); records
// issued too long ago or too far in the future (clock skew) are refused. Pure logic: time is passed in.
//
// Bounds against a peer that makes up records (fresh keys cost nothing): a record is ranked by
// min(issued, received), so claiming a time in the future (within the allowed skew) neither
// outranks honest records nor lives longer; records whose host talked to this node itself
// (vouched: it sent us its own record, or the caller saw it answer) are kept before records only
// heard of, and a record heard of never pushes one vouched for out; and one source (the sender's
// network, as the caller keys it) holds at most a quarter of the store. When full, the lowest
// ranked record of an over-quota source goes first, then of the records only heard of, then of
// the vouched (only for a vouched newcomer).
//
// News: a record that tells something new — a node not held before, or one whose endpoints
// changed (not a re-signed copy of the same endpoints, nor the same record less redacted) — gets
// the next value of a store-wide news counter. Exchanges send a peer only the news after the
// cursor they keep for it (news_since), so a quiet network sends nothing and a record's change
// travels once per link. News is passed on only while young (news_ttl_ms after this node learned
// it): a change floods the overlay within seconds and then stops travelling, so a peer met later
// is not sent a backlog it mostly has (it learns from samples at first contacts instead).
#pragma once
#include "peer_record.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace butter::knownhosts {

enum class RecordOffer { Accepted, Stale, Expired, Future };
const char* offer_name(RecordOffer o);

// Where an offered record came from.
struct RecordOrigin {
  std::string from;      // the peer that sent it ("": restored); news is not sent back to it
  std::string source;    // the key its per-source quota counts under (the sender's network); "": none
  bool vouched = false;  // its host answered this node (a record its owner sends is vouched anyway)
};

class RecordStore {
 public:
  struct Limits {
    std::size_t capacity = 1024;
    std::uint64_t max_age_ms = 2 * 3600 * 1000;  // older records are refused and dropped
    std::uint64_t max_skew_ms = 10 * 60 * 1000;  // issued further in the future: refused
    std::uint64_t news_ttl_ms = 30 * 1000;       // news older than this (since we learned it) is not passed on
    // A node that moved less than this ago is kept quietly when it moves again (not news): a node
    // re-signing new endpoints on every exchange would otherwise take the whole news budget.
    std::uint64_t min_move_interval_ms = 60 * 1000;
    // Records one source may hold: capacity / source_share (at least 1). 0: no quota.
    std::size_t source_share = 4;
  };
  explicit RecordStore(Limits limits) : limits_(limits) {}
  void set_capacity(std::size_t c);
  const Limits& limits() const { return limits_; }

  // What offer() would say, changing nothing: lets a caller skip the signature check of a record
  // that would be refused anyway (a copy of one held, an older one, an expired one).
  RecordOffer check(const PeerRecord& rec, std::uint64_t now_ms, const RecordOrigin& origin = {}) const;
  // `news` (optional) says whether the accepted record is news.
  RecordOffer offer(const PeerRecord& rec, std::uint64_t now_ms, const RecordOrigin& origin, bool* news = nullptr,
                    bool* moved = nullptr);
  // The same, from peer `from` with no quota source: its own network is not known here.
  RecordOffer offer(const PeerRecord& rec, std::uint64_t now_ms, const std::string& from = {}, bool* news = nullptr,
                    bool* moved = nullptr) {
    return offer(rec, now_ms, RecordOrigin{from, {}, false}, news, moved);
  }
  // The host of the record held for `id_hex` answered this node: its record is vouched for now.
  void vouch(const std::string& id_hex);
  bool vouched(const std::string& id_hex) const;
  // Keeps `rec` without making it news (a record restored from what this node knew before, not
  // something it just learned): the same checks as offer().
  RecordOffer restore(const PeerRecord& rec, std::uint64_t now_ms);
  const PeerRecord* find(const std::string& id_hex) const;
  // Up to `k` records held, from the `start`-th (modulo the size) on, wrapping: a spread of the
  // store for a caller that draws `start` at random. O(size) at worst (the store is bounded).
  std::vector<const PeerRecord*> some(std::size_t k, std::size_t start) const;
  bool erase(const std::string& id_hex);
  // Drops every record older than max_age (by its rank: min(issued, received)); returns the ids dropped.
  std::vector<std::string> expire(std::uint64_t now_ms);
  std::size_t size() const { return records_.size(); }

  // The news counter's latest value (0: no news yet).
  std::uint64_t news_counter() const { return news_counter_; }
  // Whether young news that was not yet passed on `max_pushes` times came after `cursor`
  // (`now_ms` on the clock offer() was given). At most kMaxNewsScan entries are examined.
  bool news_after(std::uint64_t cursor, std::uint64_t now_ms, std::size_t max_pushes = SIZE_MAX) const;
  // What news_since() may return and whether it counts.
  struct NewsPick {
    std::size_t max_pushes = SIZE_MAX;  // leave out news already passed on this many times
    // At most this many of the records returned may have come from a peer other than their owner:
    // the rest of `k` is kept for records their owner sent us itself (a flood of relayed news
    // cannot starve them).
    std::size_t max_relayed = SIZE_MAX;
    bool count = true;  // each record returned counts as passed on once more (rumour mongering)
    std::function<bool(const PeerRecord&)> usable;  // empty: every record is
    std::vector<std::uint64_t>* counted = nullptr;  // if set: the news values counted, for unpush()
  };
  // Undoes news_since()'s count of these news values (an exchange that failed: nothing arrived).
  // Values that are no longer news (moved since, dropped) are skipped.
  void unpush(const std::vector<std::uint64_t>& news_values);
  // Up to `k` records that became news after `cursor`, oldest news first, leaving out those that
  // came from `receiver` or describe it, those already passed on `pick.max_pushes` times and those
  // not `pick.usable`; `cursor` moves past what was examined. At most kMaxNewsScan entries are
  // examined per call (bounded work, whatever the backlog).
  std::vector<const PeerRecord*> news_since(std::uint64_t& cursor, std::size_t k, const std::string& receiver,
                                            std::uint64_t now_ms, const NewsPick& pick);
  std::vector<const PeerRecord*> news_since(std::uint64_t& cursor, std::size_t k, const std::string& receiver,
                                            std::uint64_t now_ms, std::size_t max_pushes = SIZE_MAX) {
    NewsPick pick;
    pick.max_pushes = max_pushes;
    return news_since(cursor, k, receiver, now_ms, pick);
  }
  static constexpr std::size_t kMaxNewsScan = 256;
  // Whether the record held for `rec`'s id came to us from its owner itself.
  bool came_from_owner(const PeerRecord& rec) const {
    auto it = records_.find(rec.id_hex());
    return it != records_.end() && it->second.from == it->first;
  }

 private:
  struct Held {
    PeerRecord rec;
    std::uint64_t news = 0;     // news counter value when it last was news
    std::uint64_t news_ms = 0;  // and when (offer's clock)
    std::string from;           // who sent it then
    std::size_t pushes = 0;     // how many peers news_since() gave it to
    std::uint64_t rank = 0;     // min(issued, received): its age for eviction and expiry
    std::string source;         // its quota source ("": none)
    bool vouched = false;
  };
  using Ranked = std::set<std::pair<std::uint64_t, std::string>>;  // (rank, id)
  // What makes room for a newcomer of `rank` from `origin` (`id` not held) when the store is full:
  // the id to drop, or "" when the newcomer is refused. Empty when there is room.
  struct Room {
    bool refused = false;
    std::string victim;
  };
  Room room_for(std::uint64_t rank, const RecordOrigin& origin, const std::string& id) const;
  std::size_t source_quota() const;
  void hold(const std::string& id, Held h);  // inserts into records_ and every index
  void index(const std::string& id, const Held& h);
  void unindex(const std::string& id, const Held& h);
  void drop(std::map<std::string, Held>::iterator it);

  Limits limits_;
  std::map<std::string, Held> records_;
  Ranked by_rank_;                           // every record, for expiry
  Ranked heard_, vouched_;                   // the same split by whether it is vouched for
  std::map<std::string, Ranked> by_source_;  // records per quota source
  // News value -> its record (a pointer into records_, whose nodes do not move): scanning news
  // costs no lookup by id.
  std::map<std::uint64_t, std::pair<const std::string, Held>*> by_news_;
  std::uint64_t news_counter_ = 0;
};

}  // namespace butter::knownhosts
