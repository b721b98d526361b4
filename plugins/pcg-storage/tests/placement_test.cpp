// Replica placement: at most one replica per /24 (/48) while other prefixes are available, never
// two on one address, by the observed address before the endpoints; loopback exempt by option.
#include "placement.hpp"

#include <butter/network_key.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace butter::pcg;

namespace {

Hash H(const std::string& n) { return sha256(n); }

Candidate at(const std::string& name, const std::string& endpoint, std::int32_t cls = 7) {
  return Candidate{H(name), {endpoint}, cls};
}

View members(std::initializer_list<std::pair<const char*, const char*>> ms) {
  View v;
  v.version = 1;
  for (const auto& [n, ep] : ms) v.add(Member{H(n), {ep}});
  return v;
}

const auto kNoObserved = [](const Hash&) { return std::string(); };

std::string prefix_of(const Candidate& c) { return butter::network_key(c.endpoints.front()).prefix; }

}  // namespace

TEST_CASE("placement: 200 ids from 4 addresses in one /24 get at most one replica of a group") {
  View v = members({{"writer", "tcp://198.18.0.10:7000"}});
  std::vector<Candidate> cands;
  // Sybils first, claiming the top class: the order and the class must not matter.
  for (int i = 0; i < 200; ++i)
    cands.push_back(at("sybil" + std::to_string(i),
                       "tcp://203.0.113." + std::to_string(2 + i % 4) + ":" + std::to_string(8000 + i)));
  cands.push_back(at("honest1", "tcp://198.19.1.10:7000", 0));
  cands.push_back(at("honest2", "tcp://198.19.2.10:7000", 0));
  auto out = diverse_recruits(cands, v, 2, kNoObserved, {});
  std::map<std::string, int> per_prefix;
  for (const auto& c : out) ++per_prefix[prefix_of(c)];
  CHECK(per_prefix["203.0.113.0/24"] == 1);
  CHECK(per_prefix["198.19.1.0/24"] == 1);
  CHECK(per_prefix["198.19.2.0/24"] == 1);
  CHECK(out.size() == 3);
  // Whatever the planner then picks (quality classes first), at most one sybil is among them.
  RepairInput in;
  in.object = H("o");
  in.self = H("writer");
  in.r = 3;
  in.view = &v;
  in.remove = [](const Hash&) { return false; };
  in.complete = [](const Hash&) { return true; };
  in.candidates = out;
  auto plan = plan_repair(in);
  REQUIRE(plan.recruit.size() == 2);
  int sybils = 0;
  for (const auto& c : plan.recruit) sybils += prefix_of(c) == "203.0.113.0/24";
  CHECK(sybils <= 1);
}

TEST_CASE("placement: a prefix a member holds is used only when no other is available") {
  View v = members({{"writer", "tcp://198.18.0.10:7000"}, {"b", "tcp://198.18.0.11:7000"}});
  // One LAN (the netns beds): the other addresses of the held /24 fill the need.
  std::vector<Candidate> lan = {at("c", "tcp://198.18.0.12:7000"), at("d", "tcp://198.18.0.13:7000"),
                                at("e", "tcp://198.18.0.11:7001")};  // e shares b's address: never
  auto out = diverse_recruits(lan, v, 1, kNoObserved, {});
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == H("c"));
  out = diverse_recruits(lan, v, 5, kNoObserved, {});
  CHECK(out.size() == 2);
  for (const auto& c : out) CHECK(c.id != H("e"));
  // With another network on offer, the held prefix is not used at all.
  lan.push_back(at("f", "tcp://198.51.100.1:7000"));
  out = diverse_recruits(lan, v, 1, kNoObserved, {});
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == H("f"));
}

TEST_CASE("placement: the observed address counts before the endpoints a host announces") {
  View v = members({{"writer", "tcp://198.18.0.10:7000"}});
  // Both announce endpoints in different networks, but both connect from one /24.
  std::vector<Candidate> cands = {at("x", "tcp://192.0.2.1:7000"), at("y", "tcp://198.51.100.1:7000"),
                                  at("z", "tcp://203.0.113.77:7000")};
  std::map<Hash, std::string> seen = {{H("x"), "tcp://100.64.0.5:4444"}, {H("y"), "tcp://100.64.0.6:5555"}};
  auto observed = [&](const Hash& id) {
    auto it = seen.find(id);
    return it == seen.end() ? std::string() : it->second;
  };
  auto out = diverse_recruits(cands, v, 2, observed, {});
  REQUIRE(out.size() == 2);
  CHECK(out[0].id == H("x"));
  CHECK(out[1].id == H("z"));  // y connects from x's /24
  CHECK(placement_address("", {"relay://amb/x", "tcp://[2001:db8::1]:7000"}) == "tcp://[2001:db8::1]:7000");
  CHECK(placement_address("tcp://10.0.0.1:1", {"tcp://192.0.2.1:7000"}) == "tcp://10.0.0.1:1");
}

TEST_CASE("placement: loopback is exempt by default, bounded when the exemption is off") {
  View v = members({{"writer", "tcp://127.0.0.1:7000"}});
  std::vector<Candidate> cands;
  for (int i = 0; i < 20; ++i)
    cands.push_back(at("n" + std::to_string(i), "tcp://127.0.0.1:" + std::to_string(7001 + i)));
  CHECK(diverse_recruits(cands, v, 3, kNoObserved, {}).size() == 20);
  // Exemption off: all on 127.0.0.1, the writer's address; none may join.
  CHECK(diverse_recruits(cands, v, 3, kNoObserved, PlacementOptions{false}).empty());
  // Distinct loopback addresses in one /24 (the sybils of the integration test): one per
  // address, and only as a fallback since no other prefix is on offer.
  std::vector<Candidate> four;
  for (int i = 0; i < 40; ++i)
    four.push_back(at("s" + std::to_string(i), "tcp://127.0.0." + std::to_string(2 + i % 4) + ":9000"));
  four.push_back(at("other", "tcp://127.0.5.1:9000"));
  auto out = diverse_recruits(four, v, 2, kNoObserved, PlacementOptions{false});
  REQUIRE(out.size() == 2);
  CHECK(out[0].id == H("other"));  // a fresh /24 first, then one fallback from the held one
  CHECK(prefix_of(out[1]) == "127.0.0.0/24");
  // IPv6: one replica per /48.
  View v6 = members({{"writer", "tcp://[2001:db8:1:1::1]:7000"}});
  auto out6 = diverse_recruits({at("a", "tcp://[2001:db8:1:2::1]:7000"), at("b", "tcp://[2001:db8:2::1]:7000")}, v6, 1,
                               kNoObserved, {});
  REQUIRE(out6.size() == 1);
  CHECK(out6[0].id == H("b"));
}
