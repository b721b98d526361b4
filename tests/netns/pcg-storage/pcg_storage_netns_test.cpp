// pcg-storage on real hosts: `butter run` processes in network namespaces on one LAN
// (198.18.0.0/24), found by multicast discovery. kill -9 a holder: the object stays readable and
// the group is back to r; kill -9 a node with persistence and start it again: its data returns.
#include "support/netns_bed.hpp"
#include "support/netns_http.hpp"
#include "support/wait.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

using namespace butter::test;
namespace fs = std::filesystem;

namespace {

struct HostNode {
  std::string ns, ip, manifest, log;
  pid_t pid = 0;
  std::string url(const std::string& path) const { return "http://" + ip + ":8700" + path; }
};

HostNode make_node(NetnsBed& bed, int i, const std::string& storage_config, bool data_dir) {
  fs::path dir = fs::temp_directory_path() / ("butter-" + bed.prefix());
  fs::create_directories(dir);
  HostNode n;
  n.ns = bed.host_ns(i);
  n.ip = bed.host_ip(i);
  n.manifest = (dir / (n.ns + ".toml")).string();
  n.log = (dir / (n.ns + ".log")).string();
  std::ofstream(n.manifest)
      << "[node]\nname = \"" << n.ns << "\"\nlisten = [\"tcp://" << n.ip << ":7700\"]\nhttp = \"" << n.ip << ":8700\"\n"
      << (data_dir ? "data_dir = \"" + (dir / (n.ns + "-data")).string() + "\"\n" : "")
      << "[plugins.peers]\nplugin = \"butter.knownhosts.quality\"\n[plugins.peers.config]\n"
      << "refresh_ms = 300\ntimeout_ms = 1000\nmax_failures = 2\n"
      << "[plugins.discovery]\nplugin = \"butter.discovery.multicast\"\n[plugins.discovery.config]\n"
      << "interface = \"" << n.ip << "\"\nfast_ms = 100\nslow_ms = 5000\n"
      << "[plugins.storage]\nplugin = \"butter.storage.pcg\"\n[plugins.storage.config]\n"
      << storage_config << "\n";
  return n;
}

void start(NetnsBed& bed, HostNode& n) {
  n.pid = bed.spawn(n.ns, {BUTTER_BUILD_DIR "/bin/butter", "run", n.manifest}, n.log + "." + std::to_string(n.pid));
}

std::size_t hosts_known(const HostNode& n) {
  auto j = json_in_ns(n.ns, n.url("/knownhosts"));
  return j ? (*j)["hosts"].size() : 0;
}

// The object's entry in n's GET /storage, or null.
nlohmann::json entry(const HostNode& n, const std::string& id) {
  if (auto j = json_in_ns(n.ns, n.url("/storage"))) {
    for (const auto& o : (*j)["objects"])
      if (o["id"] == id) return o;
  }
  return nullptr;
}

std::string node_id(const HostNode& n) {
  auto j = json_in_ns(n.ns, n.url("/status"));
  return j ? (*j)["node"]["id"].get<std::string>() : std::string();
}

// Removes the manifests, logs and data dirs of a bed when the test ends (declared before the bed,
// so it runs after the bed has stopped every process).
struct TempFiles {
  std::string prefix;
  ~TempFiles() {
    std::error_code ec;
    if (!prefix.empty()) fs::remove_all(fs::temp_directory_path() / ("butter-" + prefix), ec);
  }
};

std::string random_body(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Stops every node still running and checks that none logged a sanitizer report or a crash.
void stop_clean(NetnsBed& bed, const std::vector<HostNode>& nodes, std::size_t skip) {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i == skip) continue;
    Process* p = bed.process(nodes[i].pid);
    REQUIRE(p);
    CHECK(p->stop() == 0);
    const std::string log = p->log();
    CHECK(log.find("AddressSanitizer") == std::string::npos);
    CHECK(log.find("runtime error:") == std::string::npos);
  }
}

}  // namespace

