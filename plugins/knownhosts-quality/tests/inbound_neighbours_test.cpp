// Inbound neighbour slots (protected from trimming) under one address that opens many connections
// with fresh ids and asks each to be our neighbour: honest askers from other networks still get
// slots, and our news goes to the neighbours we chose first.
#include "membership_engine.hpp"
#include "record_fixtures.hpp"
#include "scripted_env.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace butter::knownhosts;
using namespace butter::knownhosts::test_fixtures;

namespace {

// Node i asks to be a neighbour over a connection from `remote`; true when accepted.
bool asks_to_be_neighbour(ScriptedEnv& env, MembershipEngine& node, unsigned i, const std::string& remote) {
  env.connect(i, remote);
  const EngineReply r = exchange_from(node, i, {record_of(i, env.unix_ms())}, true);
  REQUIRE(r.status == BUTTER_OK);
  std::string why;
  auto answer = decode_exchange(r.bytes.data(), r.bytes.size(), why);
  REQUIRE(answer);
  return answer->neighbour;
}

std::string from_ip(const std::string& ip, unsigned port) { return "tcp://" + ip + ":" + std::to_string(port); }

}  // namespace

TEST_CASE("Inbound neighbours: one address with many ids does not take every slot from honest askers") {
  ScriptedEnv env(0);
  MembershipConfig cfg;
  cfg.neighbours.max_in = 8;
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  std::size_t sybils = 0;
  for (unsigned i = 100; i < 108; ++i) sybils += asks_to_be_neighbour(env, node, i, from_ip("203.0.113.7", 40000 + i));
  CHECK(sybils <= 2);  // max_in_per_address
  // Honest NATed nodes, each from its own network, dial out to us and are accepted.
  for (unsigned i = 1; i <= 4; ++i)
    CHECK(asks_to_be_neighbour(env, node, i, from_ip("198.51." + std::to_string(i) + ".9", 5000)));
  for (unsigned i = 1; i <= 4; ++i) CHECK(env.protected_ids.count(id_of(i)) == 1);
  CHECK(env.protected_ids.size() == 4 + sybils);
}

TEST_CASE("Inbound neighbours: when full an asker from a new network replaces one of the most represented") {
  ScriptedEnv env(0);
  MembershipConfig cfg;
  cfg.neighbours.max_in = 4;
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  // Four slots, all taken from one /24 (two addresses in it).
  REQUIRE(asks_to_be_neighbour(env, node, 100, from_ip("203.0.113.7", 1)));
  REQUIRE(asks_to_be_neighbour(env, node, 101, from_ip("203.0.113.7", 2)));
  REQUIRE(asks_to_be_neighbour(env, node, 102, from_ip("203.0.113.8", 1)));
  REQUIRE(asks_to_be_neighbour(env, node, 103, from_ip("203.0.113.8", 2)));
  CHECK_FALSE(asks_to_be_neighbour(env, node, 104, from_ip("203.0.113.9", 1)));  // that /24 is full
  // An honest asker from another network takes the place of the newest of them.
  CHECK(asks_to_be_neighbour(env, node, 1, from_ip("198.51.100.9", 5000)));
  CHECK(node.neighbours().in_count() == 4);
  CHECK_FALSE(node.neighbours().is_neighbour(id_of(103)));
  CHECK(env.protected_ids.count(id_of(103)) == 0);
  CHECK(env.protected_ids.count(id_of(1)) == 1);
  // Loopback is not bounded (every node of a local test shares it).
  MembershipConfig lo;
  lo.neighbours.max_in = 8;
  ScriptedEnv env2(0);
  MembershipEngine local(env2, id_of(0), lo, 1);
  local.start();
  for (unsigned i = 1; i <= 8; ++i) CHECK(asks_to_be_neighbour(env2, local, i, from_ip("127.0.0.1", 6000 + i)));
}

TEST_CASE("Inbound neighbours: news goes to the neighbours this node chose before those that chose it") {
  ScriptedEnv env(0);
  MembershipConfig cfg;
  cfg.rumour.news_per_min = 600;  // not the limit here
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  // Two outbound neighbours: hosts 1 and 2, dialled and accepted.
  for (unsigned i = 1; i <= 2; ++i) {
    node.restore(record_of(i));
    env.connect(i);
  }
  node.neighbour_tick();
  Exchange yes;
  yes.neighbour = true;
  const auto accept = encode_exchange(yes);
  for (unsigned i = 1; i <= 2; ++i) node.on_exchange_result(id_of(i), true, true, accept.data(), accept.size(), "");
  REQUIRE(node.neighbours().out_count() == 2);
  // Eight inbound ones, from one network each, known from before (their records are not news).
  for (unsigned i = 100; i < 108; ++i) node.restore(record_of(i));
  for (unsigned i = 100; i < 108; ++i)
    REQUIRE(asks_to_be_neighbour(env, node, i, from_ip("203.0." + std::to_string(i) + ".7", 1)));
  // One piece of news (a new host's record), then two exchange ticks: both to the neighbours we chose.
  env.now += 1000;
  REQUIRE(exchange_from(node, 50, {record_of(50, env.unix_ms())}).status == BUTTER_OK);
  std::set<std::string> to;
  for (int tick = 0; tick < 2; ++tick) {
    env.now += 1000;
    const std::size_t before = env.sent.size();
    node.exchange_timer();
    REQUIRE(env.sent.size() == before + 1);
    to.insert(env.sent.back().to);
  }
  CHECK(to == std::set<std::string>{id_of(1), id_of(2)});
}
