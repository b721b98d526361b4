// Heartbeats (heartbeats.hpp): a round's entries batched per peer, the departed members' probes
// and their back-off, and the next round's time.
#include "heartbeats.hpp"

#include <algorithm>

namespace butter::pcg {

void Heartbeats::round(std::map<Hash, Group>& groups, std::uint64_t now, Output& out) {
  std::map<Hash, Message> batches;
  auto add = [&](const Hash& to, const Hash& id, const Group& g) {
    Message& b = batches[to];
    b.type = MsgType::Heartbeat;
    b.entries.push_back(HeartbeatEntry{id, g.complete, g.view});
    if (b.entries.size() >= kBatch) {
      node_.send(out, to, b);
      b.entries.clear();
    }
  };
  for (auto& [id, g] : groups) {
    for (const auto& m : g.view.members)
      if (m.id != self_) add(m.id, id, g);
    for (auto it = g.departed.begin(); it != g.departed.end();) {
      Departed& d = it->second;
      if (now >= d.until) {
        it = g.departed.erase(it);
        continue;
      }
      if (now >= d.next_probe) {
        add(it->first, id, g);
        d.interval = std::min(d.interval * 2, cfg_.heartbeat_ms * 32);
        d.next_probe = now + d.interval;
      }
      ++it;
    }
  }
  for (auto& [to, b] : batches)
    if (!b.entries.empty()) node_.send(out, to, b);
  // One round per interval, +- jitter so that rounds of different nodes do not line up.
  const double u = static_cast<double>(node_.random() % 1000001) / 1000000.0 * 2.0 - 1.0;
  const double next = static_cast<double>(cfg_.heartbeat_ms) * (1.0 + cfg_.jitter * u);
  next_round_ = now + static_cast<std::uint64_t>(std::max(1.0, next));
}

void Heartbeats::note_departures(Group& g, const View& old, std::uint64_t now) const {
  for (const auto& m : old.members) {
    if (m.id == self_ || g.view.contains(m.id) || g.departed.size() >= kMaxMembers) continue;
    const std::uint64_t first = 2 * cfg_.heartbeat_ms;
    g.departed[m.id] = Departed{now + cfg_.departed_ms, now + first, first};
  }
  for (const auto& m : g.view.members) g.departed.erase(m.id);
}

}  // namespace butter::pcg
