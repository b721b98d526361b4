// Discovery answers only sources that could be on its LAN: a `butter` process on host 1 of a bed
// (198.18.0.0/24), and on host 2 a forger that is also the LAN's router to an outside network,
// 198.19.77.0/24, holding 198.19.77.9 and .10 of it — so a PONG to those addresses, were one sent,
// comes back to the forger's sockets instead of vanishing.
#include "beacon.hpp"
#include "support/netns_bed.hpp"
#include "support/netns_http.hpp"
#include "support/udp_probe.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sched.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* kGroupAddress = "239.192.77.1";
constexpr std::uint16_t kGroupPort = 7946;  // the plugin's default
// One outside address per socket tried: each is answered (or not) on its own, whatever the quiet
// period of the other.
constexpr const char* kOutsideAddress = "198.19.77.9";
constexpr const char* kOtherOutsideAddress = "198.19.77.10";

// A cold PING from a node id never used before.
std::vector<std::uint8_t> forged_ping() {
  static std::mt19937_64 rng(std::random_device{}());
  discovery::Beacon b;
  b.kind = discovery::BeaconKind::Ping;
  b.cold = true;
  for (int i = 0; i < 64; ++i) b.node_id += "0123456789abcdef"[rng() % 16];
  b.endpoints = {std::string("tcp://") + kOutsideAddress + ":7700"};
  return discovery::encode_beacon(b);
}

// Sends a PING from `probe` to `address`:`port` until a PONG comes back (each waits up to 200 ms;
// 15 s in all); whether one did.
bool answered(UdpProbe& probe, const std::string& address, std::uint16_t port) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    probe.send_to(address, port, forged_ping());
    if (probe.receive(std::chrono::milliseconds(200))) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("PINGs from an address off the LAN are not answered on either socket while the LAN's are") {
  BUTTER_REQUIRE_NETNS();
  NetnsBed bed({.hosts = 2});
  const std::string node_ip = bed.host_ip(1), forger_ip = bed.host_ip(2);
  // Host 2 routes the outside network for host 1 and holds two of its addresses.
  REQUIRE(bed.run(bed.host_ns(1), {"ip", "route", "add", "198.19.77.0/24", "via", forger_ip}) == 0);
  for (const char* a : {kOutsideAddress, kOtherOutsideAddress})
    REQUIRE(bed.run(bed.host_ns(2), {"ip", "addr", "add", std::string(a) + "/32", "dev", "eth0"}) == 0);

  fs::path dir = fs::temp_directory_path() / ("butter-" + bed.prefix());
  fs::create_directories(dir);
  const fs::path manifest = dir / "node.toml";
  // quiet_ms = 1: the LAN probe is answered each time it asks, whatever it was answered before.
  std::ofstream(manifest) << "[node]\nname = \"node\"\nlisten = [\"tcp://" << node_ip << ":7700\"]\nhttp = \""
                          << node_ip << ":8700\"\n"
                          << "[plugins.peers]\nplugin = \"butter.knownhosts.quality\"\n"
                          << "[plugins.discovery]\nplugin = \"butter.discovery.multicast\"\n"
                          << "[plugins.discovery.config]\ninterface = \"" << node_ip << "\"\nquiet_ms = 1\n";
  bed.spawn(bed.host_ns(1), {BUTTER_BUILD_DIR "/bin/butter", "run", manifest.string()}, (dir / "node.log").string());

  std::size_t outside_pongs_multicast = 0, outside_pongs_unicast = 0;
  bool multicast_answered = false, unicast_answered = false;
  run_in_ns(bed.host_ns(2), [&] {
    UdpProbe group(kGroupAddress, kGroupPort, forger_ip);
    group.join(kGroupAddress, forger_ip);
    UdpProbe lan(forger_ip, 0, forger_ip);
    UdpProbe outside(kOutsideAddress, 0, forger_ip), other_outside(kOtherOutsideAddress, 0, forger_ip);
    // The node's own PINGs say where its own socket is, and that it is up.
    std::optional<UdpProbe::Received> own;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!own && std::chrono::steady_clock::now() < deadline) {
      auto r = group.receive(std::chrono::milliseconds(500));
      if (r && r->from_address == node_ip) own = r;
    }
    if (!own) throw std::runtime_error("the node's PINGs were never heard");
    // A multicast PING "from" the outside address, then the LAN's: the node reads its group
    // socket in order, so once the LAN's is answered, a PONG to the outside would be queued.
    outside.send_to(kGroupAddress, kGroupPort, forged_ping());
    multicast_answered = answered(lan, kGroupAddress, kGroupPort);
    outside_pongs_multicast = outside.drain().size();
    // The same to the node's own socket, unicast.
    other_outside.send_to(node_ip, own->from_port, forged_ping());
    unicast_answered = answered(lan, node_ip, own->from_port);
    outside_pongs_unicast = other_outside.drain().size();
  });
  CHECK(multicast_answered);
  CHECK(unicast_answered);
  CHECK(outside_pongs_multicast == 0);
  CHECK(outside_pongs_unicast == 0);
  double off_lan = -1;
  try {
    const auto metrics = http_get_in_ns(bed.host_ns(1), "http://" + node_ip + ":8700/metrics").body;
    const auto at = metrics.find("butter_discovery_pings_off_lan_total{");
    if (at != std::string::npos) off_lan = std::stod(metrics.substr(metrics.find(' ', at) + 1));
  } catch (const std::exception& e) {
    INFO(e.what());
  }
  CHECK(off_lan == 2);
}
