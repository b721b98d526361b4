// Discovery and the known-host cache on real hosts: `butter` processes in network namespaces on
// one bridge (198.18.0.0/24), and a second LAN behind a NAT router.
#include "support/netns_bed.hpp"
#include "support/netns_http.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>

using namespace butter::test;
namespace fs = std::filesystem;

namespace {

struct HostNode {
  std::string ns, ip;
  pid_t pid = 0;
  std::string url(const std::string& path) const { return "http://" + ip + ":8700" + path; }
};

// Writes a manifest for a node at `ip` and starts `butter run` on it in `ns`.
HostNode start_node(NetnsBed& bed, const std::string& ns, const std::string& ip, const std::string& kh_config = "") {
  fs::path dir = fs::temp_directory_path() / ("butter-" + bed.prefix());
  fs::create_directories(dir);
  fs::path manifest = dir / (ns + ".toml");
  std::ofstream(manifest)
      << "[node]\nname = \"" << ns << "\"\nlisten = [\"tcp://" << ip << ":7700\"]\nhttp = \"" << ip << ":8700\"\n"
      << "[plugins.peers]\nplugin = \"butter.knownhosts.quality\"\n[plugins.peers.config]\n"
      << "refresh_ms = 300\ntimeout_ms = 1000\nmax_failures = 2\n"
      << kh_config << "\n"
      << "[plugins.discovery]\nplugin = \"butter.discovery.multicast\"\n[plugins.discovery.config]\n"
      << "interface = \"" << ip << "\"\nfast_ms = 100\nslow_ms = 5000\n";
  HostNode n{ns, ip};
  n.pid = bed.spawn(ns, {BUTTER_BUILD_DIR "/bin/butter", "run", manifest.string()}, (dir / (ns + ".log")).string());
  return n;
}

std::vector<std::string> known_ids(const HostNode& n) {
  std::vector<std::string> ids;
  if (auto j = json_in_ns(n.ns, n.url("/knownhosts"))) {
    for (const auto& h : (*j)["hosts"]) ids.push_back(h["id"].get<std::string>());
  }
  return ids;
}

std::string node_id(const HostNode& n) {
  auto j = json_in_ns(n.ns, n.url("/status"));
  return j ? (*j)["node"]["id"].get<std::string>() : std::string();
}

double metric(const HostNode& n, const std::string& line_prefix) {
  try {
    auto r = http_get_in_ns(n.ns, n.url("/metrics"));
    auto at = r.body.find(line_prefix);
    if (at == std::string::npos) return -1;
    return std::stod(r.body.substr(r.body.find(' ', at) + 1));
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

TEST_CASE("ten hosts on one LAN all know each other through discovery-multicast and knownhosts-quality") {
  BUTTER_REQUIRE_NETNS();
  NetnsBed bed({.hosts = 10});
  std::vector<HostNode> nodes;
  for (int i = 1; i <= 10; ++i) nodes.push_back(start_node(bed, bed.host_ns(i), bed.host_ip(i)));
  bool all = wait_until(
      [&] {
        for (const auto& n : nodes) {
          if (known_ids(n).size() != 9) return false;
        }
        return true;
      },
      std::chrono::seconds(30));
  for (const auto& n : nodes) INFO(n.ns << " knows " << known_ids(n).size());
  CHECK(all);
}

TEST_CASE("a host on another segment is not found by multicast") {
  BUTTER_REQUIRE_NETNS();
  NetnsBed bed({.hosts = 3, .lan2_hosts = 1, .router = true});
  std::vector<HostNode> lan1;
  for (int i = 1; i <= 3; ++i) lan1.push_back(start_node(bed, bed.host_ns(i), bed.host_ip(i)));
  HostNode far = start_node(bed, bed.lan2_ns(1), bed.lan2_ip(1));
  REQUIRE(wait_until(
      [&] {
        for (const auto& n : lan1) {
          if (known_ids(n).size() != 2) return false;
        }
        return true;
      },
      std::chrono::seconds(30)));
  // The far host has pinged many times by now (its fast schedule); none of it crossed the router.
  REQUIRE(wait_until([&] { return metric(far, "butter_discovery_pings_sent_total{") >= 5; }, std::chrono::seconds(20)));
  std::string far_id = node_id(far);
  REQUIRE(far_id.size() == 64);
  for (const auto& n : lan1) {
    auto ids = known_ids(n);
    CHECK(std::find(ids.begin(), ids.end(), far_id) == ids.end());
    CHECK(ids.size() == 2);
  }
  CHECK(known_ids(far).empty());
}

TEST_CASE("a killed host is evicted from the others' knownhosts-quality caches") {
  BUTTER_REQUIRE_NETNS();
  NetnsBed bed({.hosts = 4});
  std::vector<HostNode> nodes;
  for (int i = 1; i <= 4; ++i) nodes.push_back(start_node(bed, bed.host_ns(i), bed.host_ip(i)));
  REQUIRE(wait_until(
      [&] {
        for (const auto& n : nodes) {
          if (known_ids(n).size() != 3) return false;
        }
        return true;
      },
      std::chrono::seconds(30)));
  std::string victim = node_id(nodes[3]);
  bed.kill(nodes[3].pid, SIGKILL);
  bool evicted = wait_until(
      [&] {
        for (int i = 0; i < 3; ++i) {
          auto ids = known_ids(nodes[static_cast<std::size_t>(i)]);
          if (ids.size() != 2 || std::find(ids.begin(), ids.end(), victim) != ids.end()) return false;
        }
        return true;
      },
      std::chrono::seconds(20));
  CHECK(evicted);
}

TEST_CASE("with capacity smaller than the LAN every knownhosts-quality cache holds a diverse mix") {
  BUTTER_REQUIRE_NETNS();
  constexpr int kWaves = 3, kPerWave = 4, kCapacity = 4;
  NetnsBed bed({.hosts = kWaves * kPerWave});
  std::vector<HostNode> nodes;
  // Hosts start in waves, each once the previous one has been up for two seconds, so that their
  // uptimes (one of the three quality metrics) differ.
  for (int w = 0; w < kWaves; ++w) {
    for (int i = 1; i <= kPerWave; ++i) {
      int h = w * kPerWave + i;
      nodes.push_back(start_node(bed, bed.host_ns(h), bed.host_ip(h), "capacity = " + std::to_string(kCapacity)));
    }
    if (w + 1 < kWaves) {
      const HostNode& last = nodes.back();
      REQUIRE(wait_until(
          [&] {
            auto j = json_in_ns(last.ns, last.url("/status"));
            return j && (*j)["node"]["uptime_ms"].get<long>() >= 2000;
          },
          std::chrono::seconds(20)));
    }
  }
  auto diverse = [&](const HostNode& n) {
    auto j = json_in_ns(n.ns, n.url("/knownhosts"));
    if (!j || (*j)["hosts"].size() != static_cast<std::size_t>(kCapacity)) return false;
    int present = 0, most = 0;
    for (const auto& c : (*j)["classes"]) {
      int count = c.get<int>();
      present += count > 0;
      most = std::max(most, count);
    }
    return present >= 2 && most < kCapacity;
  };
  bool all = wait_until(
      [&] {
        for (const auto& n : nodes) {
          if (!diverse(n)) return false;
        }
        return true;
      },
      std::chrono::seconds(40));
  for (const auto& n : nodes) {
    auto j = json_in_ns(n.ns, n.url("/knownhosts"));
    INFO(n.ns << ": " << (j ? (*j)["classes"].dump() : "no answer"));
    CHECK(diverse(n));
  }
  CHECK(all);
}
