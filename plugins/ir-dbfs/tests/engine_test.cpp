// The engine on small hand-built graphs, through the same discrete-event simulation the benchmark
// uses: forwarding within the TTL, duplicate suppression, the reverse path of hits, iterative
// deepening, stopping at max_results, the heuristics, and the limits.
//
// Note: these tests place objects by name (index().add_stored("obj")), which no proof can back, so
// they run with `verify = false`: they test routing. Proofs, demotion and the statistics under
// verification are tested in verify_test.cpp, with content objects (SimNetwork::store).
#include "sim_network.hpp"

#include <catch2/catch.hpp>

using namespace butter::dbfs;
using namespace butter::dbfs::sim;

namespace {

EngineConfig flood_config() {
  EngineConfig c;
  c.verify = false;  // objects placed by name: see the note at the top
  c.method = Method::Flood;
  c.hop_ms = 5;
  return c;
}

SearchSpec object(const std::string& id, std::uint32_t ttl = 0, std::uint32_t max = 0) {
  SearchSpec s;
  s.kind = QueryKind::Object;
  s.terms = {id};
  s.ttl = ttl;
  s.max_results = max;
  return s;
}

// 0 - 1 - 2 - ... - (n-1)
void line(SimNetwork& net) {
  for (std::size_t i = 0; i + 1 < net.size(); ++i) net.link(i, i + 1);
}

std::uint64_t received_queries(SimNetwork& net, std::size_t i) { return net.node(i).counters().queries_received; }

}  // namespace

TEST_CASE("a query travels exactly TTL hops along a line") {
  SimNetwork net(6, flood_config());
  line(net);
  net.search(0, object("obj", 3));
  net.run();
  CHECK(received_queries(net, 1) == 1);
  CHECK(received_queries(net, 2) == 1);
  CHECK(received_queries(net, 3) == 1);
  CHECK(received_queries(net, 4) == 0);  // beyond the TTL
  CHECK(net.sent(MsgType::Query) == 3);
  REQUIRE(net.records()[0].done);
  CHECK(net.records()[0].result.reason == "complete");
  CHECK(net.records()[0].result.hits == 0);
}

TEST_CASE("duplicates are dropped and counted in a ring") {
  // A ring of 6 plus a chord: every node must process the query once.
  SimNetwork net(6, flood_config());
  for (std::size_t i = 0; i < 6; ++i) net.link(i, (i + 1) % 6);
  net.link(0, 3);
  net.search(0, object("obj", 7));
  net.run();
  std::uint64_t dups = 0;
  for (std::size_t i = 1; i < 6; ++i) {
    CHECK(received_queries(net, i) == 1);
    dups += net.node(i).counters().duplicates;
  }
  dups += net.node(0).counters().duplicates;
  // Every QUERY message is either the first copy at its receiver or a counted duplicate.
  CHECK(net.sent(MsgType::Query) == 5 + dups);
  CHECK(dups > 0);
}

TEST_CASE("hits come back along the reverse path with their hop count") {
  SimNetwork net(5, flood_config());
  line(net);
  net.node(4).index().add_stored("obj", {"k"});
  net.node(2).index().add_stored("obj", {"k"});
  net.search(0, object("obj", 7, 10));
  net.run();
  const auto& r = net.records()[0];
  REQUIRE(r.done);
  REQUIRE(r.hits.size() == 2);
  CHECK(r.hits[0].hit.node_id == "n2");
  CHECK(r.hits[0].hops == 2);
  CHECK(r.hits[1].hit.node_id == "n4");
  CHECK(r.hits[1].hops == 4);
  // n4's hit went n4 -> n3 -> n2 -> n1 -> n0: relayed by n3, n2 and n1.
  CHECK(net.node(3).counters().hits_relayed == 1);
  CHECK(net.node(2).counters().hits_relayed == 1);
  CHECK(net.node(1).counters().hits_relayed == 2);
  CHECK(net.node(0).counters().hits_delivered == 2);
  CHECK(net.sent(MsgType::Hits) == 2 + 4);
}

TEST_CASE("a keyword search returns matching objects of every node once") {
  SimNetwork net(4, flood_config());
  line(net);
  net.node(1).index().add_stored("o1", {"Red", "apple"});
  net.node(2).index().annotate("o2", {"red", "APPLE", "pie"});
  net.node(3).index().add_stored("o3", {"red"});
  SearchSpec s;
  s.kind = QueryKind::Keywords;
  s.terms = {"apple", "RED"};
  net.search(0, s);
  net.run();
  const auto& r = net.records()[0];
  REQUIRE(r.hits.size() == 2);
  CHECK(r.hits[0].hit.object_id == "o1");
  CHECK(r.hits[1].hit.object_id == "o2");
  CHECK(r.hits[1].hit.keywords == std::vector<std::string>{"apple", "pie", "red"});
}

