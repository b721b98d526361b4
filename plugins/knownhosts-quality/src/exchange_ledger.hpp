// ExchangeLedger: what this node has told each peer it exchanges records with, so that the next
// exchange carries only what the peer has not had from us (pure logic; time is passed in).
//
// Per peer: a cursor into the record store's news (news_since), the seq of our own record it
// last got, and when we last answered one of its exchanges (the per-peer answer rate). A peer
// without an entry (never met, or forgotten) gets a full sample at the next exchange: a first
// contact must learn the network from us. Bounded: at most max_peers entries; one untouched for
// expiry_ms goes, and when full the one touched longest ago makes room.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

namespace butter::knownhosts {

class ExchangeLedger {
 public:
  struct Entry {
    std::uint64_t news_cursor = 0;     // the store's news up to here were sent (or skipped)
    std::uint64_t own_seq_sent = 0;    // seq of our own record last sent to it (0: never)
    std::uint64_t last_served_ms = 0;  // node ms of the last exchange of its we answered
    std::uint64_t last_ms = 0;         // node ms of the last touch
    std::uint64_t last_sample_ms = 0;  // node ms of the last sample we sent it on request (0: never)
    std::size_t last_sample_size = 0;  // records in that sample
    std::size_t held_at_sample = 0;    // records this node held then
  };
  struct Limits {
    std::size_t max_peers = 1024;
    std::uint64_t expiry_ms = 3600 * 1000;
  };

  ExchangeLedger() = default;
  explicit ExchangeLedger(Limits limits) : limits_(limits) {}
  // The peer's entry, made when missing (`first` then true). Valid until the next touch/forget.
  Entry& touch(const std::string& peer, std::uint64_t now_ms, bool& first);
  const Entry* find(const std::string& peer) const;
  // The next exchange with it starts over with a full sample (e.g. our last one was lost).
  void forget(const std::string& peer);
  std::size_t size() const { return entries_.size(); }
  const Limits& limits() const { return limits_; }

 private:
  Limits limits_;
  std::map<std::string, Entry> entries_;
  std::set<std::pair<std::uint64_t, std::string>> by_last_;  // (last_ms, peer)
};

}  // namespace butter::knownhosts
