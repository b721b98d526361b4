// GroupRepair: the repair of the groups this node leads. At each group's repair time the leader
// rule (view.hpp: the first member in the group's order that is not suspected) says whether this
// node leads it; the leader feeds what it knows of the members (silent, refused, proven, still
// filling, stalled) and, when the group is short of members, diverse candidates (placement.hpp)
// to the pure planner (repair.hpp), then carries out its plan: the next view, sent to every
// member old and new, and a RECRUIT with the manifest to each new member. It owns no state of its
// own (the repair time and what it knows of members are the group's); it reaches the node only
// through RepairNode. How the leader judges members: group_repair.cpp.
#pragma once
#include "engine_types.hpp"
#include "group.hpp"
#include "messages.hpp"
#include "repair.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace butter::pcg {

// What the repair needs from the node it runs on (the Engine implements it).
class RepairNode {
 public:
  // Up to k hosts to recruit from (Env::candidates), and the address this node sees for one.
  virtual std::vector<Candidate> candidates(std::size_t k) = 0;
  virtual std::string observed_address(const Hash& id) = 0;
  // Silent, or failed a challenge: it neither counts nor leads.
  virtual bool suspected(const Group& g, const Hash& m, std::uint64_t now) const = 0;
  // `id` declined a recruit or failed a challenge lately: not recruited now.
  virtual bool cooling(const Hash& id) const = 0;
  virtual void learn(const Candidate& c) = 0;  // endpoints of a recruit
  virtual void send(Output& out, const Hash& to, const Message& m) = 0;
  // Members of `old` missing from g.view are departed (Heartbeats::note_departures).
  virtual void note_departures(Group& g, const View& old, std::uint64_t now) = 0;

 protected:
  ~RepairNode() = default;  // not owned through this interface
};

class GroupRepair {
 public:
  // `cfg` and `stats` are the node's (read and counted into); all three outlive this object.
  GroupRepair(Hash self, const Config& cfg, Stats& stats, RepairNode& node)
      : self_(self), cfg_(cfg), stats_(stats), node_(node) {}
  GroupRepair(const GroupRepair&) = delete;  // holds references into its owner
  GroupRepair& operator=(const GroupRepair&) = delete;

  // Per tick and group: at the group's repair time, repairs it when this node leads it, and sets
  // the next repair time half a heartbeat on.
  void step(Group& g, std::uint64_t now, Output& out);
  // One repair of `g` led by this node (a put's new group repairs at once).
  void repair(Group& g, std::uint64_t now, Output& out);

 private:
  Hash self_;
  const Config& cfg_;
  Stats& stats_;
  RepairNode& node_;
};

}  // namespace butter::pcg
