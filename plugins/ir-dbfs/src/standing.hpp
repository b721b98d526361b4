// PeerStanding: what this node itself observed of other nodes' hits — proofs that checked and
// proofs that failed — and what follows from it. A node that keeps failing is first demoted (the
// source stops choosing it as a first hop), then blocked for a while: unlinked, its LINKs, queries
// and hits refused, and hits naming it as holder dropped without asking it again.
//
// Two kinds of failure count differently, because a failure is not always the fault of the
// neighbour that brought the hit. A holder that answered its own challenge wrongly (or not at all),
// or a neighbour that claimed a hit one hop away in another node's name, lied about itself: a
// *lie*. A neighbour that only relayed a hit that then failed may be an honest node in front of a
// liar: that failure costs rank (demotion) but never blocks. Verified hits earn failures back one
// for one. Demoted: failures (of both kinds) - verified >= demote_after. Blocked: lies - verified
// >= block_after.
// Bounded: at most `max_entries` node ids; the entry seen least recently goes first, and entries
// idle for `forget_ms` (after their block ended) are forgotten.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace butter::dbfs {

struct StandingConfig {
  std::uint32_t demote_after = 2;   // net failures (failures - verified) that demote a node
  std::uint32_t block_after = 2;    // net lies (lies - verified) that block it
  std::uint64_t block_ms = 600000;  // how long a block lasts
  std::uint64_t forget_ms = 1800000;
  std::size_t max_entries = 1024;
};

struct StandingRecord {
  std::uint32_t verified = 0;
  std::uint32_t failed = 0;  // failures of both kinds
  std::uint32_t lied = 0;    // of which lies about itself
  std::uint64_t last_ms = 0;
  std::uint64_t blocked_until = 0;
  std::uint64_t blocks = 0;  // times blocked so far
};

class PeerStanding {
 public:
  explicit PeerStanding(StandingConfig cfg = {}) : cfg_(cfg) {}

  void on_verified(const std::string& peer, std::uint64_t now_ms);
  // `lie`: the failure is `peer`'s own (see above). Returns true when this failure blocked `peer`
  // (it was not blocked before).
  bool on_failed(const std::string& peer, bool lie, std::uint64_t now_ms);

  bool blocked(const std::string& peer, std::uint64_t now_ms) const;
  bool demoted(const std::string& peer, std::uint64_t now_ms) const;
  std::size_t size() const { return records_.size(); }
  std::vector<std::string> blocked_ids(std::uint64_t now_ms) const;
  const StandingConfig& config() const { return cfg_; }

 private:
  StandingRecord& touch(const std::string& peer, std::uint64_t now_ms);
  static std::uint32_t net(std::uint32_t bad, std::uint32_t good) { return bad > good ? bad - good : 0; }

  StandingConfig cfg_;
  std::map<std::string, StandingRecord> records_;
};

}  // namespace butter::dbfs