TEST_CASE("the source stops at max_results and later hits are late") {
  // A star: the centre 0 has 5 leaves, each holding the object.
  EngineConfig c = flood_config();
  c.hop_ms = 100;  // the source waits long enough for the slowest leaf
  SimNetwork net(6, c);
  for (std::size_t i = 1; i < 6; ++i) {
    net.link(0, i);
    net.node(i).index().add_stored("obj", {});
  }
  net.set_delay([](std::size_t from, std::size_t to) { return 10 * (from + to); });  // distinct arrival times
  net.search(0, object("obj", 2, 2));
  net.run();
  const auto& r = net.records()[0];
  REQUIRE(r.done);
  CHECK(r.result.reason == "enough results");
  CHECK(r.hits.size() == 2);
  CHECK(r.hits[0].hit.node_id == "n1");
  CHECK(net.node(0).counters().late_hits == 3);
}

TEST_CASE("iterative deepening extends only the frontier of the query's tree") {
  EngineConfig c;
  c.verify = false;  // objects placed by name: see the note at the top
  c.method = Method::Directed;
  c.source_fanout = 1;
  c.ttl_start = 1;
  c.ttl_step = 1;
  c.hop_ms = 5;
  SimNetwork net(5, c);
  line(net);
  net.node(4).index().add_stored("obj", {});
  net.search(0, object("obj", 6, 1));
  net.run();
  const auto& r = net.records()[0];
  REQUIRE(r.done);
  CHECK(r.result.reason == "enough results");
  REQUIRE(r.hits.size() == 1);
  CHECK(r.hits[0].hops == 4);
  // Steps of TTL 1, 2, 3, 4: each node got the QUERY once; EXTENDs went down the tree only:
  // 1 + 2 + 3 of them (to n1; to n1, n2; to n1, n2, n3).
  for (std::size_t i = 1; i < 5; ++i) CHECK(received_queries(net, i) == 1);
  CHECK(net.sent(MsgType::Query) == 4);
  CHECK(net.sent(MsgType::Extend) == 6);
  CHECK(r.result.messages == 1 + 3);  // the source's own: one QUERY and three EXTENDs
  CHECK(net.node(3).counters().duplicates == 0);
}

TEST_CASE("deepening stops early when the object is near") {
  EngineConfig c;
  c.verify = false;  // objects placed by name: see the note at the top
  c.method = Method::Directed;
  c.source_fanout = 2;
  c.ttl_start = 1;
  c.hop_ms = 5;
  SimNetwork net(6, c);
  line(net);
  net.node(1).index().add_stored("obj", {});
  net.search(0, object("obj", 5, 1));
  net.run();
  CHECK(net.records()[0].result.reason == "enough results");
  CHECK(net.sent(MsgType::Query) == 1);  // n1 was the frontier and answered: no EXTEND
  CHECK(net.sent(MsgType::Extend) == 0);
  CHECK(received_queries(net, 2) == 0);
}

TEST_CASE("random BFS forwards to half of the neighbours") {
  EngineConfig c;
  c.verify = false;  // objects placed by name: see the note at the top
  c.method = Method::RandomHalf;
  SimNetwork net(9, c);
  for (std::size_t i = 1; i < 9; ++i) net.link(0, i);
  net.search(0, object("obj", 1));
  net.run();
  CHECK(net.sent(MsgType::Query) == 4);
}

TEST_CASE("the fan-out limit caps forwarding") {
  EngineConfig c = flood_config();
  c.limits.max_fanout = 3;
  SimNetwork net(9, c);
  for (std::size_t i = 1; i < 9; ++i) net.link(0, i);
  net.search(0, object("obj", 1));
  net.run();
  CHECK(net.sent(MsgType::Query) == 3);
}

