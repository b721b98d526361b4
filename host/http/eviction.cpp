#include "http/eviction.hpp"

namespace butter::host::http_detail {

namespace {

// Lower goes first; -1 never goes.
int rank(SessionPhase p) {
  switch (p) {
    case SessionPhase::kClosing:
      return 0;
    case SessionPhase::kIdle:
      return 1;
    case SessionPhase::kReceiving:
      return 2;
    case SessionPhase::kBusy:
      return -1;
  }
  return -1;
}

}  // namespace

std::optional<std::uint64_t> pick_eviction(const std::vector<SessionView>& sessions) {
  const SessionView* best = nullptr;
  for (const auto& s : sessions) {
    const int r = rank(s.phase);
    if (r < 0) continue;
    if (!best || r < rank(best->phase) || (r == rank(best->phase) && s.since < best->since)) best = &s;
  }
  if (!best) return std::nullopt;
  return best->id;
}

}  // namespace butter::host::http_detail
