// Multicast discovery: time until every node knows every other (in its known-host cache or on
// probation there), for 2, 10 and 50 nodes in one process on loopback, and the discovery traffic
// per node once settled, next to a baseline measured in the same run: the same plugins
// configured like the Go prototype's discovery (one ping per second, no fast cold start).
#include "bench_stats.hpp"
#include "node/node.hpp"
#include "node/runtime.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <memory>
#include <random>
#include <thread>

using namespace butter;
using namespace butter::bench;

namespace {

struct Policy {
  const char* name;
  std::string discovery_config;
};

host::Manifest manifest(const std::string& name, std::uint16_t port, const Policy& p) {
  std::string text = "[node]\nname = \"" + name +
                     "\"\nlisten = [\"tcp://127.0.0.1:0\"]\nhttp = \"\"\nlog_level = \"error\"\n"
                     "[plugins.peers]\nplugin = \"butter.knownhosts.quality\"\n"
                     "[plugins.discovery]\nplugin = \"butter.discovery.multicast\"\n[plugins.discovery.config]\n"
                     "interface = \"127.0.0.1\"\nport = " +
                     std::to_string(port) + "\n" + p.discovery_config;
  host::Diagnostics d;
  auto m = host::parse_manifest(text, "<bench>", d);
  if (!m) throw std::runtime_error(d.to_string());
  m->node.plugin_path.push_back(BUTTER_PLUGIN_DIR);
  return *m;
}

double metric(host::Node& n, const char* instance, const char* name) {
  return static_cast<double>(n.on_strand([&] { return n.core()->metrics.counter(instance, name); }));
}

struct Result {
  double full_discovery_ms = -1;
  double sent_bytes_per_min = 0, received_bytes_per_min = 0;
};

// Starts n nodes at once and waits (bounded) until each knows the n - 1 others; then, when
// `idle_window` > 0, measures discovery bytes over that window.
Result run(int n, const Policy& p, std::chrono::seconds idle_window) {
  static std::mt19937 rng(std::random_device{}());
  auto port = static_cast<std::uint16_t>(30000 + rng() % 20000);
  host::Runtime rt(2);
  host::PluginRegistry registry;
  std::vector<std::unique_ptr<host::Node>> nodes;
  for (int i = 0; i < n; ++i) {
    nodes.push_back(std::make_unique<host::Node>(rt.io(), manifest("n" + std::to_string(i), port, p), registry));
    host::Diagnostics d;
    if (!nodes.back()->prepare(d)) throw std::runtime_error(d.to_string());
  }
  auto t0 = Clock::now();
  for (auto& node : nodes) {
    if (auto e = node->start()) throw std::runtime_error(e.message);
  }
  Result r;
  auto deadline = t0 + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    bool all = true;
    for (auto& node : nodes) {
      // Known = in the cache or on probation there: what discovery found. A candidate is admitted
      // once probed, at probes_per_refresh per refresh (the cache's bounded probing, not
      // discovery's speed): at 50 nodes at once that takes longer than this bench's minute.
      if (metric(*node, "peers", "knownhosts_hosts") + metric(*node, "peers", "knownhosts_candidates") < n - 1) {
        all = false;
        break;
      }
    }
    if (all) {
      r.full_discovery_ms = us_since(t0) / 1000.0;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling granularity, not a synchronisation
  }
  if (idle_window.count() > 0 && r.full_discovery_ms >= 0) {
    double sent0 = 0, recv0 = 0, sent1 = 0, recv1 = 0;
    for (auto& node : nodes) {
      sent0 += metric(*node, "discovery", "discovery_bytes_sent_total");
      recv0 += metric(*node, "discovery", "discovery_bytes_received_total");
    }
    std::this_thread::sleep_for(idle_window);  // the measurement window itself
    for (auto& node : nodes) {
      sent1 += metric(*node, "discovery", "discovery_bytes_sent_total");
      recv1 += metric(*node, "discovery", "discovery_bytes_received_total");
    }
    double minutes = std::chrono::duration<double>(idle_window).count() / 60.0;
    r.sent_bytes_per_min = (sent1 - sent0) / n / minutes;
    r.received_bytes_per_min = (recv1 - recv0) / n / minutes;
  }
  for (auto& node : nodes) node->stop();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  // 50 nodes in one process hold thousands of sockets.
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  int window_s = argc > 1 ? std::atoi(argv[1]) : 90;
  Policy butter_policy{"butter (defaults)", ""};
  Policy prototype{"prototype (1 ping/s)", "fast_ms = 1000\nslow_ms = 1000\n"};
  std::printf("time until every node knows every other (one process, loopback multicast)\n");
  std::printf("%-6s %-22s %14s\n", "nodes", "policy", "full (ms)");
  try {
    for (int n : {2, 10, 50}) {
      Result proto = run(n, prototype, std::chrono::seconds(0));
      Result ours = run(n, butter_policy, std::chrono::seconds(0));
      std::printf("%-6d %-22s %14.1f\n", n, prototype.name, proto.full_discovery_ms);
      std::printf("%-6d %-22s %14.1f   ratio %.3fx\n", n, butter_policy.name, ours.full_discovery_ms,
                  ours.full_discovery_ms / proto.full_discovery_ms);
    }
    std::printf("\ndiscovery traffic per node once all know each other, 10 nodes, %d s window\n", window_s);
    std::printf("(the window starts at full discovery, so it includes the back-off to the slow interval)\n");
    Result proto = run(10, prototype, std::chrono::seconds(window_s));
    Result ours = run(10, butter_policy, std::chrono::seconds(window_s));
    std::printf("%-22s %14s %14s\n", "policy", "sent B/min", "recv B/min");
    std::printf("%-22s %14.0f %14.0f\n", prototype.name, proto.sent_bytes_per_min, proto.received_bytes_per_min);
    std::printf("%-22s %14.0f %14.0f   ratio sent %.3fx\n", butter_policy.name, ours.sent_bytes_per_min,
                ours.received_bytes_per_min, ours.sent_bytes_per_min / proto.sent_bytes_per_min);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "benchmark failed: %s\n", e.what());
    return 1;
  }
  std::printf("aim: 50 nodes fully discovered in under 1 s; idle discovery traffic under 1024 B per node per minute\n");
  return 0;
}
