// What the engine tests (engine_test, membership_test, possession_test) do to a SimCluster over
// and over: random objects, the small fast config they share, who holds an object, a put on one
// node. Catch's REQUIRE inside: test code only.
#pragma once
#include "sim.hpp"

#include <catch2/catch.hpp>

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

}  // namespace butter::pcg::test
