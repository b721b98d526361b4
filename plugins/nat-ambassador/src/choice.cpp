// pick_ambassador: one pass keeping the best by a fixed order of criteria.
#include "choice.hpp"

#include <tuple>

namespace butter::nat {

std::optional<std::string> pick_ambassador(const std::vector<AmbassadorCandidate>& candidates) {
  const AmbassadorCandidate* best = nullptr;
  auto key = [](const AmbassadorCandidate& c) {
    // Larger is better for the first three; fewer clients and a smaller id are better.
    return std::make_tuple(c.quality_class, c.uptime_s, -static_cast<std::int64_t>(c.clients));
  };
  for (const auto& c : candidates) {
    if (c.excluded || c.id.empty()) continue;
    if (c.max_clients != 0 && c.clients >= c.max_clients) continue;
    if (!best || key(c) > key(*best) || (key(c) == key(*best) && c.id < best->id)) best = &c;
  }
  if (!best) return std::nullopt;
  return best->id;
}

}  // namespace butter::nat
