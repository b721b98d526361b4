// The signature check budget under a peer that sends made-up records with garbage signatures as
// fast as it is answered: it must not use up the checks honest peers' records need.
#include "check_budget.hpp"
#include "membership_engine.hpp"
#include "record_fixtures.hpp"
#include "scripted_env.hpp"

#include <catch2/catch.hpp>

using namespace butter::knownhosts;
using namespace butter::knownhosts::test_fixtures;

namespace {

// Twenty rounds of 500 ms (the serve interval): peer 900 sends sixteen forged records of fresh
// keys each round, then one of four honest peers (each every 2 s) one genuine record of a third
// party. Returns how many of the twenty honest records the node holds.
std::size_t honest_records_held_under_forgery(ScriptedEnv& env, MembershipEngine& node) {
  unsigned forged_id = 5000, honest_id = 100;
  for (int round = 0; round < 20; ++round) {
    env.now += 500;
    std::vector<PeerRecord> junk;
    for (int k = 0; k < 16; ++k) junk.push_back(forged_record_of(forged_id++, env.unix_ms()));
    REQUIRE(exchange_from(node, 900, junk).status == BUTTER_OK);
    REQUIRE(exchange_from(node, 1 + static_cast<unsigned>(round % 4), {record_of(honest_id++, env.unix_ms())}).status ==
            BUTTER_OK);
  }
  std::size_t held = 0;
  for (unsigned i = 100; i < honest_id; ++i) held += node.records().find(id_of(i)) != nullptr;
  return held;
}

}  // namespace

TEST_CASE("Check budget: a peer sending forged records does not use up the checks of honest peers' records") {
  ScriptedEnv env(0);
  MembershipEngine node(env, id_of(0), MembershipConfig{}, 1);  // 2 checks/s, burst 32
  node.start();
  CHECK(honest_records_held_under_forgery(env, node) == 20);
  // The forger got one check per exchange at most, then only what its share refills.
  CHECK(env.verified <= 20 + 20);
}

TEST_CASE("Check budget: a forging sender gets one check per exchange and is counted") {
  ScriptedEnv env(0);
  MembershipEngine node(env, id_of(0), MembershipConfig{}, 1);
  node.start();
  std::vector<PeerRecord> junk;
  for (unsigned k = 0; k < 16; ++k) junk.push_back(forged_record_of(5000 + k, env.unix_ms()));
  REQUIRE(exchange_from(node, 900, junk).status == BUTTER_OK);
  CHECK(env.verified == 1);  // the first failed: the other fifteen are not checked
  CHECK(env.counted_of(Metric::ForgingSenders) == 1);
  CHECK(env.counted_of(Metric::RecordsUnchecked) == 15);
  // Its next exchange with a genuine record is checked as any other.
  env.now += 500;
  REQUIRE(exchange_from(node, 900, {record_of(77, env.unix_ms())}).status == BUTTER_OK);
  CHECK(node.records().find(id_of(77)) != nullptr);

  // The budget alone: a sender holds a quarter of the node's burst and rate.
  CheckBudget budget(2, 32, 0);
  int a = 0;
  for (int i = 0; i < 40; ++i) a += budget.take("net:a", 0);
  CHECK(a == 8);
  CHECK(budget.take("net:b", 0));           // another sender has its own share
  CHECK_FALSE(budget.take("net:a", 1000));  // a quarter of 2/s: half a token a second
  CHECK(budget.take("net:a", 2000));
  // The node-wide bucket still bounds the sum: 32 senders' shares are not 32 x 8 checks.
  int all = 0;
  for (int s = 0; s < 32; ++s)
    for (int i = 0; i < 8; ++i) all += budget.take("net:" + std::to_string(s), 2000);
  CHECK(all <= 32);
}
