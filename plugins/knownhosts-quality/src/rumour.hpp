// Rumour mongering for the peer exchange's news: each node passes a news item (a new or moved
// record) on to at most `fanout` peers, and sends at most `news_per_min` news records a minute
// in all (a token bucket). Flooding every item to every neighbour cost joins x degree per node
// (250 KB/min per node while 1000 nodes joined); with a fan-out an item still reaches nearly
// every node while the budget allows (push gossip with fan-out F informs about 1 - e^-F of the
// nodes, in O(log N) rounds), and the budget makes a node's news traffic bounded whatever the
// network's size and join rate: when more news arrives than the budget passes on, the surplus
// ages out (news_ttl_ms) and newcomers are learned from samples at first contacts instead.
#pragma once
#include <butter/cpp/token_bucket.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace butter::knownhosts {

struct RumourOptions {
  std::size_t fanout = 3;        // manifest news_fanout, 1..64
  std::size_t news_per_min = 6;  // manifest news_per_min, 1..6000
};

// News records this node may still send: refills at news_per_min, holds at most one exchange's
// worth more than a minute's (a burst after a quiet spell).
class NewsBudget {
 public:
  explicit NewsBudget(std::size_t per_min = 6, std::size_t burst = 8)
      : bucket_(static_cast<double>(per_min) / 60.0, static_cast<double>(std::max(per_min, burst)), 0) {}
  // Whole records only: a fraction of a token sends nothing.
  std::size_t available(std::uint64_t now_ms) { return static_cast<std::size_t>(bucket_.available(now_ms)); }
  // Records sent within what available() said (never below empty).
  void spend(std::size_t n) { bucket_.spend(static_cast<double>(n)); }

 private:
  butter::TokenBucket bucket_;
};

// The news budget split in two: half of it only for records their owner sent us itself (a node's
// changed endpoints heard first-hand), so relayed news, which any peer can make up in bulk, cannot
// starve them. Owners' records draw on their half first, then on the other.
class SplitNewsBudget {
 public:
  SplitNewsBudget(std::size_t per_min, std::size_t burst)
      : owners_((per_min + 1) / 2, (burst + 1) / 2), relayed_(std::max<std::size_t>(1, per_min / 2), burst / 2) {}
  std::size_t relayed(std::uint64_t now_ms) { return relayed_.available(now_ms); }
  std::size_t total(std::uint64_t now_ms) { return owners_.available(now_ms) + relayed_.available(now_ms); }
  void spend(std::size_t from_owners, std::size_t relayed, std::uint64_t now_ms) {
    const std::size_t own_part = std::min(from_owners, owners_.available(now_ms));
    owners_.spend(own_part);
    relayed_.spend(relayed + (from_owners - own_part));
  }

 private:
  NewsBudget owners_, relayed_;
};

}  // namespace butter::knownhosts