TEST_CASE("kill -9 a pcg-storage holder: the object stays readable and the group is back to r") {
  BUTTER_REQUIRE_NETNS();
  TempFiles files;
  NetnsBed bed({.hosts = 5});
  files.prefix = bed.prefix();
  std::vector<HostNode> nodes;
  for (int i = 1; i <= 5; ++i) {
    nodes.push_back(make_node(bed, i, "heartbeat_ms = 200\nrequest_timeout_ms = 1000\nblock_size = 16384", false));
    start(bed, nodes.back());
  }
  REQUIRE(wait_until(
      [&] {
        for (const auto& n : nodes)
          if (hosts_known(n) != 4) return false;
        return true;
      },
      std::chrono::seconds(30)));
  const std::string body = random_body(120000, 1);
  auto put = http_in_ns(nodes[0].ns, "POST", nodes[0].url("/storage"), body);
  INFO(put.body);
  REQUIRE(put.status == 201);
  auto pj = nlohmann::json::parse(put.body);
  const std::string id = pj["id"];
  CHECK(pj["replicas"] == 3);
  // Kill the group's leader with -9.
  const std::string leader = entry(nodes[0], id)["leader"];
  std::size_t victim = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (node_id(nodes[i]) == leader) victim = i;
  REQUIRE_FALSE(entry(nodes[victim], id).is_null());
  bed.kill(nodes[victim].pid, SIGKILL);
  // The object is readable from every survivor right away (failover to the next member)...
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i == victim) continue;
    auto got = http_in_ns(nodes[i].ns, "GET", nodes[i].url("/storage/" + id), "");
    CHECK(got.status == 200);
    CHECK(got.body == body);
  }
  // ...and within a bound the group has r live members again, all agreeing on the view.
  bool back = wait_until(
      [&] {
        int holders = 0;
        std::set<std::uint64_t> versions;
        for (std::size_t i = 0; i < nodes.size(); ++i) {
          if (i == victim) continue;
          auto e = entry(nodes[i], id);
          if (e.is_null()) continue;
          ++holders;
          if (e["group_size"] != 3) return false;
          versions.insert(e["version"].get<std::uint64_t>());
        }
        return holders == 3 && versions.size() == 1;
      },
      std::chrono::seconds(15));
  CHECK(back);
  stop_clean(bed, nodes, victim);
}

TEST_CASE("a pcg-storage node with persistence killed -9 and restarted comes back with its data") {
  BUTTER_REQUIRE_NETNS();
  TempFiles files;
  NetnsBed bed({.hosts = 3});
  files.prefix = bed.prefix();
  std::vector<HostNode> nodes;
  // Members tolerate 20 missed heartbeats (6 s): the restarted node is back before that.
  for (int i = 1; i <= 3; ++i) {
    nodes.push_back(make_node(bed, i, "heartbeat_ms = 300\nmiss_limit = 20\nblock_size = 16384", true));
    start(bed, nodes.back());
  }
  REQUIRE(wait_until(
      [&] {
        for (const auto& n : nodes)
          if (hosts_known(n) != 2) return false;
        return true;
      },
      std::chrono::seconds(30)));
  const std::string body = random_body(70000, 2);
  auto put = http_in_ns(nodes[0].ns, "POST", nodes[0].url("/storage?keywords=kept"), body);
  REQUIRE(put.status == 201);
  const std::string id = nlohmann::json::parse(put.body)["id"];
  REQUIRE_FALSE(entry(nodes[1], id).is_null());
  const std::string id1 = node_id(nodes[1]);
  bed.kill(nodes[1].pid, SIGKILL);
  REQUIRE(bed.process(nodes[1].pid)->wait_exit(std::chrono::seconds(5)) == 128 + SIGKILL);
  start(bed, nodes[1]);
  // Restored from its SQLite file: listed and served locally, with the same node id.
  bool restored = wait_until([&] { return !entry(nodes[1], id).is_null(); }, std::chrono::seconds(15));
  REQUIRE(restored);
  CHECK(node_id(nodes[1]) == id1);
  CHECK(entry(nodes[1], id)["keywords"] == nlohmann::json::array({"kept"}));
  auto got = http_in_ns(nodes[1].ns, "GET", nodes[1].url("/storage/" + id), "");
  CHECK(got.status == 200);
  CHECK(got.body == body);
  // Still a member: the group did not replace it, and all three agree.
  CHECK(wait_until(
      [&] {
        for (const auto& n : nodes) {
          auto e = entry(n, id);
          if (e.is_null() || e["group_size"] != 3) return false;
        }
        return true;
      },
      std::chrono::seconds(10)));
  stop_clean(bed, nodes, nodes.size());
}
