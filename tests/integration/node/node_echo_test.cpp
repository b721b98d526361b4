// Real nodes in one process, talking over loopback TCP through the echo plugins.
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

using namespace butter;
using namespace butter::test;

namespace {
using Reply = Answer;
Reply request(TestNode& from, const std::string& peer, const std::string& protocol, const std::string& payload) {
  return request_from(from, peer, protocol, payload);
}
}  // namespace

TEST_CASE("two nodes in one process echo through the C++ echo plugin") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry,
             loopback_manifest("a", plugin_table("echo", "butter.example.echo", "greeting = \"hello \"")));
  TestNode b(rt, registry, loopback_manifest("b"));

  Reply r = request(b, a.endpoint(), "/butter/echo/1", "world");
  CHECK(r.status == BUTTER_OK);
  CHECK(r.payload == "hello world");
  CHECK(a.counter("echo", "echo_served_total") == 1);

  SECTION("by node id once connected") {
    Reply again = request(b, a->id_hex(), "/butter/echo/1", "again");
    CHECK(again.status == BUTTER_OK);
    CHECK(again.payload == "hello again");
  }
  SECTION("an unknown protocol is answered NOT_FOUND and the node keeps serving") {
    Reply missing = request(b, a.endpoint(), "/no/such/1", "x");
    CHECK(missing.status == BUTTER_E_NOT_FOUND);
    CHECK_THAT(missing.payload, Catch::Contains("/no/such/1"));
    CHECK(request(b, a.endpoint(), "/butter/echo/1", "still").payload == "hello still");
  }
}

TEST_CASE("an echo plugin with a target sends requests from plugin to plugin") {
  // The plugin's ping deadline is its interval: 100 ms, so that a slow machine (a sanitizer build
  // under load) does not count a late answer as a failure; 20 ms did, under ASan with a parallel build.
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", plugin_table("echo", "butter.example.echo")));
  TestNode b(rt, registry,
             loopback_manifest("b", plugin_table("echo", "butter.example.echo",
                                                 "target = \"" + a.endpoint() + "\"\ninterval_ms = 100")));
  CHECK(wait_until([&] { return b.counter("echo", "echo_replies_total") >= 3; }));
  CHECK(a.counter("echo", "echo_served_total") >= 3);
  CHECK(b.counter("echo", "echo_failures_total") == 0);
}

TEST_CASE("the C99 echo plugin loads and answers") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry,
             loopback_manifest("a", plugin_table("echo_c", "butter.example.echo-c", "greeting = \"c:\"")));
  TestNode b(rt, registry, loopback_manifest("b"));
  CHECK(a.plugin_state("echo_c") == "started");
  Reply r = request(b, a.endpoint(), "/butter/echo-c/1", "hi");
  CHECK(r.status == BUTTER_OK);
  CHECK(r.payload == "c:hi");
}

TEST_CASE("a key the manifest leaves out reads as its schema default, a key it sets as set") {
  // echo-c reads `protocol` and `greeting` with no default of its own: the host serves the ones
  // its schema declares (ABI 1.3), so it answers on /butter/echo-c/1 with an empty greeting.
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", plugin_table("echo_c", "butter.example.echo-c")));
  TestNode b(rt, registry,
             loopback_manifest("b", plugin_table("echo_c", "butter.example.echo-c", "protocol = \"/test/other/1\"")));
  TestNode c(rt, registry, loopback_manifest("c"));
  REQUIRE(a.plugin_state("echo_c") == "started");
  Reply r = request(c, a.endpoint(), "/butter/echo-c/1", "hi");
  CHECK(r.status == BUTTER_OK);
  CHECK(r.payload == "hi");
  CHECK(request(c, b.endpoint(), "/test/other/1", "x").payload == "x");
  CHECK(request(c, b.endpoint(), "/butter/echo-c/1", "x").status == BUTTER_E_NOT_FOUND);
}

TEST_CASE("many nodes share one runtime and all answer") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  std::vector<std::unique_ptr<TestNode>> nodes;
  for (int i = 0; i < 8; ++i) {
    nodes.push_back(std::make_unique<TestNode>(
        rt, registry, loopback_manifest("n" + std::to_string(i), plugin_table("echo", "butter.example.echo"))));
  }
  for (int i = 0; i < 8; ++i) {
    auto& from = *nodes[static_cast<std::size_t>(i)];
    auto& to = *nodes[static_cast<std::size_t>((i + 1) % 8)];
    Reply r = request(from, to.endpoint(), "/butter/echo/1", "n" + std::to_string(i));
    CHECK(r.status == BUTTER_OK);
    CHECK(r.payload == "n" + std::to_string(i));
  }
}
