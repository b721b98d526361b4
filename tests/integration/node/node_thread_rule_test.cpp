// The thread rule: [node] host functions called from a plugin's own thread are refused (not run
// racing the node), logged and counted; the same calls from the node's thread are served.
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

using namespace butter;
using namespace butter::test;

TEST_CASE(
    "[node] host functions called from a plugin's own thread are refused with INVALID and counted, "
    "and served from the node's thread") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", test_plugin_table("rule", "tp-thread-rule.so")));
  REQUIRE(a.plugin_state("rule") == "started");
  const std::string metrics = a->metrics_text();
  for (const char* fn : {"timer", "http", "net"}) {
    INFO(fn << "\n" << metrics);
    CHECK_THAT(metrics,
               Catch::Contains(std::string("butter_tp_off_thread_") + fn + "{node=\"a\",plugin=\"rule\"} -1\n"));
    // From the node's thread the call is not refused for the thread (the route may lack an HTTP
    // endpoint, the send a peer: other statuses, never INVALID).
    CHECK_THAT(metrics,
               !Catch::Contains(std::string("butter_tp_on_thread_") + fn + "{node=\"a\",plugin=\"rule\"} -1\n"));
  }
  CHECK_THAT(metrics, Catch::Contains("butter_tp_on_thread_timer{node=\"a\",plugin=\"rule\"} 0\n"));
  const auto status = a->status();
  INFO(status.dump());
  bool found = false;
  for (const auto& p : status["plugins"]) {
    if (p["instance"] == "rule") {
      found = true;
      CHECK(p["off_thread_calls"].get<std::uint64_t>() == 3);
    }
  }
  CHECK(found);
}
