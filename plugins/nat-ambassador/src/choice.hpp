// Choosing an ambassador: rank the reachable hosts that offer the service by quality.
// Pure logic over copied facts; unit-tested.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace butter::nat {

struct AmbassadorCandidate {
  std::string id;
  int quality_class = -1;      // butter.peers/1 class 0..7, -1 unknown
  std::uint64_t uptime_s = 0;  // from butter.peers/1 when known
  std::uint32_t clients = 0, max_clients = 0;
  bool excluded = false;  // refused us or failed recently
};

// The best candidate: not excluded, with room (clients < max_clients), then higher quality class,
// longer uptime, fewer clients, and the smaller id to break ties. nullopt when none fits.
std::optional<std::string> pick_ambassador(const std::vector<AmbassadorCandidate>& candidates);

}  // namespace butter::nat
