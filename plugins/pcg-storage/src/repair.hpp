// The repair planner: what the leader of a group changes in its view, as a pure function of
// the view, what the leader knows about each member, and fresh recruitment candidates.
//
//   1. remove members that are suspected (missed too many heartbeats), declined the recruit, or
//      stalled (still incomplete long after being recruited);
//   2. below r: recruit r - size candidates, but only while some live member holds every block
//      (a recruit needs a source); candidates are preferred by quality (more "high" bits in
//      their quality class) and diversity (a class not yet picked first);
//   3. above r: shed the excess, never the leader, incomplete members before complete ones,
//      then the highest rendezvous rank first (the same choice on every node).
#pragma once
#include "view.hpp"

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace butter::pcg {

struct Candidate {
  Hash id{};
  std::vector<std::string> endpoints;
  std::int32_t quality_class = -1;  // 0..7 from butter.peers/1, -1 unknown
};

struct RepairInput {
  Hash object{};
  Hash self{};
  std::uint32_t r = 3;
  const View* view = nullptr;
  std::function<bool(const Hash&)> remove;    // suspected, refused or stalled (never asked for self)
  std::function<bool(const Hash&)> complete;  // holds every block (asked for self too)
  std::vector<Candidate> candidates;          // not members, not cooling down
};

struct RepairPlan {
  std::vector<Hash> remove;
  std::vector<Hash> shed;
  std::vector<Candidate> recruit;
  bool changes() const { return !remove.empty() || !shed.empty() || !recruit.empty(); }
};

RepairPlan plan_repair(const RepairInput& in);

// Orders candidates by preference (see above) and returns the first `k` that are not members.
std::vector<Candidate> pick_candidates(const std::vector<Candidate>& candidates, const View& view, std::size_t k);

}  // namespace butter::pcg
