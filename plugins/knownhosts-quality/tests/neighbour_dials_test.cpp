// Neighbour dials to hosts named only by signed records: a record may name any endpoint its
// signer likes (a victim's address), so failed dials count toward eviction as failed probes do,
// and hosts that never answered are not redialled faster than a bounded rate, however many ids
// name one network.
#include "membership_engine.hpp"
#include "neighbours.hpp"
#include "record_fixtures.hpp"
#include "scripted_env.hpp"

#include <catch2/catch.hpp>

#include <functional>

using namespace butter::knownhosts;
using namespace butter::knownhosts::test_fixtures;

namespace {

// `seconds` neighbour ticks a second apart, every neighbour dial failing (nobody answers); `each_s`
// (optional) runs at the start of every second. Returns the dials made to ids `counted` accepts.
std::size_t failing_dials(ScriptedEnv& env, MembershipEngine& node, int seconds,
                          const std::function<bool(const std::string&)>& counted,
                          const std::function<void(int)>& each_s = {}) {
  std::size_t dials = 0;
  for (int s = 0; s < seconds; ++s) {
    env.now += 1000;
    if (each_s) each_s(s);
    const std::size_t before = env.sent.size();
    node.neighbour_tick();
    for (std::size_t i = before; i < env.sent.size(); ++i) {
      if (!env.sent[i].want_neighbour) continue;
      dials += counted(env.sent[i].to);
      node.on_exchange_result(env.sent[i].to, true, false, nullptr, 0, "connection refused");
    }
  }
  return dials;
}

}  // namespace

TEST_CASE("Neighbour dials: a host named by a record that never answers is evicted after max_failures failed dials") {
  ScriptedEnv env(0);
  const MembershipConfig cfg;
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  // Peer 1 passes on host 7's record, naming an address where nobody answers.
  REQUIRE(exchange_from(node, 1, {record_naming(7, {"tcp://192.0.2.55:7000"}, env.unix_ms())}).status == BUTTER_OK);
  REQUIRE(node.cache().find(id_of(7)) != nullptr);
  const std::size_t dials = failing_dials(env, node, 600, [](const std::string& id) { return id == id_of(7); });
  CHECK(dials == cfg.max_failures);
  CHECK(node.cache().find(id_of(7)) == nullptr);
  CHECK(node.records().find(id_of(7)) == nullptr);
}

TEST_CASE(
    "Neighbour dials: made-up ids naming one network and passed on again and again are dialled at a bounded rate") {
  ScriptedEnv env(0);
  MembershipEngine node(env, id_of(0), MembershipConfig{}, 1);
  node.start();
  // Peer 1 passes on eight records naming eight addresses of one /24 (as many as the cache admits
  // there), and passes them on again every minute (after an eviction they are new again).
  std::vector<PeerRecord> named;
  for (unsigned k = 0; k < 8; ++k)
    named.push_back(record_naming(200 + k, {"tcp://192.0.2." + std::to_string(10 + k) + ":7000"}, env.unix_ms()));
  auto in_that_network = [](const std::string& id) { return id >= id_of(200) && id <= id_of(207); };
  const std::size_t dials = failing_dials(env, node, 600, in_that_network, [&](int s) {
    if (s % 60 == 0) REQUIRE(exchange_from(node, 1, named).status == BUTTER_OK);
  });
  // Every 15 s per id before (about 300 in ten minutes); now about one dial per doubling backoff
  // of the network (15 s, 30 s, ... 15 min), two at a time at most.
  CHECK(dials <= 16);
}

TEST_CASE("Neighbours: failed dials back off longer each time and so does the network of a never-answered host") {
  Neighbours::Options o;
  o.want_out = 8;
  o.max_dialing = 8;
  o.failed_backoff_ms = 1000;
  o.max_failed_backoff_ms = 4000;
  Neighbours n(o);
  // x never answered; y of the same network did.
  REQUIRE(n.to_dial({{"x", "192.0.2", false}}, 0) == std::vector<std::string>{"x"});
  n.failed("x", 0);
  CHECK(n.backoff_until("x") == 1000);
  // Another never-answered id of that network waits too; one that answered before does not.
  CHECK(n.to_dial({{"z", "192.0.2", false}, {"y", "192.0.2", true}}, 500) == std::vector<std::string>{"y"});
  n.refused("y", 500);  // y answered: its network is reachable again
  CHECK(n.to_dial({{"z", "192.0.2", false}}, 600) == std::vector<std::string>{"z"});
  n.failed("z", 600);
  // x again after its backoff; each failure in a row doubles it, up to the cap.
  REQUIRE(n.to_dial({{"x", "192.0.2", false}}, 1000).empty());  // its network waits after z's failure
  REQUIRE(n.to_dial({{"x", "192.0.2", false}}, 1600) == std::vector<std::string>{"x"});
  n.failed("x", 1600);
  CHECK(n.backoff_until("x") == 1600 + 2000);
  REQUIRE(n.to_dial({{"x", "other", true}}, 3600) == std::vector<std::string>{"x"});
  n.failed("x", 3600);
  CHECK(n.backoff_until("x") == 3600 + 4000);
  REQUIRE(n.to_dial({{"x", "other", true}}, 7600) == std::vector<std::string>{"x"});
  n.failed("x", 7600);
  CHECK(n.backoff_until("x") == 7600 + 4000);  // the cap
  // Losing it (evicted) keeps the backoff; an answer (busy, refused, accepted) restarts the count.
  n.lost("x");
  CHECK(n.backoff_until("x") == 7600 + 4000);
  REQUIRE(n.to_dial({{"x", "other", true}}, 11600) == std::vector<std::string>{"x"});
  n.busy("x", 12000);
  REQUIRE(n.to_dial({{"x", "other", true}}, 12000) == std::vector<std::string>{"x"});
  n.failed("x", 12000);
  CHECK(n.backoff_until("x") == 13000);
}
