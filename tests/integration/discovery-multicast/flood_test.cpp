// discovery-multicast under a datagram flood, over loopback multicast (interface 127.0.0.1): a
// raw UDP socket bound to 127.0.0.2 (or to many 127.0.0.x) sends up to 20000 valid-looking PINGs,
// each from a new node id, to the group while a legitimate node joins from 127.0.0.1. The node
// sheds the flood before decoding it (counted), and still finds and answers the legitimate node.
#include "loopback_lan.hpp"
#include "support/test_node.hpp"

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <thread>

using namespace butter;
using namespace butter::test;

namespace {

// A cold PING beacon (see plugins/discovery-multicast/README.md) from node id number `n`,
// listening where nobody answers.
std::string fake_ping(std::uint64_t n) {
  std::string b = "BUTR";
  b += '\x01';  // version
  b += '\x01';  // PING
  b += '\x01';  // cold
  std::string id(32, '\xab');
  for (int i = 0; i < 8; ++i) id[static_cast<std::size_t>(i)] = static_cast<char>((n + 1) >> (8 * (7 - i)));
  b += id;
  b += std::string("\x00\x00", 2);  // hosts_known
  b += '\x01';                      // one endpoint
  const std::string ep = "tcp://127.0.0.1:1";
  b += static_cast<char>(0);
  b += static_cast<char>(ep.size());
  b += ep;
  return b;
}

// Floods the group from the given source addresses (round robin) on another thread: batches of
// `per_batch` every 10 ms, until stop() or `limit` datagrams.
class Flood {
 public:
  Flood(std::uint16_t port, std::vector<std::string> sources, int limit, int per_batch) {
    thread_ = std::thread([this, port, sources = std::move(sources), limit, per_batch] {
      namespace ip = boost::asio::ip;
      boost::asio::io_context io;
      std::vector<std::unique_ptr<ip::udp::socket>> sockets;
      for (const auto& s : sources) {
        auto sock = std::make_unique<ip::udp::socket>(io, ip::udp::endpoint(ip::make_address_v4(s), 0));
        sock->set_option(ip::multicast::outbound_interface(ip::make_address_v4("127.0.0.1")));
        sockets.push_back(std::move(sock));
      }
      const ip::udp::endpoint group(ip::make_address("239.192.77.1"), port);
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (!stop_ && sent_ < limit && std::chrono::steady_clock::now() < deadline) {
        for (int i = 0; i < per_batch && sent_ < limit; ++i) {
          auto& sock = *sockets[static_cast<std::size_t>(sent_) % sockets.size()];
          boost::system::error_code ec;
          sock.send_to(boost::asio::buffer(fake_ping(static_cast<std::uint64_t>(sent_))), group, 0, ec);
          ++sent_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // pacing, not synchronisation
      }
      done_ = true;
    });
  }
  ~Flood() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int sent() const { return sent_; }
  bool done() const { return done_; }

 private:
  std::atomic<bool> stop_{false}, done_{false};
  std::atomic<int> sent_{0};
  std::thread thread_;
};

struct Counts {
  std::uint64_t received, by_sender, by_budget;
};
Counts counts(TestNode& n) {
  return {n.counter("discovery", "discovery_datagrams_received_total"),
          n.counter("discovery", "discovery_datagrams_shed_sender_total"),
          n.counter("discovery", "discovery_datagrams_shed_budget_total")};
}

}  // namespace

TEST_CASE("a node flooded from one address still finds and answers another node") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto port = fresh_discovery_port();
  TestNode a(rt, registry, loopback_manifest("a", lan_plugins(port)));
  const Counts before = counts(a);
  const auto t0 = std::chrono::steady_clock::now();
  // About 2000 datagrams per second for up to 10 s, from 127.0.0.2 only.
  Flood flood(port, {"127.0.0.2"}, 20000, 25);
  // The newcomer joins once the flood has gone on for a while (its burst long spent).
  REQUIRE(wait_until([&] { return a.counter("discovery", "discovery_datagrams_shed_sender_total") > 2000; },
                     std::chrono::seconds(15)));
  TestNode b(rt, registry, loopback_manifest("b", lan_plugins(port)));
  bool found = wait_until(
      [&] { return a.counter("peers", "knownhosts_hosts") == 1 && b.counter("peers", "knownhosts_hosts") == 1; },
      std::chrono::seconds(15));
  const bool flooding_when_found = !flood.done();
  const int sent = flood.sent();
  flood.stop();
  const Counts after = counts(a);
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::uint64_t received = after.received - before.received;
  const std::uint64_t shed = (after.by_sender - before.by_sender) + (after.by_budget - before.by_budget);
  INFO("sent " << sent << " in " << elapsed_s << " s; a received " << received << ", shed " << shed << " (budget "
               << after.by_budget << ")");
  CHECK(found);
  CHECK(flooding_when_found);
  CHECK(a.plugin_state("discovery") == "started");
  // The flood was shed by its sender's rate (20/s, burst 40); the node's budget was never empty,
  // so the legitimate node's beacons were never shed.
  CHECK(after.by_budget == 0);
  CHECK(after.by_sender - before.by_sender > 2000);
  // What was processed at all: the flooder's 20/s (burst 40) plus the two nodes' own traffic
  // (each its own sender, the same bound), not the flood.
  CHECK(received - shed <= static_cast<std::uint64_t>(3 * (40 + 20 * elapsed_s) + 10));
}

