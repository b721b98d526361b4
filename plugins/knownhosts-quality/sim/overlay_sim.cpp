// OverlaySim: running the world and measuring the overlay it ends with.
#include "overlay_sim.hpp"

#include "sim_world.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <numeric>

namespace butter::knownhosts::sim {

namespace {

std::size_t max_rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return static_cast<std::size_t>(std::stoull(line.substr(6)));
  return 0;
}

Distribution distribution(std::vector<std::size_t> v) {
  Distribution d;
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  auto at = [&v](double q) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  };
  d.min = v.front();
  d.p1 = at(0.01);
  d.p50 = at(0.5);
  d.p99 = at(0.99);
  d.max = v.back();
  d.histogram.assign(d.max + 1, 0);
  for (std::size_t x : v) ++d.histogram[x];
  return d;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

// Union-find over node indices.
struct Components {
  std::vector<std::uint32_t> parent;
  explicit Components(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0u); }
  std::uint32_t find(std::uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void join(std::uint32_t a, std::uint32_t b) { parent[find(a)] = find(b); }
};

}  // namespace

SimResult World::report() {
  SimResult r;
  r.live = live_.size();
  Components overlay(nodes_.size()), conns(nodes_.size());
  std::vector<std::size_t> in, out;
  for (std::uint32_t i : live_) {
    const Node& n = *nodes_[i];
    in.push_back(n.engine->neighbours().in_count());
    out.push_back(n.engine->neighbours().out_count());
    for (const std::string& id : n.engine->neighbours().all()) {
      const std::uint32_t j = index_of(id);
      if (j < nodes_.size() && nodes_[j]->alive) overlay.join(i, j);
    }
    for (const Conn& c : n.conns) conns.join(i, c.peer);
  }
  auto largest = [this](Components& c) {
    std::vector<std::size_t> size(nodes_.size(), 0);
    std::size_t best = 0;
    for (std::uint32_t i : live_) best = std::max(best, ++size[c.find(i)]);
    return best;
  };
  r.largest_component = largest(overlay);
  r.largest_component_conns = largest(conns);
  r.in_degree = distribution(in);
  r.out_degree = distribution(out);
  const double minutes = static_cast<double>(o_.measure_ms) / 60000.0;
  const double per = static_cast<double>(std::max<std::size_t>(1, r.live)) * minutes;
  r.membership_bytes_per_node_min = static_cast<double>(bytes_) / per;
  r.pex_bytes_per_node_min = static_cast<double>(pex_bytes_) / per;
  r.news_records_per_node_min = static_cast<double>(news_) / per;
  r.traffic = traffic_;
  r.node_minutes = per;
  r.joins = joins_;
  r.leaves = leaves_;
  r.newcomers_reached = low_water_s_.size();
  for (std::uint32_t i : live_)
    if (nodes_[i]->newcomer && !nodes_[i]->reached_low) ++r.newcomers_unreached_alive;
  r.newcomer_low_water_p50_s = quantile(low_water_s_, 0.5);
  r.newcomer_low_water_p90_s = quantile(low_water_s_, 0.9);
  r.newcomer_low_water_max_s = low_water_s_.empty() ? 0 : *std::max_element(low_water_s_.begin(), low_water_s_.end());
  r.newcomers_out_full = out_full_s_.size();
  r.newcomer_out_full_p50_s = quantile(out_full_s_, 0.5);
  r.events = events_;
  return r;
}

SimResult run_overlay_sim(const SimOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  SimResult r;
  {
    World w(o);
    r = w.run();
  }
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.max_rss_kib = max_rss_kib();
  return r;
}

const char* traffic_name(Traffic t) {
  switch (t) {
    case Traffic::ProbeAsk:
      return "quality probe ask";
    case Traffic::ProbeAnswer:
      return "quality probe answer";
    case Traffic::PexFrame:
      return "pex framing";
    case Traffic::OwnRecord:
      return "pex own record";
    case Traffic::SampleRecord:
      return "pex first-contact sample record";
    case Traffic::NewsRecord:
      return "pex news record";
    case Traffic::Count_:
      break;
  }
  return "?";
}

std::string describe(const Distribution& d) {
  std::string s = "min " + std::to_string(d.min) + ", p1 " + std::to_string(d.p1) + ", p50 " + std::to_string(d.p50) +
                  ", p99 " + std::to_string(d.p99) + ", max " + std::to_string(d.max) + "; histogram (degree:nodes)";
  for (std::size_t i = 0; i < d.histogram.size(); ++i)
    if (d.histogram[i]) s += " " + std::to_string(i) + ":" + std::to_string(d.histogram[i]);
  return s;
}

}  // namespace butter::knownhosts::sim
