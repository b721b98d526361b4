// What the engine tests (engine_test, membership_test, possession_test) do to a SimCluster over
// and over: random objects, the small fast config they share, who holds an object, a put on one
// node. Catch's REQUIRE inside: test code only.
#pragma once
#include "sim_cluster.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

namespace butter::pcg::test {

inline std::vector<std::uint8_t> bytes_of(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

// r = 3, 1 KiB blocks, 200 ms heartbeats: many rounds in little virtual time.
inline Config test_config() {
  Config c;
  c.r = 3;
  c.heartbeat_ms = 200;
  c.miss_limit = 3;
  c.block_size = 1024;
  c.request_timeout_ms = 300;
  c.put_timeout_ms = 5000;
  c.get_timeout_ms = 5000;
  return c;
}

// Live nodes holding every block of `id`.
inline std::vector<std::size_t> holders(SimCluster& sim, const Hash& id) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < sim.size(); ++i)
    if (sim.alive(i) && sim.engine(i).holds(id)) out.push_back(i);
  return out;
}

inline Hash put_on(SimCluster& sim, std::size_t node, const std::vector<std::uint8_t>& data, std::uint64_t ticket = 1) {
  Hash id{};
  sim.act(node, [&](Engine& e, Output& out) {
    std::string why;
    REQUIRE(e.put(ticket, data, {"k"}, sim.now(), id, why, out) == BUTTER_OK);
  });
  return id;
}

// Every node of the cluster as a recruitment candidate.
inline std::vector<Candidate> everyone(SimCluster& sim) {
  std::vector<Candidate> c;
  for (std::size_t i = 0; i < sim.size(); ++i) c.push_back(Candidate{sim.id(i), {}, -1});
  return c;
}

// The first node index not in `h` (a node outside the group that holds an object).
inline std::size_t outside_of(const std::vector<std::size_t>& h) {
  std::size_t outside = 0;
  while (std::find(h.begin(), h.end(), outside) != h.end()) ++outside;
  return outside;
}

// Puts `data` on node 0 and runs until r (3) members hold it, within `budget_ms` of virtual time.
inline Hash stored(SimCluster& sim, const std::vector<std::uint8_t>& data, std::uint64_t budget_ms = 20000) {
  const Hash id = put_on(sim, 0, data);
  const std::uint64_t until = sim.now() + budget_ms;
  while (holders(sim, id).size() < 3 && sim.now() < until) sim.run_until(sim.now() + 100);
  REQUIRE(holders(sim, id).size() == 3);
  sim.take_events();
  return id;
}

}  // namespace butter::pcg::test
