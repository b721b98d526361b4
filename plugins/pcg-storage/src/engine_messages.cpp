// Engine, continued: the group protocol's messages (heartbeats, views, recruits) and the block
// transfers they start. Kept apart from engine.cpp (put, time, repair, queries) so that each file
// holds one concern of the one engine.
#include "engine.hpp"

#include "deadlines.hpp"

#include <algorithm>

namespace butter::pcg {

// --- block transfers ----------------------------------------------------------------------------

bool Engine::pump(Group& g, std::uint64_t now, Output& out) {
  return g.data.pump(*this, g.manifest, g.id, group_sources(g), now, out);
}

void Engine::note_alive(const Hash& from, const Message& m, std::uint64_t now) {
  // Views, recruits and heartbeats have their own rules (membership authority, on_view); LOCATE
  // and its answer are anyone's. The rest name one object and come from whoever sent them.
  switch (m.type) {
    case MsgType::Heartbeat:
    case MsgType::ViewUpdate:
    case MsgType::Recruit:
    case MsgType::Locate:
    case MsgType::Located:
      return;
    default:
      break;
  }
  // Only what shows it takes part in the group: a node that answers NOT_FOUND to our FETCH, or
  // declines a recruit, is alive but holds nothing of it, and stays suspected as before.
  if ((m.type == MsgType::Block || m.type == MsgType::Proof || m.type == MsgType::RecruitAck) && m.status != BUTTER_OK)
    return;
  Group* g = group(m.object);
  if (!g || !g->view.contains(from)) return;  // only current members: a stranger's traffic proves nothing
  MemberState& s = g->members[from];
  s.heard = std::max(s.heard.value_or(0), now);
  // A recruit asking for blocks has accepted: its FETCH stands for an ack that a loaded link
  // delivered late (else the leader would drop a recruit that is already filling its copy).
  if (m.type == MsgType::Fetch) s.recruited.reset();
}

// --- messages -----------------------------------------------------------------------------------

void Engine::on_message(const Hash& from, std::span<const std::uint8_t> bytes, std::uint64_t now, Output& out) {
  std::string why;
  auto m = decode(bytes, why);
  if (!m) {
    ++stats_.bad_messages;
    return;
  }
  ++stats_.received[static_cast<std::size_t>(m->type)];
  if (from == self_) return;
  note_alive(from, *m, now);
  switch (m->type) {
    case MsgType::Heartbeat:
      on_heartbeat(from, *m, now, out);
      break;
    case MsgType::ViewUpdate:
      on_view(from, m->object, m->view, std::nullopt, now, out);
      break;
    case MsgType::Recruit:
      on_recruit(from, *m, now, out);
      break;
    case MsgType::RecruitAck:
      on_recruit_ack(from, *m, now);
      break;
    case MsgType::Fetch:
      on_fetch(from, *m, now, out);
      break;
    case MsgType::Block:
      on_block(from, *m, now, out);
      break;
    case MsgType::Locate:
      on_locate(from, *m, now, out);
      break;
    case MsgType::Located:
      on_located(from, *m, now, out);
      break;
    case MsgType::Have:
      on_have(from, *m, now, out);
      break;
    case MsgType::Challenge:
      checks_.on_challenge(group(m->object), from, *m, now, out);
      break;
    case MsgType::Proof:
      if (Group* g = group(m->object)) checks_.on_proof(*g, from, *m, now, out);
      break;
  }
}

void Engine::on_heartbeat(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  std::vector<HeartbeatEntry> reply;  // at most one per entry received (<= kMaxHeartbeatEntries)
  for (const auto& e : m.entries) on_view(from, e.object, e.view, e.complete, now, out, &reply);
  if (reply.empty()) return;
  Message hb;
  hb.type = MsgType::Heartbeat;
  hb.entries = std::move(reply);
  send(out, from, hb);
}

// Membership authority. A group's membership changes here only on the word of a CURRENT member
// of this node's view of the group, identified by `from`, the node id the transport proved
// (never an id written inside the message):
//  - VIEW, HEARTBEAT views and RECRUITs for a held group from anyone else change nothing (counted
//    in non_member_messages; RECRUITs also in non_member_recruits);
//  - a current member's newer view is adopted (views converge by their total order), even one
//    that leaves this node out; but then this node only *retires* its copy: it keeps holding,
//    serving and persisting it until confirmed_elsewhere() (r other live members proved to this
//    node that they hold every block). No message deletes a copy that may be the last one.
//  - partition merge: a FORMER member (g->departed: removed from our view within departed_ms,
//    so once vouched for by a member) is heard in two cases only, both of which only ADD members:
//    a view naming every member of ours (nobody removed, this node kept), or a group of the same
//    object disjoint from ours, which is joined with ours (union of both). A stranger was never
//    in our view, so it is never in departed: it can neither join, merge nor remove anyone.
void Engine::on_view(const Hash& from, const Hash& object, const View& v, std::optional<bool> complete,
                     std::uint64_t now, Output& out, std::vector<HeartbeatEntry>* reply) {
  Group* g = group(object);
  if (!g) {
    ++stats_.non_member_messages;  // a group this node is not in (any more)
    return;
  }
  if (!g->view.contains(from)) {
    // A member this node saw removed (g->departed, e.g. across a partition) may come back with a
    // group of its own for the object. Only such a former member is heard here: a stranger can
    // neither join a group nor change it.
    if (g->departed.count(from) && v.contains(from)) {
      // The group as it now stands after a merge (below): it names every one of our members and
      // more, and ranks above our view.
      bool superset = true;
      for (const auto& m : g->view.members) superset = superset && v.contains(m.id);
      if (superset && outranks(v, g->view)) {
        g->members[from].heard = now;
        if (complete && *complete) checks_.claim(*g, from, now, out);
        adopt(*g, v, now, out);
        return;
      }
      // A group naming none of our members: both halves of a partition repaired the group with
      // their own nodes. Both hold the object; join them, and the leader sheds the extra members.
      if (g->view.contains(self_) && disjoint(v, g->view)) {
        merge_groups(*g, from, v, complete, now, out);
        return;
      }
    }
    // Refused: not a member of the group as this node knows it. If the sender is behind, tell it
    // the current view (a node that restarted after being replaced learns it is out).
    ++stats_.non_member_messages;
    if (reply && complete && g->view.contains(self_) && !v.contains(from) && !v.members.empty()) {
      // A retiring holder (removed, still holding its copy) asks, with its heartbeat, whether the
      // group holds the object without it: our entry (view, whether we hold every block) is
      // what it needs to let go. It changes nothing here and tells no more than LOCATE does.
      // It will challenge our claim: noted, so that we answer (within a shared rate).
      if (*complete) checks_.note_retiring_holder(*g, from, now);
      // Our view, however little the sender sent (an entry of 75 bytes may get a view of 64
      // members back), to a non-member: charged to its serve rate as a LOCATED is (each entry as
      // if sent alone), and so is the VIEW below. Over it nothing is sent; the sender asks again
      // with its next heartbeat.
      Message one;
      one.type = MsgType::Heartbeat;
      one.entries.push_back(HeartbeatEntry{object, g->complete, g->view});
      if (!within_serve_rate(from, encoded_size(one), now)) {
        ++stats_.view_replies_busy;
        return;
      }
      reply->push_back(std::move(one.entries.front()));
      return;
    }
    if (g->view.contains(self_) && outranks(g->view, v)) {
      Message vm;
      vm.type = MsgType::ViewUpdate;
      vm.object = object;
      vm.view = g->view;
      if (!within_serve_rate(from, encoded_size(vm), now)) {
        ++stats_.view_replies_busy;
        return;
      }
      send(out, from, vm);
    }
    return;
  }
  g->members[from].heard = now;
  if (complete) {
    if (*complete) {
      checks_.claim(*g, from, now, out);  // counted once it proves it (possession.hpp)
    } else {
      checks_.disclaim(*g, from);
    }
  }
  adopt(*g, v, now, out);
  if ((g = group(object)) && g->retiring(self_)) retire_if_confirmed(*g, now, out);
}

void Engine::merge_groups(Group& g, const Hash& from, const View& v, std::optional<bool> complete, std::uint64_t now,
                          Output& out) {
  View joined = g.view;
  for (const auto& m : v.members) joined.add(m);
  if (joined.size() > kMaxMembers) {
    ++stats_.non_member_messages;  // cannot be named in one view; the groups stay apart
    return;
  }
  // Both sides computing the merge from the same two views make the same view; otherwise the
  // usual order picks one, and it names every member of both.
  joined.version = std::max(g.view.version, v.version) + 1;
  ++stats_.groups_merged;
  g.members[from].heard = now;
  if (complete && *complete) checks_.claim(g, from, now, out);
  adopt(g, joined, now, out);
  Message vm;
  vm.type = MsgType::ViewUpdate;
  vm.object = g.id;
  vm.view = joined;
  for (const auto& m : joined.members)
    if (m.id != self_) send(out, m.id, vm);
  g.next_repair = now;  // if this node leads the joined group, it sheds at once
}

void Engine::on_recruit(const Hash& from, Message& m, std::uint64_t now, Output& out) {
  Message ack;
  ack.type = MsgType::RecruitAck;
  ack.object = m.object;
  ack.number = m.view.version;
  if (!m.view.contains(self_) || !m.view.contains(from)) {
    ++stats_.bad_messages;
    ack.status = BUTTER_E_INVALID;
    ack.reason = "recruit view must name the recruit and the leader";
    send(out, from, ack);
    return;
  }
  if (Group* g = group(m.object)) {
    // A RECRUIT for a group held here is a membership change like a VIEW: only a current member
    // of our view may make it (see on_view). A stranger's recruit is ignored, unanswered.
    if (!g->view.contains(from)) {
      ++stats_.non_member_messages;
      ++stats_.non_member_recruits;
      return;
    }
    g->members[from].heard = now;
    adopt(*g, m.view, now, out);
    ack.status = BUTTER_OK;
    send(out, from, ack);
    return;
  }
  std::string why;
  auto man = verify_manifest(m.object, m.manifest, why);
  if (!man) {
    ++stats_.bad_messages;
    ack.status = BUTTER_E_INVALID;
    ack.reason = why;
    send(out, from, ack);
    return;
  }
  const std::uint64_t cost = man->size + m.manifest.size();
  // The recruiting peer pays from its quota here, then the node's budget: one peer cannot claim
  // more than peer_quota_bytes of this node, however many RECRUITs it sends.
  // A named original sponsor is charged too (bounds one peer's data here however many leaders
  // re-replicate it). A leader naming someone else only spends that peer's quota while spending
  // its own as well, so it cannot place more than its own quota by naming others.
  std::optional<Hash> origin;
  if (m.sponsor && *m.sponsor != from && *m.sponsor != self_) origin = *m.sponsor;
  const bool quota_ok = quota_.reserve(from, cost, why);
  const bool origin_ok = quota_ok && (!origin || quota_.reserve(*origin, cost, why));
  if (!origin_ok || !budget_.reserve(cost, why)) {
    if (quota_ok) quota_.release(from, cost);
    if (origin_ok && origin) quota_.release(*origin, cost);
    if (!origin_ok) ++stats_.recruits_over_quota;
    ++stats_.recruits_declined;
    ack.status = BUTTER_E_NOMEM;
    ack.reason = why;
    send(out, from, ack);
    return;
  }
  Group g;
  g.id = m.object;
  g.manifest = std::move(*man);
  g.manifest_bytes = std::move(m.manifest);
  g.reserved = cost;
  g.sponsor = from;
  g.origin = origin;
  // The object's size at the slowest rate allowed on top of complete_timeout_ms: a big object on a
  // slow link still fills; a leader that stops sending is cut off by reservation_idle_ms.
  g.fill_deadline = now + cfg_.complete_timeout_ms + transfer_ms(g.manifest.size, cfg_.min_transfer_bytes_per_s);
  g.idle_deadline = now + cfg_.reservation_idle_ms;
  g.view = m.view;
  learn(g.view);
  for (const auto& mem : g.view.members) {
    MemberState& s = g.members[mem.id];
    s.heard = now;
    s.joined = now;
  }
  const std::size_t n = g.manifest.blocks.size();
  g.data.expect(n);
  g.next_repair = now + cfg_.heartbeat_ms;  // let the leader's view settle before leading
  auto [it, inserted] = groups_.emplace(g.id, std::move(g));
  ack.status = BUTTER_OK;
  send(out, from, ack);
  out.events.push_back(Event{EventKind::ViewChanged, 0, BUTTER_OK, it->first, 0, {}, {}});
  Group& gr = it->second;
  // The leader recruits only with a source; it is the likely one, so it is asked first. It counts
  // as holding only once it proves it (its heartbeats claim it).
  gr.possession.claim(from);
  if (n == 0) {
    if (const butter_status st = became_complete(gr, why, out); st != BUTTER_OK) cannot_keep(gr, st, why, out);
  } else {
    pump(gr, now, out);
  }
}

void Engine::on_recruit_ack(const Hash& from, const Message& m, std::uint64_t now) {
  Group* g = group(m.object);
  if (!g) return;
  auto it = g->members.find(from);
  if (it == g->members.end() || !it->second.recruited) {
    // A member that accepted, fetched, and then could not store the copy (its disk is full) says
    // so with a late failing ack: it holds nothing, so the leader replaces it now rather than
    // after complete_timeout_ms. Only the sender's own membership is affected.
    if (m.status != BUTTER_OK && from != self_ && g->view.contains(from) && !g->is_proven(from)) {
      ++stats_.recruit_refused;
      g->members[from].refused = true;
      cooldown_[from] = now + cfg_.refuse_cooldown_ms;
      g->next_repair = now;
    }
    return;  // otherwise: not ours, or already timed out
  }
  MemberState& s = it->second;
  s.recruited.reset();
  s.heard = now;
  if (m.status != BUTTER_OK) {
    ++stats_.recruit_refused;
    s.refused = true;
    cooldown_[from] = now + cfg_.refuse_cooldown_ms;
    g->next_repair = now;  // recruit someone else at once
  }
}

void Engine::on_have(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  Group* g = group(m.object);
  if (!g) return;
  if (!g->view.contains(from)) {
    ++stats_.non_member_messages;
    return;
  }
  g->members[from].heard = now;
  checks_.claim(*g, from, now, out);  // HAVE is a claim: counted once proven (possession.hpp)
}

void Engine::on_fetch(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  Message b;
  b.type = MsgType::Block;
  b.object = m.object;
  b.index = m.index;
  Group* g = group(m.object);
  if (g && g->data.has(m.index)) {
    // Anyone may read (FETCH is how a get works), but a peer outside the group only at its serve
    // rate: otherwise one peer, or many ids, could keep this node sending blocks at wire speed.
    if (!g->view.contains(from) && !within_serve_rate(from, g->data.blocks()[m.index].size(), now)) {
      b.status = BUTTER_E_AGAIN;
      ++stats_.fetches_busy;
      send(out, from, b);
      return;
    }
    b.status = BUTTER_OK;
    b.data = g->data.blocks()[m.index];
    ++stats_.blocks_served;
  } else {
    b.status = BUTTER_E_NOT_FOUND;
  }
  send(out, from, b);
}

void Engine::on_block(const Hash& from, Message& m, std::uint64_t now, Output& out) {
  if (Group* g = group(m.object); g && !g->complete) {
    // Only the answer to the group's own request: a get or a streamed read on this node may
    // have asked another member for the same block, and its answer is theirs (below).
    if (g->data.asked(m.index, from)) {
      if (g->data.accept(*this, g->manifest, from, m, now) && !block_filled(*g, now, out)) return;
      pump(*g, now, out);
      return;
    }
  }
  if (gets_.on_block(from, m, now, out)) return;
  if (reads_.on_block(from, m, now, out)) return;
  if (Group* g = group(m.object); g && accept_late_block(*g, from, m, now, out)) return;
  // A late answer nobody needs any more, or one nobody asked for: ignored. A block that does not
  // match its hash is counted even then.
  if (m.status == BUTTER_OK) {
    if (Group* g = group(m.object); g && !verify_block(g->manifest, m.index, m.data)) ++stats_.bad_blocks;
  }
}

bool Engine::block_filled(Group& g, std::uint64_t now, Output& out) {
  g.idle_deadline = now + cfg_.reservation_idle_ms;  // progress: the reservation holds on
  if (g.data.have_count() < g.manifest.blocks.size()) return true;
  std::string why;
  if (const butter_status st = became_complete(g, why, out); st != BUTTER_OK) cannot_keep(g, st, why, out);
  return false;
}

bool Engine::accept_late_block(Group& g, const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  // A get's or a read's own answers were offered to them first (BlockTransfer::accept_late).
  if (g.complete || !g.data.accept_late(*this, g.manifest, from, m, now)) return false;
  if (block_filled(g, now, out)) pump(g, now, out);
  return true;
}

}  // namespace butter::pcg
