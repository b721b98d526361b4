// ObservedAddresses: the public addresses peers report seeing this node at (the `observed` IP of
// dial-back answers), kept as candidates for hole punching.
//
// Hostile peers: one peer's claim alone must not make this node announce, and others punch
// towards, an address of that peer's choosing (a reflection attack, or traffic pulled away). An
// address is *confirmed* once `quorum` distinct peers reported it within `ttl`; only confirmed
// addresses are offered. Bounded: at most kMaxAddresses addresses (the least confirmed, then
// oldest, forgotten first), kMaxObservers observers each; entries expire after `ttl`. Pure logic,
// times in ms from the caller's clock, so it is unit-tested without a network.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace butter::nat {

class ObservedAddresses {
 public:
  static constexpr std::size_t kMaxAddresses = 8;
  static constexpr std::size_t kMaxObservers = 16;

  ObservedAddresses(unsigned quorum, std::uint64_t ttl_ms) : quorum_(quorum ? quorum : 1), ttl_ms_(ttl_ms) {}

  // `observer` (node id) saw this node at `ip` (numeric; anything else is ignored). A later report
  // by the same observer of another address moves its vote: one peer, one vote.
  void observe(const std::string& observer, const std::string& ip, std::uint64_t now_ms);
  // Addresses confirmed by at least `quorum` distinct observers, most confirmed first.
  std::vector<std::string> confirmed(std::uint64_t now_ms) const;
  // Distinct live observers of `ip` (0 when unknown).
  std::size_t observers(const std::string& ip, std::uint64_t now_ms) const;
  std::size_t size() const { return by_ip_.size(); }
  // Drops expired observations and addresses left with none.
  void expire(std::uint64_t now_ms);

 private:
  std::map<std::string, std::map<std::string, std::uint64_t>> by_ip_;  // ip -> observer -> last seen
  unsigned quorum_;
  std::uint64_t ttl_ms_;
};

}  // namespace butter::nat
