// Group: what one node knows of one object's Peer Content Group: the object (manifest, the blocks
// held or being fetched), this node's view of the group, what it knows of each member (liveness,
// recruits, proofs: MemberState), the members' possession checks (possession_state.hpp), members
// lately removed, and the put, recruit and repair deadlines that concern the group. Plain data
// with the questions about members everyone asks; the Engine and its collaborators change it.
#pragma once
#include "block_transfer.hpp"
#include "blocks.hpp"
#include "possession_state.hpp"
#include "view.hpp"

#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <vector>

namespace butter::pcg {

// A member removed from the view, still sent heartbeat entries for a while (backing off) so that
// it learns it is out, and heard as a former member across a partition (engine_messages.cpp).
struct Departed {
  std::uint64_t until = 0;       // forgotten after this
  std::uint64_t next_probe = 0;  // next heartbeat entry sent to it
  std::uint64_t interval = 0;    // doubles after each probe, up to 32 heartbeats
};
// What this node knows of one member of a group (issue 20: one map of these instead of five
// parallel maps and sets). Heard, joined and proven are kept for members of the view only
// (forget_non_members); a pending recruit and a refusal outlive a view change (the recruit's
// ack still times out; the refused one is removed by the leader's next repair), so an entry
// lasts while either is set. Bounded as the view is: kMaxMembers per view.
struct MemberState {
  std::optional<std::uint64_t> heard;      // last heartbeat or group message (or when it joined my view)
  std::optional<std::uint64_t> joined;     // when it entered my view
  std::optional<std::uint64_t> recruited;  // recruit sent, ack pending: when
  bool proven = false;                     // proved it holds every block (possession.hpp); self: holds it
  bool refused = false;                    // declined the recruit, never answered it, or failed a challenge
  bool empty() const { return !heard && !joined && !recruited && !proven && !refused; }
};
struct Group {
  Hash id{};
  Manifest manifest;
  std::vector<std::uint8_t> manifest_bytes;
  BlockTransfer data;  // the blocks held, and those being fetched while not complete
  bool complete = false;
  std::uint64_t reserved = 0;
  View view;
  std::map<Hash, MemberState> members;  // member -> what this node knows of it
  Possession possession;                // the other members' proofs: challenges pending, audits due
  std::map<Hash, Departed> departed;    // removed members still sent heartbeats
  std::uint64_t next_repair = 0;
  std::optional<std::uint64_t> put_ticket;
  std::uint64_t put_deadline = 0;
  // The peer whose RECRUIT brought the object here (charged to its quota); unset for puts on
  // this node and copies restored from disk.
  std::optional<Hash> sponsor;
  // The peer the recruiter named as the object's original sponsor (the node that first placed
  // it), when another: charged too, so that a peer's data held here stays within its quota
  // however many leaders re-replicate it. Named again in the recruits this node sends.
  std::optional<Hash> origin;
  // An unfinished recruit gives its reservation back at the first of these (0: none).
  std::uint64_t fill_deadline = 0;
  std::uint64_t idle_deadline = 0;

  const MemberState* member(const Hash& m) const {
    auto it = members.find(m);
    return it == members.end() ? nullptr : &it->second;
  }
  bool is_proven(const Hash& m) const {
    const MemberState* s = member(m);
    return s && s->proven;
  }
  bool is_refused(const Hash& m) const {
    const MemberState* s = member(m);
    return s && s->refused;
  }
  std::optional<std::uint64_t> joined_at(const Hash& m) const {
    const MemberState* s = member(m);
    return s ? s->joined : std::nullopt;
  }
  // Membership authority (Engine::on_view): a copy this node holds but whose view no longer
  // names it is "retiring": kept, served, persisted, until confirmed elsewhere; then dropped.
  bool retiring(const Hash& self) const { return !view.contains(self); }
  // After a view change: heard, joined and proven go for ids not in `v` (except the proof of
  // `keep_proof`: this node, which holds its copy while it retires); entries left empty go.
  void forget_non_members(const View& v, const Hash& keep_proof) {
    for (auto it = members.begin(); it != members.end();) {
      if (!v.contains(it->first)) {
        it->second.heard.reset();
        it->second.joined.reset();
        if (it->first != keep_proof) it->second.proven = false;
      }
      it = it->second.empty() ? members.erase(it) : std::next(it);
    }
  }
};

}  // namespace butter::pcg
