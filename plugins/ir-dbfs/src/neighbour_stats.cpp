// NeighbourStats: decayed per-neighbour outcomes and the selection of a query's first hop.
#include "neighbour_stats.hpp"

#include <algorithm>
#include <limits>

namespace butter::dbfs {

const char* heuristic_name(Heuristic h) {
  switch (h) {
    case Heuristic::Results:
      return "results";
    case Heuristic::Time:
      return "time";
    case Heuristic::Hops:
      return "hops";
    case Heuristic::Random:
      return "random";
  }
  return "?";
}

bool parse_heuristic(std::string_view s, Heuristic& out) {
  for (Heuristic h : {Heuristic::Results, Heuristic::Time, Heuristic::Hops, Heuristic::Random}) {
    if (s == heuristic_name(h)) return out = h, true;
  }
  return false;
}

void NeighbourStats::on_sent(const std::string& peer) {
  auto it = records_.find(peer);
  if (it == records_.end()) {
    if (records_.size() >= max_records_) {
      // Forget the neighbour we asked least (most likely gone).
      auto least = std::min_element(records_.begin(), records_.end(),
                                    [](const auto& a, const auto& b) { return a.second.sent < b.second.sent; });
      records_.erase(least);
    }
    it = records_.emplace(peer, NeighbourRecord{}).first;
  }
  NeighbourRecord& r = it->second;
  r.sent = r.sent * decay_ + 1;
  r.results *= decay_;
  r.answered *= decay_;
  ++r.samples;
}

void NeighbourStats::on_hits(const std::string& peer, std::size_t count, std::uint64_t delay_ms, std::uint32_t hops,
                             bool first) {
  auto it = records_.find(peer);
  if (it == records_.end()) return;  // hits from a neighbour we never asked: nothing to credit
  NeighbourRecord& r = it->second;
  r.results += static_cast<double>(count);
  if (!first) return;
  r.answered += 1;
  const double a = r.answered <= 1 ? 1.0 : 0.2;  // the first sample sets the average
  r.first_ms += a * (static_cast<double>(delay_ms) - r.first_ms);
  r.hops += a * (static_cast<double>(hops) - r.hops);
}

const NeighbourRecord* NeighbourStats::find(const std::string& peer) const {
  auto it = records_.find(peer);
  return it == records_.end() ? nullptr : &it->second;
}

bool NeighbourStats::warm(const std::vector<std::string>& peers) const {
  for (const auto& p : peers) {
    const NeighbourRecord* r = find(p);
    if (r && r->samples >= min_samples_) return true;
  }
  return false;
}

double NeighbourStats::raw_score(const NeighbourRecord& r, Heuristic h) const {
  switch (h) {
    case Heuristic::Results:
      return r.sent > 0 ? r.results / r.sent : 0;
    case Heuristic::Time:
      // Never answered: worst. Else faster is better.
      return r.answered > 0.05 ? -r.first_ms : -std::numeric_limits<double>::max() / 4;
    case Heuristic::Hops:
      return r.answered > 0.05 ? -r.hops : -std::numeric_limits<double>::max() / 4;
    case Heuristic::Random:
      return 0;
  }
  return 0;
}

double NeighbourStats::score(const std::string& peer, Heuristic h) const {
  const NeighbourRecord* r = find(peer);
  if (r && r->samples >= min_samples_) return raw_score(*r, h);
  double best = -std::numeric_limits<double>::max();
  for (const auto& [id, rec] : records_)
    if (rec.samples >= min_samples_) best = std::max(best, raw_score(rec, h));
  return best;
}

std::vector<std::string> NeighbourStats::select(const std::vector<std::string>& peers, std::size_t k, Heuristic h,
                                                std::mt19937_64& rng) const {
  std::vector<std::string> out(peers);
  std::shuffle(out.begin(), out.end(), rng);  // random order: the fallback, and the tie-break
  if (h != Heuristic::Random && warm(peers)) {
    std::vector<std::pair<double, std::string>> scored;
    scored.reserve(out.size());
    for (auto& p : out) scored.emplace_back(score(p, h), std::move(p));
    std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    out.clear();
    for (auto& [s, p] : scored) out.push_back(std::move(p));
  }
  if (out.size() > k) out.resize(k);
  return out;
}

}  // namespace butter::dbfs
