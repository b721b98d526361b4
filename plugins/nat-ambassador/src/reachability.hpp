// The state of this node's own reachability (the dial-back checks it asks for, the verdict their
// answers make, what peers announced about themselves): the plugin's, kept by ReachabilityCheck
// (reachability_check.hpp) and read by AmbassadorChoice. The dial-backs run for others are
// DialBackServer's (dialback_server.hpp).
#pragma once
#include "messages.hpp"
#include "verdict.hpp"

#include <butter/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace butter::nat {

struct ReachabilityConfig {
  std::string mode = "auto";  // auto | public | private
  unsigned quorum = 2, probes = 3;
  std::chrono::milliseconds check_fast{1000}, check_slow{30000}, dialback_timeout{2000};
};

// Asking side: the verdict and the checks that make it, and the peers' own announcements.
struct Reachability {
  struct PeerStatus {
    StatusMessage status;
    std::uint64_t at_ms = 0;
  };
  Verdict verdict{2};
  std::set<std::string> asking;                // peers with a dial-back request out
  std::map<std::string, PeerStatus> statuses;  // by peer: the last status it announced
  // What this node last announced to all its peers, and the peers it could not be sent to (their
  // queue was full): sent again at the next status check.
  std::vector<std::uint8_t> announced;
  std::set<std::string> status_owed;

  // A peer that went down: its answer will not come and its status no longer holds.
  void forget(const std::string& peer) {
    asking.erase(peer);
    statuses.erase(peer);
    status_owed.erase(peer);
  }
  // Peers whose last status says they are public (GET /nat's known_public), by id.
  std::vector<std::string> known_public() const;
};

struct ReachabilityMetrics {
  explicit ReachabilityMetrics(const butter::Metrics& m)
      : asked(m.counter("nat_dialbacks_requested_total")),
        reached(m.counter("nat_dialback_reached_total")),
        unreached(m.counter("nat_dialback_unreached_total")),
        verdict_changes(m.counter("nat_verdict_changes_total")),
        verdict(m.gauge("nat_verdict")) {}
  butter::Counter asked, reached, unreached, verdict_changes;
  butter::Gauge verdict;  // 0 unknown, 1 public, 2 private
};

}  // namespace butter::nat
