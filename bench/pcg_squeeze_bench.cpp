// pcg-storage under a CPU squeeze (issue 18): a streamed 12 MiB put on a machine whose cores are
// shared twice over reported 0 replicas within its deadline and the group did not repair to 3
// holders within 30 s. This models it on virtual time with the plugin's own Engine (SimCluster,
// sim/sim_cluster.hpp): 5 nodes with the stream integration test's timings (heartbeat 100 ms, 3 misses,
// request timeout 500 ms, put timeout 30 s, ticks every 20 ms, 64 KiB blocks, links of 5-20 ms),
// a 12 MiB put on node 0, and every node taken off the CPU at random: pauses of 50-600 ms
// (SimCluster::pause: its ticks and the messages sent to it wait), starting so that a node is
// paused about `duty` percent of the time. A run passes as the integration test does: the put
// reports 3 replicas and 3 nodes hold every block within 30 s after the put's result.
//
// Usage: butter-bench-pcg-squeeze [runs=20] [duty-percent=50]
#include "sim_cluster.hpp"

#include <cstdio>
#include <cstdlib>

using namespace butter::pcg;

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 20;
  const int duty = argc > 2 ? std::clamp(std::atoi(argv[2]), 0, 90) : 50;
  constexpr std::size_t kNodes = 5;
  constexpr std::uint64_t kStepMs = 20, kMeanPauseMs = 325;
  // Pause starts per step such that paused / (paused + running) is about duty%.
  const double p = duty == 0 ? 0 : double(kStepMs) / kMeanPauseMs * duty / (100.0 - duty);
  int passed = 0, put3 = 0, zero = 0;
  for (int seed = 1; seed <= runs; ++seed) {
    Config cfg;
    cfg.heartbeat_ms = 100;
    cfg.request_timeout_ms = 500;
    cfg.put_timeout_ms = 30000;
    SimCluster sim({.nodes = kNodes, .cfg = cfg, .tick_ms = kStepMs, .seed = static_cast<std::uint64_t>(seed)});
    std::mt19937_64 rng(static_cast<std::uint64_t>(seed) * 977);
    std::vector<std::uint8_t> data(12u << 20);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    Hash id{};
    sim.act(0, [&](Engine& e, Output& out) {
      std::string why;
      e.put(1, data, {"stream"}, sim.now(), id, why, out);
    });
    std::vector<std::uint64_t> paused_until(kNodes, 0);
    std::int64_t done_at = -1;
    std::uint32_t replicas = 0;
    bool ok = false;
    for (std::uint64_t t = kStepMs; t <= 120000; t += kStepMs) {
      for (std::size_t i = 0; i < kNodes; ++i) {
        if (paused_until[i] > t || std::uniform_real_distribution<double>(0, 1)(rng) >= p) continue;
        paused_until[i] = t + 50 + rng() % 551;
        sim.pause(i, paused_until[i]);
      }
      sim.run_until(t);
      for (auto& [n, e] : sim.take_events()) {
        if (e.kind != EventKind::PutDone || e.ticket != 1 || n != 0) continue;
        done_at = static_cast<std::int64_t>(t);
        replicas = e.replicas;
      }
      if (done_at < 0) continue;
      std::size_t holders = 0;
      for (std::size_t i = 0; i < kNodes; ++i) holders += sim.engine(i).holds(id);
      if (replicas == 3 && holders == 3) {
        ok = true;
        break;
      }
      if (t > static_cast<std::uint64_t>(done_at) + 30000) break;
    }
    put3 += replicas == 3;
    zero += done_at >= 0 && replicas == 0;
    passed += ok;
    std::printf("seed %d: put result at %lld ms with %u replicas: %s\n", seed, static_cast<long long>(done_at),
                replicas, ok ? "pass" : "FAIL");
  }
  std::printf("duty %d%%: %d of %d runs passed (the put reported 3 replicas in %d, 0 replicas in %d)\n", duty, passed,
              runs, put3, zero);
  return 0;
}
