// discovery-multicast must not be a reflector: PINGs whose source address, source port and node id
// are the sender's to choose, over loopback multicast (interface 127.0.0.1). Strangers are
// UdpProbe sockets on 127.0.0.x that speak the plugin's own beacon codec.
#include "beacon.hpp"
#include "loopback_lan.hpp"
#include "support/test_node.hpp"
#include "support/udp_probe.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <random>

using namespace butter;
using namespace butter::test;

namespace {

constexpr const char* kDiscoveryGroup = "239.192.77.1";

std::string random_node_id() {
  static std::mt19937_64 rng(std::random_device{}());
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 64; ++i) id += hex[rng() % 16];
  return id;
}

// A cold PING from a node id never used before, naming `endpoints`.
std::vector<std::uint8_t> stranger_ping(std::vector<std::string> endpoints = {"tcp://127.0.0.1:1"}) {
  discovery::Beacon b;
  b.kind = discovery::BeaconKind::Ping;
  b.cold = true;
  b.node_id = random_node_id();
  b.endpoints = std::move(endpoints);
  return discovery::encode_beacon(b);
}

// Pings the group on `port` from `probe`, a fresh node id each time, until a PONG comes back
// (each ping waits up to 200 ms for it; 10 s in all); the PONG's bytes, or nothing.
std::optional<std::vector<std::uint8_t>> ping_until_answered(UdpProbe& probe, std::uint16_t port) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    probe.send_to(kDiscoveryGroup, port, stranger_ping());
    if (auto r = probe.receive(std::chrono::milliseconds(200))) return r->data;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("PINGs claiming new node ids from many ports of one address get one PONG per quiet period") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto port = fresh_discovery_port();
  TestNode a(rt, registry, loopback_manifest("a", lan_plugins(port)));
  // a hears the group: nothing sent from here on is lost to a socket not yet open.
  UdpProbe ready("127.0.0.3", 0, "127.0.0.1");
  REQUIRE(ping_until_answered(ready, port));
  // The forger's six PINGs, each from another port of 127.0.0.2 and with another node id: each is
  // a sender of its own to the receive budget, and a stranger to a.
  std::vector<std::unique_ptr<UdpProbe>> victim;
  for (int i = 0; i < 6; ++i) {
    victim.push_back(std::make_unique<UdpProbe>("127.0.0.2", 0, "127.0.0.1"));
    victim.back()->send_to(kDiscoveryGroup, port, stranger_ping());
  }
  // a answers in the order it hears: once a later stranger has its PONG, whatever a sent to
  // 127.0.0.2 is queued there.
  UdpProbe after("127.0.0.4", 0, "127.0.0.1");
  REQUIRE(ping_until_answered(after, port));
  std::size_t pongs = 0;
  for (auto& v : victim) pongs += v->drain().size();
  CHECK(pongs == 1);
}

TEST_CASE("a PONG is at most twice the size of the PING it answers and still names the node") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto port = fresh_discovery_port();
  // Three endpoints: a PONG naming them all (about 110 bytes) is more than twice the smallest PING.
  TestNode a(rt, registry,
             "[node]\nname = \"a\"\nlisten = [\"tcp://127.0.0.1:0\", \"tcp://127.0.0.2:0\", \"tcp://127.0.0.3:0\"]\n"
             "http = \"127.0.0.1:0\"\n" +
                 lan_plugins(port));
  UdpProbe ready("127.0.0.3", 0, "127.0.0.1");
  REQUIRE(ping_until_answered(ready, port));
  const auto endpoints = a->listen_endpoints();
  REQUIRE(endpoints.size() == 3);
  auto pong_for = [&](const std::string& from, const std::vector<std::uint8_t>& ping) {
    UdpProbe probe(from, 0, "127.0.0.1");
    probe.send_to(kDiscoveryGroup, port, ping);
    auto r = probe.receive(std::chrono::seconds(10));
    REQUIRE(r);
    std::string why;
    auto b = discovery::decode_beacon(r->data.data(), r->data.size(), why);
    INFO(why);
    REQUIRE(b);
    CHECK(b->kind == discovery::BeaconKind::Pong);
    return std::make_pair(r->data.size(), b->endpoints);
  };
  // The smallest PING a forger can send (no endpoint, 42 bytes): a PONG of at most 84 bytes, which
  // still names one of a's endpoints.
  const auto smallest = stranger_ping({});
  REQUIRE(smallest.size() == 42);
  const auto [small_size, small_endpoints] = pong_for("127.0.0.5", smallest);
  CHECK(small_size <= 2 * smallest.size());
  REQUIRE(small_endpoints.size() == 1);
  CHECK(small_endpoints[0] == endpoints[0]);
  // A newcomer's PING carries its own endpoints: room for all of a's.
  const auto newcomer = stranger_ping({"tcp://127.0.0.1:1", "tcp://127.0.0.1:2"});
  const auto [full_size, full_endpoints] = pong_for("127.0.0.6", newcomer);
  CHECK(full_size <= 2 * newcomer.size());
  CHECK(full_endpoints == endpoints);
}
