// Multicast discovery and the known-host cache over loopback: several nodes in one process find
// each other with no address configured, and bad datagrams are counted, not fatal.
#include "loopback_lan.hpp"
#include "support/test_node.hpp"

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <random>

using namespace butter;
using namespace butter::test;

namespace {

void send_udp(std::uint16_t port, const std::string& bytes) {
  boost::asio::io_context io;
  boost::asio::ip::udp::socket s(io, boost::asio::ip::udp::endpoint(boost::asio::ip::udp::v4(), 0));
  s.set_option(boost::asio::ip::multicast::outbound_interface(boost::asio::ip::make_address_v4("127.0.0.1")));
  s.send_to(boost::asio::buffer(bytes),
            boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("239.192.77.1"), port));
}

}  // namespace

TEST_CASE("five nodes in one process all find each other by multicast and fill their knownhosts-quality caches") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto port = fresh_discovery_port();
  std::vector<std::unique_ptr<TestNode>> nodes;
  for (int i = 0; i < 5; ++i) {
    nodes.push_back(
        std::make_unique<TestNode>(rt, registry, loopback_manifest("n" + std::to_string(i), lan_plugins(port))));
  }
  bool all = wait_until(
      [&] {
        for (auto& n : nodes) {
          if (n->counter("peers", "knownhosts_hosts") < 4) return false;
        }
        return true;
      },
      std::chrono::seconds(15));
  for (auto& n : nodes) INFO(n->node().name() << " knows " << n->counter("peers", "knownhosts_hosts"));
  CHECK(all);
  for (auto& n : nodes) CHECK(n->counter("discovery", "discovery_pings_sent_total") >= 1);
}

TEST_CASE("malformed datagrams on the discovery port are counted and ignored") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto port = fresh_discovery_port();
  TestNode a(rt, registry, loopback_manifest("a", lan_plugins(port)));
  send_udp(port, "garbage");
  send_udp(port, std::string("BUTR\x01\x01\x00", 7));
  send_udp(port, std::string(1500, 'x'));
  CHECK(wait_until([&] { return a.counter("discovery", "discovery_malformed_total") >= 3; }));
  CHECK(a.plugin_state("discovery") == "started");
  TestNode b(rt, registry, loopback_manifest("b", lan_plugins(port)));
  CHECK(wait_until(
      [&] { return a.counter("peers", "knownhosts_hosts") == 1 && b.counter("peers", "knownhosts_hosts") == 1; },
      std::chrono::seconds(10)));
}

TEST_CASE("a stopped node is evicted from the others' knownhosts-quality caches") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto port = fresh_discovery_port();
  TestNode a(rt, registry, loopback_manifest("a", lan_plugins(port, "max_failures = 2")));
  auto b = std::make_unique<TestNode>(rt, registry, loopback_manifest("b", lan_plugins(port)));
  REQUIRE(wait_until([&] { return a.counter("peers", "knownhosts_hosts") == 1; }, std::chrono::seconds(10)));
  b.reset();
  CHECK(wait_until([&] { return a.counter("peers", "knownhosts_hosts") == 0; }, std::chrono::seconds(10)));
  CHECK(a.counter("peers", "knownhosts_evicted_total") == 1);
}

TEST_CASE("the discovery plugins run on nodes without an HTTP endpoint") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto port = fresh_discovery_port();
  auto no_http = [&](const std::string& name) {
    return "[node]\nname = \"" + name + "\"\nlisten = [\"tcp://127.0.0.1:0\"]\nhttp = \"\"\n" + lan_plugins(port);
  };
  TestNode a(rt, registry, no_http("a"));
  TestNode b(rt, registry, no_http("b"));
  CHECK(a.plugin_state("peers") == "started");
  CHECK(wait_until(
      [&] { return a.counter("peers", "knownhosts_hosts") == 1 && b.counter("peers", "knownhosts_hosts") == 1; },
      std::chrono::seconds(10)));
}
