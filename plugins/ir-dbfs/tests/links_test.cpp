// The overlay's links in the engine (same simulation as engine_test.cpp): LINK makes an inbound
// neighbour, UNLINK refuses one (no room) or withdraws one (chosen another), and refusals are
// remembered for a bounded number of peers.
#include "sim_network.hpp"

#include <catch2/catch.hpp>

using namespace butter::dbfs;
using namespace butter::dbfs::sim;

namespace {

// Objects placed by name, as in engine_test.cpp: routing only, no proofs.
EngineConfig links_config() {
  EngineConfig c;
  c.verify = false;
  c.method = Method::Flood;
  c.hop_ms = 5;
  return c;
}

SearchSpec links_object(const std::string& id, std::uint32_t ttl) {
  SearchSpec s;
  s.kind = QueryKind::Object;
  s.terms = {id};
  s.ttl = ttl;
  return s;
}

std::uint64_t links_queries_received(SimNetwork& net, std::size_t i) { return net.node(i).counters().queries_received; }

}  // namespace

TEST_CASE("a LINK makes the sender an inbound neighbour that queries are forwarded to") {
  SimNetwork net(3, links_config());
  net.node(0).neighbours().set_outbound({"n1"});  // 0 -> 1 only; 1 and 2 chose nobody
  net.search(0, links_object("obj", 3));
  net.run();
  CHECK(links_queries_received(net, 2) == 0);
  net.inject(2, 1, encode_link());  // 2 chose 1
  net.run();
  net.search(0, links_object("obj", 3));
  net.run();
  CHECK(links_queries_received(net, 2) == 1);
  auto bad = encode_link();
  bad.push_back(0);
  net.inject(2, 1, bad);
  net.run();
  CHECK(net.node(1).counters().malformed == 1);
}

TEST_CASE("a node with no inbound room answers a LINK with UNLINK and the sender chooses another") {
  EngineConfig c = links_config();
  c.max_inbound = 1;
  c.refused_ms = 60000;
  SimNetwork net(3, c);
  net.node(1).neighbours().set_outbound({"n0"});
  net.node(2).neighbours().set_outbound({"n0"});
  net.inject(1, 0, encode_link());  // takes 0's only inbound slot
  net.run();
  CHECK(net.node(0).counters().inbound_refused == 0);
  CHECK(net.node(1).counters().unlinks_received == 0);
  net.inject(2, 0, encode_link());  // no room: 0 says so
  net.run();
  CHECK(net.node(0).counters().inbound_refused == 1);
  CHECK(net.node(2).counters().unlinks_received == 1);
  CHECK(net.node(2).neighbours().outbound().empty());
  CHECK(net.node(2).link_refused("n0", net.now()));
  CHECK_FALSE(net.node(2).link_refused("n0", net.now() + 60000));
  CHECK_FALSE(net.node(2).link_refused("n1", net.now()));
  // The node that got the slot keeps its link.
  CHECK(net.node(1).neighbours().outbound() == std::vector<std::string>{"n0"});
  CHECK_FALSE(net.node(1).link_refused("n0", net.now()));

  // UNLINK is heeded only from a neighbour this node chose: a stranger cannot make it forget one.
  net.inject(2, 1, encode_unlink());
  net.run();
  CHECK(net.node(1).neighbours().outbound() == std::vector<std::string>{"n0"});
  CHECK(net.node(1).counters().unlinks_received == 0);
  CHECK_FALSE(net.node(1).link_refused("n2", net.now()));
  auto bad = encode_unlink();
  bad.push_back(0);
  net.inject(0, 1, bad);
  net.run();
  CHECK(net.node(1).counters().malformed == 1);
  CHECK(net.node(1).neighbours().outbound() == std::vector<std::string>{"n0"});
}

