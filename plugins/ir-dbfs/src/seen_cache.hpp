// The queries this node has seen, by id: whom a query came from (the reverse path for its hits),
// the TTL it was processed with, whom it was forwarded to, and whether it waits at the frontier
// for an EXTEND. Bounded in entries and in age: oldest first out (insertion order is time order).
#pragma once
#include "messages.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace butter::dbfs {

struct SeenEntry {
  std::string upstream;               // who sent it first; empty when this node is the source
  std::uint8_t ttl = 0;               // remaining TTL it was processed with (raised by EXTEND)
  std::uint8_t hops = 0;              // this node's distance from the source
  std::uint64_t first_ms = 0;         // when it was first seen
  bool frozen = false;                // reached with TTL 0: not forwarded, waits for an EXTEND
  std::vector<std::string> children;  // whom it was forwarded to
  std::vector<std::string> answered;  // children that sent hits for it (first-answer time stats)
  Query query;                        // kept to forward it when an EXTEND unfreezes it
  std::uint32_t budget = 0;           // messages this node may still send or hand down (budget.hpp)
  // HITS messages and hit entries relayed upstream for it, per child (aligned with `answered`):
  // each child has its own bound, so a child answering with a flood of forged hits cannot use up
  // what the query may relay from the others (the honest answers).
  std::vector<std::uint32_t> hit_messages;
  std::vector<std::uint32_t> hit_entries;
};

class SeenCache {
 public:
  SeenCache(std::size_t max_entries, std::uint64_t max_age_ms) : max_entries_(max_entries), max_age_ms_(max_age_ms) {}

  // The entry for `id`, or null (also when expired).
  SeenEntry* find(const QueryId& id, std::uint64_t now_ms);
  // Inserts a new entry (REQUIRES: not present); evicts the oldest beyond max_entries.
  SeenEntry& insert(const QueryId& id, SeenEntry e);
  // Drops entries older than max_age.
  void expire(std::uint64_t now_ms);
  std::size_t size() const { return entries_.size(); }
  std::uint64_t evicted() const { return evicted_; }

 private:
  std::size_t max_entries_;
  std::uint64_t max_age_ms_;
  std::map<QueryId, SeenEntry> entries_;
  std::deque<std::pair<QueryId, std::uint64_t>> order_;  // (id, first_ms), oldest first
  std::uint64_t evicted_ = 0;
};

}  // namespace butter::dbfs
