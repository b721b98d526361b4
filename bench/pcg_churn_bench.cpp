// Availability under churn for pcg-storage: a discrete-event simulation of hundreds of nodes in
// one process (virtual time, in-memory links with 5-20 ms delay), driving the plugin's own
// Engine (plugins/pcg-storage/src/engine.cpp) through SimCluster (its sim/sim_cluster.hpp) — the same code
// the plugin runs, with the plugin's default timings (heartbeat 1 s, 3 misses, 100 ms ticks).
//
// The Go prototype's table: 250 nodes, r = 3, 30 s of churn in which every live node dies with
// probability p each second and is not replaced; then the share of objects still retrievable.
// Baseline, measured in the same run: the same placement and the same deaths with repair off
// (no heartbeats, no recruitment) — what replication alone gives.
//
// "Retrievable" is measured by a real get for every object from a random live node that never
// held it, after the churn, with the holders a search index would name as candidates (every
// node that reported the object stored and has not dropped it, live or dead). Messages are
// every message nodes sent during the churn window, split into heartbeats and repair (views,
// recruits, acks, block transfers, "have", possession challenges and proofs); the gets after
// the window are not counted.
//
// Usage: butter-bench-pcg-churn [seeds=3] [objects=500]
#include "sim_cluster.hpp"

#include <cstdio>
#include <cstdlib>
#include <set>

using namespace butter::pcg;

