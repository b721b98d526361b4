// Node::status / metrics_text (host/node/node_report.cpp) and the node's life cycle, on nodes
// bound to loopback with free ports.
#include "instance/plugin_instance.hpp"
#include "node/node.hpp"
#include "shadow_files.hpp"
#include "node/runtime.hpp"
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>

using namespace butter;
using namespace butter::test;

namespace {

namespace fs = std::filesystem;

const nlohmann::json* status_plugin(const nlohmann::json& status, const std::string& instance) {
  for (const auto& p : status["plugins"]) {
    if (p["instance"] == instance) return &p;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("a started node's status names it, its endpoints and its plugins as they run") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode n(rt, registry, loopback_manifest("stat", test_plugin_table("mini", "tp-minimal.so", "greeting = \"hi\"")));
  const auto s = n->status();
  INFO(s.dump(2));
  CHECK(s["node"]["id"] == n->id_hex());
  CHECK(s["node"]["name"] == "stat");
  CHECK(s["node"]["memory_budget"] == host::NodeSpec{}.memory_budget);
  const auto endpoints = n->listen_endpoints();
  REQUIRE_FALSE(endpoints.empty());
  CHECK(s["node"]["listen"].get<std::vector<std::string>>() == endpoints);
  CHECK_THAT(endpoints.front(), Catch::StartsWith("tcp://127.0.0.1:"));
  CHECK(s["node"]["http"] == n->http_url());
  CHECK_FALSE(n->http_url().empty());
  CHECK(s["node"]["uptime_ms"].get<std::int64_t>() >= 0);

  REQUIRE(s["plugins"].size() == 1);
  const auto& p = s["plugins"][0];
  CHECK(p["instance"] == "mini");
  CHECK(p["id"] == "test.minimal");
  CHECK(p["state"] == "started");
  CHECK(p["provides"].get<std::vector<std::string>>() == std::vector<std::string>{"test.minimal/1"});
  CHECK_FALSE(p.contains("failure"));
  CHECK_FALSE(p.contains("off_thread_calls"));

  CHECK(s["peers"].is_array());
  CHECK(s["peers"].empty());
  REQUIRE(s.contains("transport"));
  CHECK(s["transport"]["connections_opened"] == 0);
  CHECK(s["transport"]["aead"].is_string());
  CHECK(s["connections"]["open"] == 0);
  CHECK(s.contains("http"));
}

TEST_CASE("a node's metrics say each plugin is up, labelled with the node") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode n(rt, registry,
             loopback_manifest("metr", test_plugin_table("mini", "tp-minimal.so", "greeting = \"hi\"") +
                                           test_plugin_table("broken", "tp-failing-start.so")));
  const std::string text = n->metrics_text();
  CHECK_THAT(text, Catch::Contains("butter_plugin_up{node=\"metr\",plugin=\"mini\"} 1"));
  CHECK_THAT(text, Catch::Contains("butter_plugin_up{node=\"metr\",plugin=\"broken\"} 0"));
  CHECK_THAT(text, Catch::Contains("# TYPE butter_uptime_seconds gauge\nbutter_uptime_seconds{node=\"metr\"}"));
  CHECK_THAT(text, Catch::Contains("butter_peers_connected{node=\"metr\"} 0"));
}

TEST_CASE("a prepared node that is not started reports no endpoints, transport or plugins") {
  host::Runtime rt(1);
  host::PluginRegistry registry;
  host::Diagnostics diags;
  auto m = host::parse_manifest(
      loopback_manifest("idle", test_plugin_table("mini", "tp-minimal.so", "greeting = \"hi\"")), "<t>", diags);
  REQUIRE(m);
  host::Node node(rt.io(), *m, registry);
  REQUIRE(node.prepare(diags));
  CHECK_FALSE(node.running());
  const auto s = node.status();
  INFO(s.dump(2));
  CHECK(s["node"]["name"] == "idle");
  CHECK(s["node"]["listen"].empty());
  CHECK(s["node"]["http"] == "");
  CHECK(s["plugins"].empty());  // instances are made at start
  CHECK_FALSE(s.contains("transport"));
  CHECK_FALSE(s.contains("http"));
  CHECK(node.listen_endpoints().empty());
  CHECK(node.http_url().empty());
  CHECK_THAT(node.metrics_text(), !Catch::Contains("butter_peers_connected"));
}

TEST_CASE("a stopped node drops its plugins and endpoints, and stopping twice is harmless") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  host::Diagnostics diags;
  auto m = host::parse_manifest(
      loopback_manifest("life", test_plugin_table("mini", "tp-minimal.so", "greeting = \"hi\"")), "<t>", diags);
  REQUIRE(m);
  host::Node node(rt.io(), *m, registry);
  REQUIRE(node.prepare(diags));
  REQUIRE_FALSE(node.start());
  CHECK(node.running());
  const auto endpoints = node.listen_endpoints();
  REQUIRE(endpoints.size() == 1);
  CHECK_FALSE(node.start());  // already running: nothing rebinds
  CHECK(node.listen_endpoints() == endpoints);
  REQUIRE(status_plugin(node.status(), "mini") != nullptr);

  node.stop();
  CHECK_FALSE(node.running());
  CHECK(node.status()["plugins"].empty());
  node.stop();
  CHECK_FALSE(node.running());
}

TEST_CASE("with shadow loading a node runs its file plugins from shadow copies, not the file") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  host::Diagnostics diags;
  const std::string file = std::string(BUTTER_TEST_PLUGIN_DIR) + "/tp-minimal.so";
  auto m = host::parse_manifest(
      loopback_manifest("shadow", test_plugin_table("mini", "tp-minimal.so", "greeting = \"hi\"")), "<t>", diags);
  REQUIRE(m);
  const auto before = shadow_files_of("tp-minimal");
  host::Node node(rt.io(), *m, registry);
  node.set_shadow_loading(true);
  REQUIRE(node.prepare(diags));
  const auto after = shadow_files_of("tp-minimal");
  REQUIRE(after.size() == before.size() + 1);
  std::string shadow;
  for (const auto& f : after) {
    if (!before.count(f)) shadow = f;
  }
  REQUIRE_FALSE(node.start());
  // The developer's file is what plugin_files names; the library loaded is the copy.
  CHECK(node.plugin_files().at("mini") == file);
  std::string loaded = node.on_strand([&] { return node.core()->instances.at(0)->library()->path(); });
  CHECK(fs::path(loaded) == fs::path(shadow));
  CHECK(registry.size() == 0);  // the copy is private: not cached for other nodes
  CHECK(status_plugin(node.status(), "mini")->at("state") == "started");
  node.stop();
  std::error_code ec;
  fs::remove(shadow, ec);
  fs::remove(host::shadow_directory(), ec);  // only when empty
}
