// Never panic: a plugin that fails or throws is isolated and the node keeps serving.
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <future>

using namespace butter;
using namespace butter::test;

TEST_CASE("a plugin whose start fails is isolated while the node keeps running") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry,
             loopback_manifest(
                 "a", test_plugin_table("bad", "tp-failing-start.so") + plugin_table("echo", "butter.example.echo")));
  CHECK(a.plugin_state("bad") == "failed");
  CHECK(a.plugin_state("echo") == "started");
  auto status = a->status();
  bool found = false;
  for (const auto& p : status["plugins"]) {
    if (p["instance"] == "bad") {
      found = true;
      CHECK_THAT(p["failure"].get<std::string>(), Catch::Contains("start failed"));
    }
  }
  CHECK(found);
  CHECK_THAT(a->metrics_text(), Catch::Contains("butter_plugin_up{node=\"a\",plugin=\"bad\"} 0"));
}

TEST_CASE("a plugin that throws across the C boundary does not take the node down") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry,
             loopback_manifest(
                 "a", test_plugin_table("thrower", "tp-throwing.so") + plugin_table("echo", "butter.example.echo")));
  CHECK(a.plugin_state("thrower") == "failed");
  CHECK(a.plugin_state("echo") == "started");
  CHECK(a->status()["node"]["id"].get<std::string>().size() == 64);
}

TEST_CASE("a handler that throws at run time is isolated and its requester is answered") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry,
             loopback_manifest("a", test_plugin_table("thrower", "tp-throwing-handler.so") +
                                        plugin_table("echo", "butter.example.echo")));
  TestNode b(rt, registry, loopback_manifest("b"));
  REQUIRE(a.plugin_state("thrower") == "started");
  auto ask = [&](const std::string& protocol) { return request_from(b, a.endpoint(), protocol, "").status; };
  CHECK(ask("/test/throw/1") == BUTTER_E_INTERNAL);
  CHECK(a.plugin_state("thrower") == "failed");
  CHECK(ask("/test/throw/1") == BUTTER_E_NOT_FOUND);  // its handler is gone with it
  CHECK(ask("/butter/echo/1") == BUTTER_OK);
}
