// The engine's membership changes of a group on this node (see engine.hpp): adopting a new view
// (its departed members noted by Heartbeats, heartbeats.hpp), retiring a copy this node no longer
// holds as a member once r others proved they hold it, and dropping a group.
#include "engine.hpp"

#include <algorithm>

namespace butter::pcg {

void Engine::adopt(Group& g, const View& v, std::uint64_t now, Output& out) {
  if (!outranks(v, g.view)) return;
  learn(v);
  ++stats_.views_adopted;
  for (const auto& m : v.members) {
    if (!g.view.contains(m.id)) {
      MemberState& s = g.members[m.id];
      s.heard = now;
      s.joined = now;
    }
  }
  const View old = std::move(g.view);
  g.view = v;
  heartbeats_.note_departures(g, old, now);
  g.forget_non_members(v, self_);
  if (!v.contains(self_)) {
    // Removed from the group. A copy still being fetched protects nothing: it goes. A complete
    // copy is kept (retiring) until r others are confirmed to hold it: no message deletes a copy
    // that may be the last one.
    if (!g.complete) {
      drop(g.id, out);
      return;
    }
    g.members[self_].proven = true;
    out.events.push_back(Event{EventKind::ViewChanged, 0, BUTTER_OK, g.id, 0, {}, {}});
    retire_if_confirmed(g, now, out);
    return;
  }
  out.events.push_back(Event{EventKind::ViewChanged, 0, BUTTER_OK, g.id, 0, {}, {}});
}

bool Engine::confirmed_elsewhere(const Group& g, std::uint64_t now) const {
  std::uint32_t n = 0;
  for (const auto& m : g.view.members)
    if (m.id != self_ && g.is_proven(m.id) && !suspected(g, m.id, now)) ++n;
  return n >= cfg_.r;
}

bool Engine::retire_if_confirmed(Group& g, std::uint64_t now, Output& out) {
  if (!confirmed_elsewhere(g, now)) return false;
  ++stats_.copies_retired;
  drop(g.id, out);
  return true;
}

void Engine::drop(const Hash& id, Output& out) {
  auto it = groups_.find(id);
  if (it == groups_.end()) return;
  budget_.release(it->second.reserved);
  if (it->second.sponsor) quota_.release(*it->second.sponsor, it->second.reserved);
  if (it->second.origin) quota_.release(*it->second.origin, it->second.reserved);
  if (it->second.put_ticket) {
    out.events.push_back(Event{EventKind::PutDone,
                               *it->second.put_ticket,
                               BUTTER_OK,
                               id,
                               0,
                               {},
                               "this node left the group; the others keep it"});
  }
  ++stats_.dropped;
  // Dropped only for what was reported Stored (a recruit dropped while fetching never was).
  if (it->second.complete) out.events.push_back(Event{EventKind::Dropped, 0, BUTTER_OK, id, 0, {}, {}});
  groups_.erase(it);
}

}  // namespace butter::pcg