TEST_CASE("a neighbour that withdraws its link frees its inbound slot for a newcomer at once") {
  EngineConfig c = links_config();
  c.max_inbound = 1;
  c.refused_ms = 60000;
  SimNetwork net(4, c);
  net.node(1).neighbours().set_outbound({"n0"});
  net.inject(1, 0, encode_link());  // takes 0's only inbound slot
  net.run();
  CHECK(net.node(0).neighbours().inbound_count(net.now()) == 1);
  // A withdrawal from a peer that holds no slot frees nothing (a stranger cannot evict another).
  net.inject(2, 0, encode_unlink(UnlinkKind::Withdrawn));
  net.run();
  CHECK(net.node(0).counters().links_withdrawn == 0);
  net.inject(3, 0, encode_link());  // no room yet
  net.run();
  CHECK(net.node(0).counters().inbound_refused == 1);
  // 1 chose another neighbour and says so: the slot is free long before the idle timeout.
  net.inject(1, 0, encode_unlink(UnlinkKind::Withdrawn));
  net.run();
  CHECK(net.node(0).counters().links_withdrawn == 1);
  CHECK(net.node(0).neighbours().inbound_count(net.now()) == 0);
  net.inject(3, 0, encode_link());
  net.run();
  CHECK(net.node(0).counters().inbound_refused == 1);
  CHECK(net.node(0).neighbours().all(net.now()) == std::vector<std::string>{"n3"});
  // A withdrawal is not a refusal: the withdrawing node's own chosen neighbours are untouched.
  net.node(0).neighbours().set_outbound({"n1"});
  net.inject(1, 0, encode_unlink(UnlinkKind::Withdrawn));
  net.run();
  CHECK(net.node(0).neighbours().outbound() == std::vector<std::string>{"n1"});
  CHECK_FALSE(net.node(0).link_refused("n1", net.now()));
}

TEST_CASE("an inbound neighbour whose connection closed frees its slot at once and is no longer forwarded to") {
  EngineConfig c = links_config();
  c.max_inbound = 1;
  SimNetwork net(4, c);
  net.node(0).neighbours().set_outbound({"n1"});
  net.inject(2, 0, encode_link());  // takes 0's only inbound slot
  net.run();
  REQUIRE(net.node(0).neighbours().inbound_count(net.now()) == 1);
  // A peer that holds no inbound slot going down frees nothing, and its outbound place stays.
  net.node(0).peer_disconnected("n3");
  net.node(0).peer_disconnected("n1");
  CHECK(net.node(0).counters().inbound_disconnected == 0);
  CHECK(net.node(0).neighbours().outbound() == std::vector<std::string>{"n1"});
  // 2's last connection closed: long before inbound_idle_ms, the slot is free.
  net.node(0).peer_disconnected("n2");
  CHECK(net.node(0).counters().inbound_disconnected == 1);
  CHECK(net.node(0).neighbours().all(net.now()) == std::vector<std::string>{"n1"});
  net.search(0, links_object("obj", 3));
  net.run();
  CHECK(links_queries_received(net, 2) == 0);
  // A newcomer gets the slot; 2 comes back and LINKs again (it does every refresh period) but
  // finds it taken.
  net.inject(3, 0, encode_link());
  net.run();
  CHECK(net.node(0).neighbours().all(net.now()) == std::vector<std::string>{"n1", "n3"});
  net.inject(2, 0, encode_link());
  net.run();
  CHECK(net.node(0).counters().inbound_refused == 1);
}

TEST_CASE("refusals are remembered for a bounded number of peers") {
  Neighbours n;
  for (std::size_t i = 0; i < Neighbours::kMaxRefusals + 10; ++i) n.refused_by("p" + std::to_string(i), 1000 + i);
  std::size_t remembered = 0;
  for (std::size_t i = 0; i < Neighbours::kMaxRefusals + 10; ++i) remembered += n.refuses("p" + std::to_string(i), 0);
  CHECK(remembered == Neighbours::kMaxRefusals);
  CHECK_FALSE(n.refuses("p0", 0));  // the refusal ending first went first
  CHECK(n.refuses("p" + std::to_string(Neighbours::kMaxRefusals + 9), 0));
  CHECK_FALSE(n.refuses("p" + std::to_string(Neighbours::kMaxRefusals + 9), 2000 + Neighbours::kMaxRefusals));
}