namespace {

constexpr std::size_t kNodes = 250;
constexpr std::uint64_t kWarmupMs = 15000;
constexpr std::uint64_t kChurnMs = 30000;
constexpr std::uint64_t kGetWindowMs = 15000;
constexpr std::size_t kObjectBytes = 16 * 1024;

struct Result {
  std::size_t objects = 0;
  std::size_t placed = 0;     // objects with r holders before the churn
  std::size_t held = 0;       // objects a live node holds completely after the churn
  std::size_t retrieved = 0;  // gets that returned the right bytes
  std::size_t dead = 0;
  std::uint64_t heartbeats = 0, repair_msgs = 0;
  // Proof of possession over the whole run (placement and churn), all nodes: challenges sent,
  // proofs that failed, challenges unanswered after a retry (mostly to members that died).
  std::uint64_t challenges = 0, proofs_failed = 0, proof_timeouts = 0;
};

Result run(double p, bool repair, std::uint64_t seed, std::size_t objects) {
  SimCluster::Options o;
  o.nodes = kNodes;
  o.cfg = Config{};  // the plugin's defaults
  o.cfg.block_size = 4096;
  o.tick_ms = 100;
  o.seed = seed;
  SimCluster sim(o);
  std::mt19937_64 data_rng(seed * 31 + 7);
  std::vector<Hash> ids;
  std::vector<std::vector<std::uint8_t>> datas;
  for (std::size_t k = 0; k < objects; ++k) {
    std::vector<std::uint8_t> data(kObjectBytes);
    for (auto& b : data) b = static_cast<std::uint8_t>(data_rng());
    const std::size_t at = k % kNodes;
    Hash id{};
    sim.act(at, [&](Engine& e, Output& out) {
      std::string why;
      if (e.put(k + 1, data, {}, sim.now(), id, why, out) != BUTTER_OK) std::abort();
    });
    ids.push_back(id);
    datas.push_back(std::move(data));
  }
  // The holders a search index would report: Stored minus Dropped events, per object.
  std::map<Hash, std::set<std::size_t>> index;
  auto absorb = [&] {
    for (auto& [n, e] : sim.take_events()) {
      if (e.kind == EventKind::Stored) index[e.object].insert(n);
      if (e.kind == EventKind::Dropped) index[e.object].erase(n);
    }
  };
  sim.run_until(kWarmupMs);
  absorb();
  Result r;
  r.objects = objects;
  for (const auto& id : ids) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < kNodes; ++i) n += sim.engine(i).holds(id) ? 1 : 0;
    r.placed += n >= 3 ? 1 : 0;
  }
  if (!repair)
    for (std::size_t i = 0; i < kNodes; ++i) sim.engine(i).set_repair(false);
  // Deaths: the same sequence for a given seed whatever the mode.
  std::mt19937_64 churn(seed * 1000003 + 11);
  std::uniform_real_distribution<double> u(0, 1);
  sim.reset_counts();
  for (std::uint64_t s = 1; s <= kChurnMs / 1000; ++s) {
    for (std::size_t i = 0; i < kNodes; ++i) {
      const bool dies = u(churn) < p;  // drawn for every node every second: same stream both modes
      if (dies && sim.alive(i)) sim.kill(i);
    }
    sim.run_until(kWarmupMs + s * 1000);
    absorb();
  }
  for (const auto& [t, n] : sim.sent_by_type()) {
    if (t == MsgType::Heartbeat) {
      r.heartbeats += n;
    } else {
      r.repair_msgs += n;
    }
  }
  for (std::size_t i = 0; i < kNodes; ++i) {
    r.dead += sim.alive(i) ? 0 : 1;
    const Stats& st = sim.engine(i).stats();
    r.challenges += st.challenges_sent;
    r.proofs_failed += st.proofs_failed;
    r.proof_timeouts += st.proof_timeouts;
  }
  std::vector<std::size_t> alive;
  for (std::size_t i = 0; i < kNodes; ++i)
    if (sim.alive(i)) alive.push_back(i);
  std::map<std::uint64_t, std::size_t> ticket_obj;
  for (std::size_t k = 0; k < ids.size(); ++k) {
    for (auto i : alive) {
      if (sim.engine(i).holds(ids[k])) {
        ++r.held;
        break;
      }
    }
    if (alive.empty()) continue;
    std::size_t asker = alive[churn() % alive.size()];
    for (int tries = 0; tries < 20 && index[ids[k]].count(asker); ++tries) asker = alive[churn() % alive.size()];
    std::vector<Candidate> cands;
    for (auto h : index[ids[k]]) cands.push_back(Candidate{sim.id(h), {}, -1});
    const std::uint64_t ticket = 1000000 + k;
    ticket_obj[ticket] = k;
    sim.act(asker, [&](Engine& e, Output& out) { e.get(ticket, ids[k], cands, false, sim.now(), out); });
  }
  sim.run_until(sim.now() + kGetWindowMs);
  for (auto& [n, e] : sim.take_events()) {
    if (e.kind != EventKind::GetDone) continue;
    auto it = ticket_obj.find(e.ticket);
    if (it != ticket_obj.end() && e.status == BUTTER_OK && e.data == datas[it->second]) ++r.retrieved;
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const int seeds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  const std::size_t objects = argc > 2 ? static_cast<std::size_t>(std::max(1, std::atoi(argv[2]))) : 500;
  struct Row {
    const char* label;
    double p;
    double go;
  } rows[] = {{"1/50", 1.0 / 50, 74.8},
              {"1/100", 1.0 / 100, 88.4},
              {"1/1000", 1.0 / 1000, 98.4},
              {"1/10000", 1.0 / 10000, 100.0}};
  std::printf(
      "pcg-storage availability under churn: %zu nodes, r = 3, %zu objects of %zu KiB, %d seed(s),\n"
      "%llu s of churn (no replacement), plugin default timings; baseline = same deaths, repair off\n\n",
      kNodes, objects, kObjectBytes / 1024, seeds, static_cast<unsigned long long>(kChurnMs / 1000));
  std::printf("%-8s %6s | %9s %9s %9s | %9s %9s | %8s %10s %10s %9s\n", "p/s", "dead", "retrieved", "held", "Go proto",
              "baseline", "vs base", "hb msg/s", "repair m/s", "msg/s/node", "repair/obj");
  for (const auto& row : rows) {
    Result on{}, off{};
    double dead = 0;
    for (int s = 0; s < seeds; ++s) {
      const auto seed = static_cast<std::uint64_t>(s + 1);
      Result a = run(row.p, true, seed, objects);
      Result b = run(row.p, false, seed, objects);
      on.objects += a.objects;
      on.placed += a.placed;
      on.held += a.held;
      on.retrieved += a.retrieved;
      on.heartbeats += a.heartbeats;
      on.repair_msgs += a.repair_msgs;
      on.challenges += a.challenges;
      on.proofs_failed += a.proofs_failed;
      on.proof_timeouts += a.proof_timeouts;
      off.objects += b.objects;
      off.retrieved += b.retrieved;
      off.held += b.held;
      dead += static_cast<double>(a.dead);
    }
    const double secs = static_cast<double>(kChurnMs) / 1000.0 * seeds;
    const double ret = 100.0 * static_cast<double>(on.retrieved) / static_cast<double>(on.objects);
    const double held = 100.0 * static_cast<double>(on.held) / static_cast<double>(on.objects);
    const double base = 100.0 * static_cast<double>(off.retrieved) / static_cast<double>(off.objects);
    const double hb = static_cast<double>(on.heartbeats) / secs;
    const double rep = static_cast<double>(on.repair_msgs) / secs;
    std::printf("%-8s %6.1f | %8.2f%% %8.2f%% %8.1f%% | %8.2f%% %8.2fx | %8.0f %10.1f %10.2f %9.2f\n", row.label,
                dead / seeds, ret, held, row.go, base, base > 0 ? ret / base : 0.0, hb, rep,
                (hb + rep) / static_cast<double>(kNodes),
                static_cast<double>(on.repair_msgs) / static_cast<double>(on.objects));
    std::printf("  possession (repair on, %d seed(s)): %llu challenges, %llu proofs failed, %llu timed out\n", seeds,
                static_cast<unsigned long long>(on.challenges), static_cast<unsigned long long>(on.proofs_failed),
                static_cast<unsigned long long>(on.proof_timeouts));
    if (on.placed != on.objects)
      std::printf("  (only %zu of %zu objects had r holders before the churn)\n", on.placed, on.objects);
  }
  std::printf(
      "\nretrieved: a real get (LOCATE + verified block fetch) succeeded after the churn; held: a live node\n"
      "holds every block. hb/repair msg/s: messages sent by all nodes per second of churn (repair on).\n"
      "Baseline messages are 0 (no heartbeats, no repair). Go prototype figures from the issue.\n");
  return 0;
}