TEST_CASE("directed BFS learns which neighbour leads to results") {
  // Source 0 has neighbours 1, 2, 3. Behind 1 lies a subtree of holders; 2 and 3 lead nowhere.
  EngineConfig c;
  c.verify = false;  // objects placed by name: see the note at the top
  c.method = Method::Directed;
  c.source_fanout = 1;
  c.deepening = false;
  c.hop_ms = 5;
  c.heuristic = Heuristic::Results;
  SimNetwork net(8, c);
  net.link(0, 1);
  net.link(0, 2);
  net.link(0, 3);
  for (std::size_t i = 4; i < 8; ++i) net.link(1, i);
  for (std::size_t k = 0; k < 30; ++k) {
    const std::string id = "o" + std::to_string(k);
    for (std::size_t i = 4; i < 8; ++i) net.node(i).index().add_stored(id, {});
  }
  // Cold: random first hops, so some searches go to 2 or 3 and find nothing there.
  int cold_found = 0;
  for (int k = 0; k < 10; ++k) {
    long r = net.search(0, object("o" + std::to_string(k), 3, 100));
    net.run();
    cold_found += net.records()[static_cast<std::size_t>(r)].hits.empty() ? 0 : 1;
  }
  CHECK(cold_found == 10);  // found all the same: a bad first guess widens to the others
  const auto cold_widened = net.node(0).counters().widened;
  CHECK(cold_widened > 0);
  // Warm: every later search goes through 1 and finds the object.
  int warm_found = 0;
  for (int k = 10; k < 30; ++k) {
    long r = net.search(0, object("o" + std::to_string(k), 3, 100));
    net.run();
    warm_found += net.records()[static_cast<std::size_t>(r)].hits.size() == 4 ? 1 : 0;
  }
  CHECK(warm_found == 20);
  CHECK(net.node(0).counters().widened == cold_widened);  // warm: the first guess is right
  const auto* r1 = net.node(0).stats().find("n1");
  REQUIRE(r1);
  CHECK(r1->results / r1->sent > 3.0);
}

TEST_CASE("the time heuristic prefers the faster of two productive neighbours") {
  EngineConfig c;
  c.verify = false;  // objects placed by name: see the note at the top
  c.method = Method::Directed;
  c.source_fanout = 1;
  c.deepening = false;
  c.hop_ms = 5;
  c.heuristic = Heuristic::Time;
  SimNetwork net(3, c);
  net.link(0, 1);
  net.link(0, 2);
  net.set_delay([](std::size_t a, std::size_t b) -> std::uint64_t { return (a == 2 || b == 2) ? 50 : 5; });
  for (int k = 0; k < 20; ++k) {
    net.node(1).index().add_stored("o" + std::to_string(k), {});
    net.node(2).index().add_stored("o" + std::to_string(k), {});
  }
  for (int k = 0; k < 20; ++k) {
    net.search(0, object("o" + std::to_string(k), 2, 1));
    net.run();
  }
  // Once both were sampled, the fast one is chosen: the last searches all answer in 10 ms.
  for (std::size_t k = 15; k < 20; ++k) CHECK(net.records()[k].first_hit_ms() == 10);
}

TEST_CASE("the hops heuristic prefers the neighbour nearest to results") {
  EngineConfig c;
  c.verify = false;  // objects placed by name: see the note at the top
  c.method = Method::Directed;
  c.source_fanout = 1;
  c.deepening = false;
  c.hop_ms = 5;
  c.heuristic = Heuristic::Hops;
  // 0 - 1 - 3 (holder at 2 hops) and 0 - 2 - 4 - 5 (holder at 3 hops)
  SimNetwork net(6, c);
  net.link(0, 1);
  net.link(1, 3);
  net.link(0, 2);
  net.link(2, 4);
  net.link(4, 5);
  for (int k = 0; k < 20; ++k) {
    net.node(3).index().add_stored("o" + std::to_string(k), {});
    net.node(5).index().add_stored("o" + std::to_string(k), {});
  }
  for (int k = 0; k < 20; ++k) {
    net.search(0, object("o" + std::to_string(k), 4, 1));
    net.run();
  }
  for (std::size_t k = 15; k < 20; ++k) {
    REQUIRE(net.records()[k].hits.size() == 1);
    CHECK(net.records()[k].hits[0].hit.node_id == "n3");
  }
}

TEST_CASE("over-limit and malformed messages are dropped and counted") {
  EngineConfig c = flood_config();
  c.limits.max_ttl = 3;
  c.limits.rate_per_s = 1;
  c.limits.burst = 2;
  SimNetwork net(3, c);
  line(net);
  Query q;
  q.kind = QueryKind::Object;
  q.terms = {"obj"};
  q.ttl = 4;  // over max_ttl
  q.id = QueryId{1, 1};
  net.inject(0, 1, encode(q));
  net.inject(0, 1, {1, 2, 3});
  net.inject(0, 1, {});
  net.run();
  CHECK(net.node(1).counters().over_limit == 1);
  CHECK(net.node(1).counters().malformed == 2);
  CHECK(net.sent(MsgType::Query) == 0);
  // Rate: a burst of 2 from one peer passes, the third is dropped.
  for (std::uint64_t i = 2; i <= 4; ++i) {
    q.id = QueryId{1, i};
    q.ttl = 0;
    net.inject(0, 1, encode(q));
  }
  net.run();
  CHECK(net.node(1).counters().queries_received == 2);
  CHECK(net.node(1).counters().rate_limited == 1);
  // Hits for a query n1 never sent on, and an EXTEND for an unknown query.
  Hits h;
  h.id = QueryId{9, 9};
  h.hits.push_back(Hit{"obj", "n2", {}, {}});
  net.inject(2, 1, encode(h));
  net.inject(2, 1, encode(Extend{QueryId{9, 9}, 3}));
  net.run();
  CHECK(net.node(1).counters().unknown_query == 2);
  CHECK(net.sent(MsgType::Hits) == 0);
}