TEST_CASE("a flood from many addresses is held to the node's total budget") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto port = fresh_discovery_port();
  // A budget of 200/s: 32 flooders at their own 20/s each (640/s) are over it.
  TestNode a(rt, registry, loopback_manifest("a", lan_plugins(port, "", "max_datagrams_per_second = 200.0")));
  const Counts before = counts(a);
  std::vector<std::string> sources;
  for (int i = 2; i < 34; ++i) sources.push_back("127.0.0." + std::to_string(i));
  const auto t0 = std::chrono::steady_clock::now();
  // 32 addresses at about 150/s each: each over its own 20/s, together over the 200/s budget.
  Flood flood(port, sources, 10000, 50);
  REQUIRE(wait_until([&] { return a.counter("discovery", "discovery_datagrams_shed_budget_total") > 100; },
                     std::chrono::seconds(10)));
  CHECK(wait_until([&] { return flood.done(); }, std::chrono::seconds(20)));
  flood.stop();
  const Counts after = counts(a);
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::uint64_t received = after.received - before.received;
  const std::uint64_t shed = (after.by_sender - before.by_sender) + (after.by_budget - before.by_budget);
  INFO("a received " << received << " in " << elapsed_s << " s, shed " << shed);
  // Everything processed went through the budget: at most its burst plus its rate.
  CHECK(received - shed <= static_cast<std::uint64_t>(400 + 200 * elapsed_s + 10));
  // What a answered, however many addresses asked: its answer budget (answers_per_s = 20, burst
  // the same) and one ANNOUNCE per quiet_ms (1 s), not one answer per address. The flood spends
  // every token, so the bound is met closely; the slack is for datagrams still queued when
  // elapsed_s was taken.
  const std::uint64_t pongs = a.counter("discovery", "discovery_pongs_sent_total");
  const std::uint64_t announces = a.counter("discovery", "discovery_announces_sent_total");
  INFO("a sent " << pongs << " PONGs and " << announces << " ANNOUNCEs");
  CHECK(pongs <= static_cast<std::uint64_t>(20 + 20 * elapsed_s + 5));
  CHECK(announces <= static_cast<std::uint64_t>(1 + elapsed_s + 1));
  CHECK(a.plugin_state("discovery") == "started");
  // Once the flood is over the budget refills, and a newcomer is found as usual.
  TestNode b(rt, registry, loopback_manifest("b", lan_plugins(port)));
  CHECK(wait_until(
      [&] { return a.counter("peers", "knownhosts_hosts") == 1 && b.counter("peers", "knownhosts_hosts") == 1; },
      std::chrono::seconds(15)));
}

TEST_CASE("budget values outside the schema's ranges are refused with the manifest, at their position") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"max_datagrams_per_second = -5.0",
       ":6:28: error: plugins.discovery.config.max_datagrams_per_second = -5 is below the minimum 0 (1/s)"},
      {"max_datagram_senders = 0",
       ":6:24: error: plugins.discovery.config.max_datagram_senders = 0 is below the minimum 1"},
  };
  for (const auto& [keys, reason] : bad) {
    INFO(keys);
    host::Diagnostics diags;
    auto m = host::parse_manifest(
        "[plugins.peers]\nplugin = \"butter.knownhosts.quality\"\n[plugins.discovery]\n"
        "plugin = \"butter.discovery.multicast\"\n[plugins.discovery.config]\n" +
            keys + "\n",
        "m.toml", diags);
    REQUIRE(m);
    m->node.plugin_path.push_back(BUTTER_PLUGIN_DIR);
    host::Node node(rt.io(), *m, registry);
    CHECK_FALSE(node.prepare(diags));
    CHECK_THAT(diags.to_string(), Catch::Contains("m.toml" + reason));
  }
}

TEST_CASE("budget values out of range fail the plugin's init with a reason") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto port = fresh_discovery_port();
  // What the schema cannot say (a float > 0, one key against another) init refuses.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"max_datagrams_per_second = 0.0", "max_datagrams_per_second must be in"},
      {"max_datagrams_per_second = 10.0\nmax_datagrams_per_second_per_sender = 20.0",
       "max_datagrams_per_second_per_sender must be"},
      {"max_datagrams_per_second_per_sender = 0.0", "max_datagrams_per_second_per_sender must be"},
  };
  for (const auto& [keys, reason] : bad) {
    INFO(keys);
    const std::string plugins = plugin_table("peers", "butter.knownhosts.quality") +
                                plugin_table("discovery", "butter.discovery.multicast",
                                             "interface = \"127.0.0.1\"\nport = " + std::to_string(port) + "\n" + keys);
    // The node keeps running; the plugin is isolated with the reason.
    TestNode node(rt, registry, loopback_manifest("bad", plugins));
    std::string state, failure;
    const auto status = node->status();
    for (const auto& p : status["plugins"]) {
      if (p["instance"] != "discovery") continue;
      state = p["state"].get<std::string>();
      failure = p.value("failure", std::string());
    }
    INFO(state << ": " << failure);
    CHECK(state != "started");
    CHECK(failure.find(reason) != std::string::npos);
    CHECK(node.plugin_state("peers") == "started");
  }
  // In range: starts.
  TestNode ok(rt, registry,
              loopback_manifest(
                  "ok", plugin_table("peers", "butter.knownhosts.quality") +
                            plugin_table("discovery", "butter.discovery.multicast",
                                         "interface = \"127.0.0.1\"\nport = " + std::to_string(port) +
                                             "\nmax_datagrams_per_second = 50\n"
                                             "max_datagrams_per_second_per_sender = 5.5\nmax_datagram_senders = 16")));
  CHECK(ok.plugin_state("discovery") == "started");
}
