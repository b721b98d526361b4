// PeerVersions: the peers known to speak only version 1 of /butter/pex/1 and /butter/knownhosts/1
// (nodes from before issue 15's compact messages), so that a node of version 2 talks to them in
// version 1 instead of being refused and splitting the overlay during a rolling upgrade (pure
// logic; time is passed in).
//
// A peer is marked when it refuses a version-2 request the way an old node does (its decoder knows
// version 1 only and answers BUTTER_E_INVALID with kExchangeRefusesV2 / kQualityRefusesV2), and
// unmarked when it sends a version-2 request itself (it was upgraded). Both protocols went to
// version 2 in the same release, so one table serves both. Bounded: at most max_peers marks; a
// mark older than expiry_ms lapses (version 2 is tried again: one refused request per old peer per
// expiry), and when full the oldest mark makes room (that peer costs one refused request more).
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

namespace butter::knownhosts {

class PeerVersions {
 public:
  struct Limits {
    std::size_t max_peers = 1024;
    std::uint64_t expiry_ms = 3600 * 1000;
  };

  PeerVersions() = default;
  explicit PeerVersions(Limits limits) : limits_(limits) {}

  // It refused version 2: talk version 1 to it from now on (for expiry_ms).
  void mark_v1_only(const std::string& peer, std::uint64_t now_ms);
  // It sent a version-1 request: a mark it has starts over (an old node that keeps talking to us
  // is not tried in version 2 every expiry_ms). A peer without a mark stays unmarked: a node of
  // version 2 may be configured to start in version 1 and still understands version 2.
  void refresh(const std::string& peer, std::uint64_t now_ms);
  // It sent a version-2 request: it understands version 2 (again). True when it had a mark.
  bool upgrade(const std::string& peer);
  bool v1_only(const std::string& peer, std::uint64_t now_ms) const;
  std::size_t size() const { return marked_.size(); }
  const Limits& limits() const { return limits_; }

 private:
  bool lapsed(std::uint64_t marked_ms, std::uint64_t now_ms) const { return marked_ms + limits_.expiry_ms <= now_ms; }
  void drop_lapsed(std::uint64_t now_ms);

  Limits limits_;
  std::map<std::string, std::uint64_t> marked_;              // peer -> node ms of its mark
  std::set<std::pair<std::uint64_t, std::string>> by_time_;  // (marked ms, peer), oldest first
};

}  // namespace butter::knownhosts
