// ir-dbfs's overlay links on real nodes over loopback: without a known-host cache the neighbours
// are the connected peers, and a peer that chose this node frees its inbound slot when its last
// connection closes.
#include "dbfs_http.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <memory>

using namespace butter;
using namespace butter::test;

TEST_CASE("without a known-host cache the neighbours are the connected peers") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto bare = [](const std::string& name) {
    return loopback_manifest(
        name, plugin_table("search", "butter.ir.dbfs", "refresh_ms = 100\nhop_ms = 20.0\nverify = false\n") +
                  test_plugin_table("client", "tp-search-client.so"));
  };
  TestNode a(rt, registry, bare("a")), b(rt, registry, bare("b")), c(rt, registry, bare("c"));
  // a - b - c: connections made by requests on a protocol nobody serves (answered with an error).
  request_from(a, b.endpoint(), "/test/none/1", "");
  request_from(b, c.endpoint(), "/test/none/1", "");
  const bool linked = wait_until([&] {
    return dbfs_status(a)["outbound"] == 1 && dbfs_status(c)["neighbours"].size() == 1 &&
           dbfs_status(b)["neighbours"].size() == 2;
  });
  INFO(dbfs_status(a).dump() << "\n" << dbfs_status(b).dump());
  REQUIRE(linked);
  auto ann = http_request_url("POST", c->http_url() + "/search/annotate?object=far-object&keywords=far");
  CHECK(ann.status == 200);
  auto j = dbfs_get_json(a, "/search?q=far&max=1");
  REQUIRE(j["hits"].size() == 1);
  CHECK(j["hits"][0]["node"] == c->id_hex());
  CHECK(j["hits"][0]["hops"] == 2);
}

TEST_CASE("an inbound neighbour that disconnects frees its slot at once") {
  // Before, the slot stayed taken until inbound_idle_ms (10 min): queries went on to a peer that
  // had left, and a newcomer was refused the slot.
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto bare = [](const std::string& name) {
    return loopback_manifest(
        name, plugin_table("search", "butter.ir.dbfs", "neighbours = 1\nrefresh_ms = 100\nverify = false\n"));
  };
  TestNode b(rt, registry, bare("b")), c(rt, registry, bare("c"));
  // b chooses c, its only connected peer; a, which connects later, is inbound only.
  request_from(b, c.endpoint(), "/test/none/1", "");
  REQUIRE(wait_until([&] { return dbfs_status(b)["outbound_ids"] == nlohmann::json::array({c->id_hex()}); }));
  auto a = std::make_unique<TestNode>(rt, registry, bare("a"));
  request_from(*a, b.endpoint(), "/test/none/1", "");
  const bool linked = wait_until([&] { return dbfs_status(b)["inbound"] == 1; });
  INFO("linked: " << dbfs_status(b).dump());
  REQUIRE(linked);
  CHECK(dbfs_status(b)["inbound_disconnected"] == 0);
  a.reset();  // a stops: its connection to b closes
  const bool freed = wait_until([&] {
    const auto st = dbfs_status(b);
    return st["inbound"] == 0 && st["inbound_disconnected"] == 1;
  });
  INFO("after: " << dbfs_status(b).dump());
  CHECK(freed);
  CHECK(dbfs_status(b)["neighbours"].size() == 1);  // c, still chosen
  CHECK(b.counter("search", "dbfs_inbound_disconnected_total") == 1);
}

TEST_CASE("the chosen neighbours are protected from the host's trims until dropped") {
  // Before, the host's connection manager could cut a search link (above the high watermark) and
  // the plugin learnt of it only at its next refresh.
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto bare = [](const std::string& name) {
    return loopback_manifest(
        name, plugin_table("search", "butter.ir.dbfs", "neighbours = 1\nrefresh_ms = 100\nverify = false\n"));
  };
  auto protected_peers = [](TestNode& n) {
    return dbfs_get_json(n, "/status")["connections"]["protected_peers"].get<int>();
  };
  TestNode b(rt, registry, bare("b"));
  auto c = std::make_unique<TestNode>(rt, registry, bare("c"));
  CHECK(protected_peers(b) == 0);
  request_from(b, (*c).endpoint(), "/test/none/1", "");
  REQUIRE(wait_until([&] { return dbfs_status(b)["outbound_ids"] == nlohmann::json::array({(*c)->id_hex()}); }));
  // Chosen: protected, and nothing else is (the manifest has no other plugin that protects).
  REQUIRE(wait_until([&] { return protected_peers(b) == 1; }));
  c.reset();  // c stops: b drops it from its choice at the next refresh, and lets it go
  const bool dropped = wait_until([&] { return dbfs_status(b)["outbound"] == 0 && protected_peers(b) == 0; });
  INFO(dbfs_get_json(b, "/status")["connections"].dump());
  CHECK(dropped);
}