TEST_CASE("bad searches are refused at the source without a DONE") {
  SimNetwork net(2, flood_config());
  net.link(0, 1);
  std::string why;
  SearchSpec s;
  s.kind = QueryKind::Keywords;
  CHECK(net.search(0, s, &why) == -1);
  CHECK(why == "no terms");
  s.terms = {std::string(200, 'x')};
  CHECK(net.search(0, s, &why) == -1);
  s.kind = QueryKind::Object;
  s.terms = {"a", "b"};
  CHECK(net.search(0, s, &why) == -1);
  s.kind = static_cast<QueryKind>(9);
  s.terms = {"a"};
  CHECK(net.search(0, s, &why) == -1);
  CHECK(net.records().empty());
}

TEST_CASE("a search times out and an isolated node is done at once") {
  EngineConfig c = flood_config();
  c.hop_ms = 1000;  // the step would end after the timeout
  SimNetwork net(3, c);
  net.search(0, object("obj"));  // no links yet
  REQUIRE(net.records()[0].done);
  CHECK(net.records()[0].result.reason == "no neighbours");
  line(net);
  net.set_delay([](std::size_t, std::size_t) { return 1000; });
  SearchSpec s = object("obj", 2);
  s.timeout_ms = 500;
  net.search(0, s);
  net.run();
  CHECK(net.records()[1].result.reason == "timeout");
  CHECK(net.records()[1].done_ms == net.records()[1].started_ms + 500);
}

TEST_CASE("the source answers from its own index first") {
  SimNetwork net(2, flood_config());
  net.link(0, 1);
  net.node(0).index().add_stored("obj", {});
  net.search(0, object("obj", 2, 1));
  const auto& r = net.records()[0];
  REQUIRE(r.done);
  CHECK(r.hits.size() == 1);
  CHECK(r.hits[0].hops == 0);
  CHECK(net.sent(MsgType::Query) == 0);
}

TEST_CASE("directed BFS widens to the neighbours it did not choose when they found nothing") {
  // 0 has neighbours 1 and 2; only 2's side holds objects. A cold source picks at random, so some
  // searches first go to 1 and find nothing there: they widen to 2 and still succeed.
  EngineConfig c;
  c.verify = false;  // objects placed by name: see the note at the top
  c.method = Method::Directed;
  c.source_fanout = 1;
  c.heuristic = Heuristic::Random;
  c.hop_ms = 5;
  SimNetwork net(4, c);
  net.link(0, 1);
  net.link(0, 2);
  net.link(2, 3);
  for (int k = 0; k < 12; ++k) net.node(3).index().add_stored("o" + std::to_string(k), {});
  for (int k = 0; k < 12; ++k) {
    net.search(0, object("o" + std::to_string(k), 3, 1));
    net.run();
  }
  for (const auto& r : net.records()) CHECK(r.hits.size() == 1);
  CHECK(net.node(0).counters().widened > 0);
  CHECK(net.node(0).counters().widened < 12);
}

TEST_CASE("deepening starts where past searches found their first hit") {
  EngineConfig c;
  c.verify = false;  // objects placed by name: see the note at the top
  c.method = Method::Directed;
  c.source_fanout = 1;
  c.ttl_start = 1;
  c.hop_ms = 5;
  SimNetwork net(6, c);
  line(net);
  for (int k = 0; k < 2; ++k) net.node(4).index().add_stored("o" + std::to_string(k), {});
  net.search(0, object("o0", 7, 1));
  net.run();
  const auto extends_first = net.sent(MsgType::Extend);
  CHECK(extends_first == 6);  // steps 1, 2, 3, 4
  CHECK(net.node(0).first_hit_hops() == Approx(4));
  net.search(0, object("o1", 7, 1));
  net.run();
  CHECK(net.records()[1].hits.size() == 1);
  CHECK(net.sent(MsgType::Extend) == extends_first);  // started at TTL 4: no EXTEND needed
  CHECK(net.records()[1].result.messages == 1);
}
