// The overlay on real nodes over loopback: knownhosts-quality's peer exchange and neighbours on top
// of the host's connection manager. No multicast here: every node is told one bootstrap peer.
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace butter;
using namespace butter::test;

namespace {

// Short periods so that a test converges in seconds; the watermarks are small so that the
// bounded active set is exercised by a handful of nodes.
std::string overlay_node(const std::string& name, const std::string& bootstrap) {
  std::string keys =
      "connections_low_water = 3\nconnections_high_water = 8\nconnection_grace_ms = 500\nconnection_idle_ms = 2000\n";
  if (!bootstrap.empty()) keys += "bootstrap = [\"" + bootstrap + "\"]\n";
  return loopback_manifest(name,
                           plugin_table("peers", "butter.knownhosts.quality",
                                        "refresh_ms = 2000\ntimeout_ms = 2000\nexchange_min_ms = 100\n"
                                        "exchange_ms = 1000\nneighbour_ms = 100\nmax_inbound_neighbours = 3\n") +
                               plugin_table("echo", "butter.example.echo"),
                           keys);
}

std::set<std::string> connected_ids(TestNode& n) {
  std::set<std::string> out;
  const auto status = n->status();  // held: a range-for over a temporary's member would dangle
  for (const auto& p : status["peers"]) out.insert(p["id"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("nodes bootstrapped to one peer learn every node by peer exchange and keep a bounded connected overlay") {
  constexpr int kNodes = 16;
  host::Runtime rt(2);
  host::PluginRegistry registry;
  std::vector<std::unique_ptr<TestNode>> nodes;
  nodes.push_back(std::make_unique<TestNode>(rt, registry, overlay_node("n0", "")));
  const std::string boot = nodes[0]->endpoint();
  for (int i = 1; i < kNodes; ++i)
    nodes.push_back(std::make_unique<TestNode>(rt, registry, overlay_node("n" + std::to_string(i), boot)));

  // Everyone learns everyone, though each was told of node 0 alone.
  bool learned = wait_until(
      [&] {
        for (auto& n : nodes)
          if (n->counter("peers", "knownhosts_hosts") < kNodes - 1) return false;
        return true;
      },
      std::chrono::seconds(90));  // seconds here; the deadline leaves room for sanitizer builds
  std::string known;
  for (auto& n : nodes)
    known += n->node().name() + ":" + std::to_string(n->counter("peers", "knownhosts_hosts")) + "/" +
             std::to_string(n->counter("peers", "pex_records_accepted_total")) + "/" +
             std::to_string(n->counter("peers", "overlay_neighbours_out")) + "+" +
             std::to_string(n->counter("peers", "overlay_neighbours_in")) + " ex" +
             std::to_string(n->counter("peers", "pex_exchanges_total")) + " shed" +
             std::to_string(n->counter("peers", "pex_exchanges_shed_total")) + " ref" +
             std::to_string(n->counter("peers", "pex_records_refused_total")) + " | ";
  INFO("hosts known/records accepted/neighbours out+in: " << known);
  REQUIRE(learned);

  // The active set settles within the high watermark (node 0 had every node's bootstrap connection)
  // and stays one connected component.
  bool bounded = wait_until(
      [&] {
        for (auto& n : nodes)
          if (connected_ids(*n).size() > 8) return false;
        return true;
      },
      std::chrono::seconds(60));
  std::string conns;
  for (auto& n : nodes) conns += n->node().name() + ":" + std::to_string(connected_ids(*n).size()) + " ";
  INFO("connected peers: " << conns);
  CHECK(bounded);
  std::map<std::string, std::set<std::string>> graph;
  std::map<std::string, std::string> name_of;
  for (auto& n : nodes) {
    graph[n->node().id_hex()] = connected_ids(*n);
    name_of[n->node().id_hex()] = n->node().name();
  }
  std::set<std::string> seen{nodes[0]->node().id_hex()};
  std::vector<std::string> todo{nodes[0]->node().id_hex()};
  while (!todo.empty()) {
    auto id = todo.back();
    todo.pop_back();
    for (const auto& next : graph[id])
      if (seen.insert(next).second) todo.push_back(next);
  }
  CHECK(seen.size() == static_cast<std::size_t>(kNodes));
  std::uint64_t neighbours = 0;
  for (auto& n : nodes) neighbours += n->counter("peers", "pex_records_accepted_total") > 0;
  CHECK(neighbours == kNodes);

  // Any node reaches any other by id, from what the exchange told it (connecting on demand).
  for (int i : {3, 9, 15}) {
    const int j = (i * 7) % kNodes;
    if (i == j) continue;
    INFO(i << " -> " << j);
    auto r = request_from(*nodes[static_cast<std::size_t>(i)], nodes[static_cast<std::size_t>(j)]->node().id_hex(),
                          "/butter/echo/1", "hi");
    CHECK(r.status == BUTTER_OK);
  }
  CHECK(nodes[0]->node().status()["connections"]["high_water"] == 8);
  // Node 0 had every node's bootstrap connection: the connection managers closed the ones nobody
  // protects (on one side or the other) by trimming or idling.
  CHECK(wait_until(
      [&] {
        std::uint64_t closed = 0;
        for (auto& n : nodes) {
          const auto st = n->node().status();
          closed +=
              st["connections"]["trimmed"].get<std::uint64_t>() + st["connections"]["idle_closed"].get<std::uint64_t>();
        }
        return closed > 0;
      },
      std::chrono::seconds(15)));
}

TEST_CASE("a peer record whose endpoint a forwarder changed is refused and not used") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, overlay_node("a", ""));
  TestNode b(rt, registry, overlay_node("b", ""));
  TestNode m(rt, registry, loopback_manifest("mallory"));
  // Mallory asks a for an exchange: a's answer carries a's own signed record first.
  std::string ask = {1, 0, 0};
  auto answer = request_from(m, a.endpoint(), "/butter/pex/1", ask);
  REQUIRE(answer.status == BUTTER_OK);
  REQUIRE(answer.payload.size() > 3 + 2 + 50);
  const std::size_t len =
      (static_cast<unsigned char>(answer.payload[3]) << 8) | static_cast<unsigned char>(answer.payload[4]);
  std::string record = answer.payload.substr(5, len);
  const std::string a_uri = a.endpoint();
  auto at = record.find(a_uri);
  REQUIRE(at != std::string::npos);
  // Redirect a's traffic to mallory's port: same length, other digits.
  std::string evil = record;
  const std::string m_uri = m.endpoint();
  REQUIRE(m_uri.size() == a_uri.size());
  evil.replace(at, a_uri.size(), m_uri);
  std::string msg = {1, 0, 1, static_cast<char>(evil.size() >> 8), static_cast<char>(evil.size() & 0xFF)};
  msg += evil;
  auto r = request_from(m, b.endpoint(), "/butter/pex/1", msg);
  CHECK(r.status == BUTTER_OK);
  CHECK(b.counter("peers", "pex_records_refused_total") == 1);
  CHECK(b.counter("peers", "pex_records_accepted_total") == 0);
  // The genuine record is accepted (after the per-peer exchange interval).
  std::string good = {1, 0, 1, static_cast<char>(record.size() >> 8), static_cast<char>(record.size() & 0xFF)};
  good += record;
  Answer ok;
  REQUIRE(wait_until(
      [&] {
        ok = request_from(m, b.endpoint(), "/butter/pex/1", good);
        return ok.status == BUTTER_OK;
      },
      std::chrono::seconds(5)));
  CHECK(b.counter("peers", "pex_records_accepted_total") == 1);
  // And replaying it changes nothing (stale, not counted as new).
  REQUIRE(wait_until([&] { return request_from(m, b.endpoint(), "/butter/pex/1", good).status == BUTTER_OK; },
                     std::chrono::seconds(5)));
  CHECK(b.counter("peers", "pex_records_accepted_total") == 1);
}
