// The repair planner (see repair.hpp).
#include "repair.hpp"

#include <algorithm>
#include <bit>

namespace butter::pcg {

std::vector<Candidate> pick_candidates(const std::vector<Candidate>& candidates, const View& view, std::size_t k) {
  std::vector<Candidate> pool;
  std::set<Hash> seen;
  for (const auto& c : candidates) {
    if (view.contains(c.id) || !seen.insert(c.id).second) continue;
    pool.push_back(c);
  }
  auto quality = [](const Candidate& c) {
    return c.quality_class < 0 ? -1 : std::popcount(static_cast<unsigned>(c.quality_class & 7));
  };
  std::vector<Candidate> out;
  std::set<std::int32_t> used_classes;
  while (out.size() < k && !pool.empty()) {
    // Best: a class not picked yet, then more high-quality bits; ties keep the given order
    // (butter.peers/1 sample() is already random and diverse).
    auto best = pool.begin();
    for (auto it = pool.begin(); it != pool.end(); ++it) {
      const bool fresh_it = !used_classes.count(it->quality_class);
      const bool fresh_best = !used_classes.count(best->quality_class);
      if (fresh_it != fresh_best) {
        if (fresh_it) best = it;
        continue;
      }
      if (quality(*it) > quality(*best)) best = it;
    }
    used_classes.insert(best->quality_class);
    out.push_back(std::move(*best));
    pool.erase(best);
  }
  return out;
}

RepairPlan plan_repair(const RepairInput& in) {
  RepairPlan plan;
  const View& v = *in.view;
  std::vector<Hash> kept;
  bool source = in.complete(in.self);
  for (const auto& m : v.members) {
    if (m.id != in.self && in.remove(m.id)) {
      plan.remove.push_back(m.id);
    } else {
      kept.push_back(m.id);
      if (in.complete(m.id)) source = true;
    }
  }
  if (kept.size() < in.r) {
    if (source) plan.recruit = pick_candidates(in.candidates, v, in.r - kept.size());
  } else if (kept.size() > in.r) {
    std::vector<Hash> others;
    for (const auto& id : kept)
      if (id != in.self) others.push_back(id);
    // Shed first: incomplete before complete, then the highest rank.
    std::sort(others.begin(), others.end(), [&](const Hash& a, const Hash& b) {
      const bool ca = in.complete(a), cb = in.complete(b);
      if (ca != cb) return !ca;
      const auto ra = rank(in.object, a), rb = rank(in.object, b);
      if (ra != rb) return ra > rb;
      return a < b;
    });
    const std::size_t excess = kept.size() - in.r;
    plan.shed.assign(others.begin(), others.begin() + static_cast<std::ptrdiff_t>(std::min(excess, others.size())));
  }
  return plan;
}

}  // namespace butter::pcg
