// GroupRepair (group_repair.hpp): what the leader knows of a group's members, fed to repair.hpp's
// pure planner (remove, recruit, shed), and the view changes and messages that carry out its plan.
#include "group_repair.hpp"

#include "deadlines.hpp"
#include "placement.hpp"

#include <algorithm>
#include <set>

namespace butter::pcg {

void GroupRepair::step(Group& g, std::uint64_t now, Output& out) {
  if (now < g.next_repair) return;
  auto lead = leader(g.id, g.view, [&](const Hash& m) { return !node_.suspected(g, m, now); });
  if (lead && *lead == self_) repair(g, now, out);
  g.next_repair = now + std::max<std::uint64_t>(1, cfg_.heartbeat_ms / 2);
}

void GroupRepair::repair(Group& g, std::uint64_t now, Output& out) {
  RepairInput in;
  in.object = g.id;
  in.self = self_;
  in.r = cfg_.r;
  in.view = &g.view;
  // A leader still filling its copy keeps a member that holds (or says it holds) every block
  // while no other live member does, even one it suspects: removing its only source leaves a
  // group that cannot repair (only complete leaders recruit) and a holder retiring with nobody
  // to prove the object to. Under load a busy source's heartbeats come late; a source that
  // failed a challenge no longer claims anything and goes as before.
  auto source = [&](const Hash& m) { return g.is_proven(m) || g.possession.claimed(m); };
  bool live_source = false;
  for (const auto& m : g.view.members)
    if (m.id != self_ && source(m.id) && !node_.suspected(g, m.id, now) && !g.is_refused(m.id)) live_source = true;
  const std::uint64_t fill_ms = cfg_.complete_timeout_ms + transfer_ms(g.manifest.size, cfg_.min_transfer_bytes_per_s);
  // A recruit still filling its copy is removed for silence only after as long as its own
  // reservation lasts without a block (reservation_idle_ms), not after miss_limit heartbeats:
  // removing it throws its partial copy away, and on a loaded machine the next recruit met the
  // same fate, so the group started over and over and never reached r. A dead recruit is still
  // replaced at that bound; one that failed a challenge at once.
  const std::uint64_t filling_grace = std::max(cfg_.miss_limit * cfg_.heartbeat_ms, cfg_.reservation_idle_ms);
  auto gone = [&](const Hash& m) {
    if (!node_.suspected(g, m, now)) return false;
    if (g.possession.failed(m) || source(m)) return true;
    // Only one heard from since it joined (a heartbeat, a fetch): one that never said a word, or
    // declined to the member that recruited it, is not filling anything.
    const MemberState* s = g.member(m);
    if (!s || !s->heard || !s->joined || *s->heard <= *s->joined) return true;
    return now > *s->heard + filling_grace;
  };
  in.remove = [&](const Hash& m) {
    if (gone(m) || g.is_refused(m)) return g.complete || live_source || !source(m);
    // A recruit still incomplete long after it joined (its object's size at the slowest rate
    // allowed, beyond complete_timeout_ms) has stalled.
    const auto joined = g.joined_at(m);
    return !g.is_proven(m) && joined && now > *joined + fill_ms;
  };
  in.complete = [&](const Hash& m) {
    return m == self_ ? g.complete : (g.is_proven(m) && !node_.suspected(g, m, now));
  };
  // Candidates are asked for only when the group may need them.
  std::size_t live = 0;
  for (const auto& m : g.view.members)
    if (m.id == self_ || !in.remove(m.id)) ++live;
  // Only a leader that holds (and so has verified) every block itself recruits: a recruit still
  // fetching does not ask others to store what it only has the recruiter's word for (else one
  // RECRUIT for junk that is never served would be passed on to r more nodes).
  if (live < cfg_.r && g.complete) {
    const std::size_t need = cfg_.r - live;
    // Junk a peer pushed is re-replicated within its quota: the recruits this sends name the
    // original sponsor, and each recipient charges it there (on_recruit).
    for (auto& c : node_.candidates(need * 3 + 2)) {
      if (c.id == self_ || node_.cooling(c.id) || g.view.contains(c.id)) continue;
      in.candidates.push_back(std::move(c));
    }
    // At most one replica per network prefix while other prefixes are available (placement.hpp).
    in.candidates = diverse_recruits(
        in.candidates, g.view, need, [this](const Hash& id) { return node_.observed_address(id); },
        PlacementOptions{cfg_.placement_loopback_exempt});
  }
  RepairPlan plan = plan_repair(in);
  // Members that joined within two heartbeats and have not yet said they hold every block (those
  // of a group just merged in) are not shed yet: the planner would take them for incomplete and
  // might shed a full copy while keeping a partial one.
  for (const auto& m : g.view.members) {
    if (plan.shed.empty()) break;
    const auto joined = g.joined_at(m.id);
    if (m.id != self_ && !g.is_proven(m.id) && joined && now < *joined + 2 * cfg_.heartbeat_ms) plan.shed.clear();
  }
  // Nor while a member's proof of possession is pending: it may be the full copy.
  if (g.possession.proving()) plan.shed.clear();
  if (!plan.changes()) return;
  const View old = g.view;
  View next = g.view;
  next.version = old.version + 1;
  for (const auto& id : plan.remove) next.remove(id);
  for (const auto& id : plan.shed) next.remove(id);
  for (const auto& c : plan.recruit) {
    node_.learn(c);
    next.add(Member{c.id, c.endpoints});
  }
  for (const auto& id : plan.remove)
    if (auto it = g.members.find(id); it != g.members.end()) it->second.refused = false;
  ++stats_.repairs;
  g.view = next;
  node_.note_departures(g, old, now);
  for (const auto& c : plan.recruit) {
    MemberState& s = g.members[c.id];
    s.heard = now;
    s.joined = now;
    s.recruited = now;
  }
  g.forget_non_members(next, self_);
  out.events.push_back(Event{EventKind::ViewChanged, 0, BUTTER_OK, g.id, 0, {}, {}});
  // The new view to everyone in the old or the new one (the removed learn they are out), and a
  // recruit, with the manifest, to each new member.
  std::set<Hash> told;
  for (const auto& m : old.members) told.insert(m.id);
  for (const auto& m : next.members) told.insert(m.id);
  for (const auto& c : plan.recruit) told.erase(c.id);
  Message vm;
  vm.type = MsgType::ViewUpdate;
  vm.object = g.id;
  vm.view = next;
  for (const auto& id : told) node_.send(out, id, vm);
  for (const auto& c : plan.recruit) {
    Message rm;
    rm.type = MsgType::Recruit;
    rm.object = g.id;
    rm.view = next;
    rm.manifest = g.manifest_bytes;
    // Whose data this is: the original sponsor, else whoever recruited us, else this node.
    rm.sponsor = g.origin ? g.origin : g.sponsor ? g.sponsor : std::optional<Hash>(self_);
    ++stats_.recruit_requests;
    node_.send(out, c.id, rm);
  }
}

}  // namespace butter::pcg
