// Replica placement against sybils on real nodes: 8 storage nodes (node ids) on 4 loopback
// addresses of one /24 (127.0.1.2-5, two nodes per address) and 3 honest nodes on /24s of their
// own (127.0.2x.1). The writer dials them all (bootstrap), so it observes each one's address; its
// storage plugin runs with the loopback exemption off, so these loopback addresses are placed as
// public ones would be. Every group the writer creates holds at most one replica from the sybils'
// /24, though they are the majority of the hosts it knows.
#include "support/http_client.hpp"
#include "support/test_node.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <random>
#include <set>

using namespace butter;
using namespace butter::test;

namespace {

constexpr int kSybils = 8;
constexpr int kHonest = 3;
constexpr int kObjects = 10;

std::string storage_table(const std::string& extra = "") {
  return plugin_table("peers", "butter.knownhosts.quality", "refresh_ms = 200\ntimeout_ms = 1000\n") +
         plugin_table("storage", "butter.storage.pcg",
                      "heartbeat_ms = 100\nrequest_timeout_ms = 1000\nblock_size = 16384\n" + extra);
}

std::string node_at(const std::string& name, const std::string& ip) {
  return "[node]\nname = \"" + name + "\"\nlisten = [\"tcp://" + ip + ":0\"]\nhttp = \"127.0.0.1:0\"\n\n" +
         storage_table();
}

}  // namespace

TEST_CASE("a group takes at most one replica from the /24 of 8 sybil nodes on 4 addresses") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  std::vector<std::unique_ptr<TestNode>> others;  // sybils first, then the honest
  std::vector<std::string> boot;
  for (int i = 0; i < kSybils; ++i) {
    others.push_back(std::make_unique<TestNode>(
        rt, registry, node_at("sybil" + std::to_string(i), "127.0.1." + std::to_string(2 + i % 4))));
    boot.push_back(others.back()->endpoint());
  }
  for (int i = 0; i < kHonest; ++i) {
    others.push_back(std::make_unique<TestNode>(
        rt, registry, node_at("honest" + std::to_string(i), "127.0.2" + std::to_string(i) + ".1")));
    boot.push_back(others.back()->endpoint());
  }
  std::string boot_list;
  for (const auto& b : boot) boot_list += (boot_list.empty() ? "\"" : ", \"") + b + "\"";
  TestNode writer(rt, registry,
                  loopback_manifest("writer", storage_table("loopback_exempt = false\n"),
                                    "bootstrap = [" + boot_list + "]\nconnections_high_water = 32\n"));
  REQUIRE(wait_until([&] { return writer.counter("peers", "knownhosts_hosts") >= kSybils + kHonest; },
                     std::chrono::seconds(30)));

  std::map<std::string, int> sybil_ids;  // node id -> index
  for (int i = 0; i < kSybils; ++i) sybil_ids[others[static_cast<std::size_t>(i)]->node().id_hex()] = i;
  for (int k = 0; k < kObjects; ++k) {
    auto put = http_request_url("POST", writer->http_url() + "/storage", random_body(40 * 1000, 10 + k),
                                std::chrono::seconds(15));
    INFO(put.body);
    REQUIRE(put.status == 201);
    const std::string id = nlohmann::json::parse(put.body)["id"];
    // The members of the group, as the writer's view names them.
    std::set<std::string> members;
    const auto listed = nlohmann::json::parse(http_get(writer->http_url() + "/storage").body);
    for (const auto& o : listed["objects"])
      if (o["id"] == id)
        for (const auto& m : o["members"]) members.insert(m.get<std::string>());
    INFO("object " << k << ": " << listed.dump());
    REQUIRE(members.size() == 3);
    int from_sybils = 0;
    for (const auto& m : members) from_sybils += sybil_ids.count(m) ? 1 : 0;
    CHECK(from_sybils <= 1);
  }
}
