// examples/discovery-static, built outside the tree against the installed SDK, replaces the
// standard multicast discovery: three `butter` processes on loopback, each told the fixed ports
// of the others, end up knowing each other in their known-host caches.
#include "support/free_ports.hpp"
#include "sdk_fixture.hpp"
#include "support/http_client.hpp"
#include "support/wait.hpp"

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <set>

using namespace butter;
using namespace butter::test;
using namespace butter::test::sdk;

namespace {

std::set<std::string> known_hosts(const std::string& http) {
  std::set<std::string> ids;
  try {
    auto r = http_get(http + "/knownhosts");
    if (r.status != 200) return ids;
    const auto report = nlohmann::json::parse(r.body);  // named: a range-for would not keep it alive
    for (const auto& h : report["hosts"]) ids.insert(h["id"].get<std::string>());
  } catch (const std::exception&) {
  }
  return ids;
}

}  // namespace

TEST_CASE("discovery-static built out of tree replaces multicast discovery for three butter processes") {
  InstalledSdk sdk;
  const std::string build = sdk / "discovery-static";
  sdk.build_project(BUTTER_SOURCE_DIR "/examples/discovery-static", build);
  const std::string so = build + "/discovery-static.so";
  REQUIRE(fs::exists(so));
  auto inspect = run_command({sdk.butter(), "inspect", so}, sdk / "inspect.log", 30s);
  CHECK(inspect.code == 0);
  CHECK_THAT(inspect.output, Catch::Contains("org.example.discovery-static") && Catch::Contains("butter.peers/1"));

  const auto ports = free_ports(3);
  std::string peers = "[";
  for (std::size_t i = 0; i < ports.size(); ++i) {
    peers += (i ? ", " : "") + std::string("\"tcp://127.0.0.1:") + std::to_string(ports[i]) + "\"";
  }
  peers += "]";  // every node gets the same list, its own endpoint included (the plugin skips it)

  std::vector<std::unique_ptr<Process>> nodes;
  std::vector<RunningNode> running(ports.size());
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::string name = "n" + std::to_string(i);
    const std::string manifest = sdk / (name + ".toml");
    write_text(manifest, "[node]\nname = \"" + name + "\"\nlisten = [\"tcp://127.0.0.1:" + std::to_string(ports[i]) +
                             "\"]\nhttp = \"127.0.0.1:0\"\n"
                             "[plugins.peers]\nplugin = \"butter.knownhosts.quality\"\n"
                             "[plugins.peers.config]\nrefresh_ms = 200\ntimeout_ms = 500\n"
                             "[plugins.discovery]\nfile = \"" +
                             so +
                             "\"\n"
                             "[plugins.discovery.config]\npeers = " +
                             peers + "\nretry_ms = 200\n");
    // Started one after the other: the first ones find nobody at first and must retry.
    nodes.push_back(
        std::make_unique<Process>(std::vector<std::string>{sdk.butter(), "run", manifest}, sdk / (name + ".log")));
    Process& p = *nodes.back();
    bool up = wait_until([&] { return read_running_line(p, running[i]) || !p.running(); }, 20s) &&
              read_running_line(p, running[i]);
    INFO(p.log());
    REQUIRE(up);
  }

  auto all_known = [&] {
    for (std::size_t i = 0; i < running.size(); ++i) {
      std::set<std::string> expected;
      for (std::size_t j = 0; j < running.size(); ++j) {
        if (j != i) expected.insert(running[j].id);
      }
      if (known_hosts(running[i].http) != expected) return false;
    }
    return true;
  };
  bool converged = wait_until(all_known, 30s);
  for (std::size_t i = 0; i < running.size(); ++i) {
    INFO("n" << i << " knows " << known_hosts(running[i].http).size() << " hosts; log:\n" << nodes[i]->log());
    CHECK(converged);
  }
  for (const auto& r : running) {
    auto status = nlohmann::json::parse(http_get(r.http + "/status").body);
    std::set<std::string> ids;
    for (const auto& p : status["plugins"]) {
      ids.insert(p["id"].get<std::string>());
      CHECK(p["state"] == "started");
    }
    CHECK(ids == std::set<std::string>{"butter.knownhosts.quality", "org.example.discovery-static"});
  }
  // The last node started found the others up: it dialled them and handed them over itself (the
  // first ones may have learnt of the later ones by their inbound HELLO before dialling).
  CHECK_THAT(http_get(running.back().http + "/metrics").body,
             Catch::Contains("butter_discovery_static_candidates_total{node=\"n2\",plugin=\"discovery\"} 2"));
  for (auto& n : nodes) CHECK(n->stop() == 0);
}
