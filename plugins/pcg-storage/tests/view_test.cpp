// Membership reconciliation (views with versions converge) and the leader rule.
#include "view.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>

using namespace butter::pcg;

namespace {
View make(std::uint64_t version, std::initializer_list<const char*> names) {
  View v;
  v.version = version;
  for (const char* n : names) v.add(Member{sha256(n), {}});
  return v;
}
}  // namespace

TEST_CASE("a higher version outranks and equal versions break ties by member digest") {
  auto a = make(3, {"a", "b"});
  auto b = make(4, {"a"});
  CHECK(outranks(b, a));
  CHECK_FALSE(outranks(a, b));
  auto c = make(4, {"a", "c"});
  CHECK(outranks(b, c) != outranks(c, b));   // exactly one of two different views wins
  CHECK_FALSE(outranks(b, make(4, {"a"})));  // the same view does not outrank itself
}

TEST_CASE("members stay sorted and unique") {
  View v;
  v.add(Member{sha256("z"), {}});
  v.add(Member{sha256("a"), {}});
  v.add(Member{sha256("a"), {"tcp://x:1"}});
  REQUIRE(v.size() == 2);
  CHECK(v.members[0].id < v.members[1].id);
  CHECK(v.find(sha256("a"))->endpoints == std::vector<std::string>{"tcp://x:1"});
  CHECK(v.remove(sha256("a")));
  CHECK_FALSE(v.remove(sha256("a")));
}

TEST_CASE("nodes that merge the same views in any order converge to one view") {
  std::mt19937 rng(11);
  const char* names[] = {"a", "b", "c", "d", "e", "f"};
  for (int round = 0; round < 200; ++round) {
    std::vector<View> views;
    for (int i = 0; i < 6; ++i) {
      View v;
      v.version = rng() % 4;
      for (const char* n : names)
        if (rng() % 2) v.add(Member{sha256(n), {}});
      views.push_back(v);
    }
    // Each "node" starts from one view and hears the others in its own order.
    std::vector<View> finals;
    for (int node = 0; node < 6; ++node) {
      std::vector<View> order = views;
      std::shuffle(order.begin(), order.end(), rng);
      View cur = views[static_cast<std::size_t>(node)];
      for (const auto& v : order) cur = merge(cur, v);
      finals.push_back(cur);
    }
    for (const auto& f : finals) {
      CHECK(f.version == finals[0].version);
      CHECK(f.same_members(finals[0]));
    }
  }
}

TEST_CASE("every member computes the same single leader from the same view") {
  const Hash object = sha256("object");
  auto v = make(5, {"a", "b", "c"});
  auto all_alive = [](const Hash&) { return true; };
  auto l = leader(object, v, all_alive);
  REQUIRE(l);
  for (int i = 0; i < 3; ++i) CHECK(leader(object, v, all_alive) == l);
  // The leader has the lowest rank of the members.
  for (const auto& m : v.members) CHECK(rank(object, *l) <= rank(object, m.id));
  // When the leader is suspected, the next lowest leads; nobody alive: no leader.
  auto next = leader(object, v, [&](const Hash& id) { return id != *l; });
  REQUIRE(next);
  CHECK(*next != *l);
  CHECK_FALSE(leader(object, v, [](const Hash&) { return false; }));
}

TEST_CASE("leadership spreads over nodes across objects") {
  auto v = make(1, {"a", "b", "c"});
  std::map<Hash, int> led;
  for (int i = 0; i < 300; ++i) ++led[*leader(sha256("obj" + std::to_string(i)), v, [](const Hash&) { return true; })];
  REQUIRE(led.size() == 3);
  for (const auto& [id, n] : led) CHECK(n > 50);
}
