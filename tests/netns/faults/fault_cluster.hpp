// The six-node `butter run` cluster the fault-injection tests drive (faults_netns_test.cpp): its
// manifests and data dirs, starting and killing nodes, HTTP puts and gets from inside the
// namespaces, and the checks every test makes after a fault (no node crashed, every acknowledged
// object readable byte-exact from every live node, groups at r on one view, peers reconverged).
#pragma once
#include "support/netns_bed.hpp"
#include "support/netns_http.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace butter::test::faults {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int kNodes = 6;
constexpr int kReplicas = 3;

inline unsigned test_seed() {
  if (const char* s = std::getenv("BUTTER_FAULT_SEED")) return static_cast<unsigned>(std::strtoul(s, nullptr, 10));
  return std::random_device{}();
}

inline std::string random_body(std::size_t n, std::mt19937& rng) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

inline std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

inline std::string tail(const std::string& s, std::size_t n = 3000) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

struct Node {
  int index = 0;  // 1-based host index
  std::string ns, ip, manifest, log_base;
  pid_t pid = 0;
  int starts = 0;
  bool alive = false;  // false while killed on purpose
  std::string url(const std::string& path) const { return "http://" + ip + ":8700" + path; }
};

struct Object {
  std::string id, body;
  int replicas_at_ack = 0;
  int written_at = 0;  // host index
};

// Removes the manifests, logs and data dirs when the test ends (declared before the bed, so it
// runs after the bed has stopped every process).
struct TempFiles {
  std::string dir;
  ~TempFiles() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

// Six `butter run` nodes on LAN 1 with a default-like manifest and a data dir each.
class Cluster {
 public:
  Cluster() : bed_({.hosts = kNodes}) {
    files_.dir = (fs::temp_directory_path() / ("butter-" + bed_.prefix())).string();
    fs::create_directories(files_.dir);
    for (int i = 1; i <= kNodes; ++i) {
      Node n;
      n.index = i;
      n.ns = bed_.host_ns(i);
      n.ip = bed_.host_ip(i);
      n.manifest = files_.dir + "/" + n.ns + ".toml";
      n.log_base = files_.dir + "/" + n.ns + ".log";
      std::ofstream(n.manifest)
          << "[node]\nname = \"" << n.ns << "\"\nlisten = [\"tcp://" << n.ip << ":7700\"]\nhttp = \"" << n.ip
          << ":8700\"\ndata_dir = \"" << files_.dir << "/" << n.ns << "-data\"\nmemory_budget = \"256MiB\"\n"
          << "log_level = \"info\"\n"
          << "[plugins.peers]\nplugin = \"butter.knownhosts.quality\"\n[plugins.peers.config]\n"
          << "refresh_ms = 300\ntimeout_ms = 1000\nmax_failures = 2\n"
          << "[plugins.discovery]\nplugin = \"butter.discovery.multicast\"\n[plugins.discovery.config]\n"
          << "interface = \"" << n.ip << "\"\nfast_ms = 100\nslow_ms = 2000\n"
          << "[plugins.storage]\nplugin = \"butter.storage.pcg\"\n[plugins.storage.config]\n"
          << "replicas = " << kReplicas << "\nblock_size = 16384\n"
          << "[plugins.search]\nplugin = \"butter.ir.dbfs\"\n";
      nodes_.push_back(n);
    }
    for (auto& n : nodes_) start(n);
  }

  NetnsBed& bed() { return bed_; }
  std::vector<Node>& nodes() { return nodes_; }
  Node& node(int i) { return nodes_.at(static_cast<std::size_t>(i - 1)); }

  void start(Node& n) {
    n.pid = bed_.spawn(n.ns, {BUTTER_BUILD_DIR "/bin/butter", "run", n.manifest},
                       n.log_base + "." + std::to_string(n.starts++));
    n.alive = true;
  }

  void kill9(Node& n) {
    bed_.kill(n.pid, SIGKILL);
    n.alive = false;
    const int rc = bed_.process(n.pid)->wait_exit(10s);
    if (rc != 128 + SIGKILL) FAIL("node " << n.ns << " did not die of SIGKILL (status " << rc << ")");
  }

  std::size_t hosts_known(const Node& n) {
    auto j = json_in_ns(n.ns, n.url("/knownhosts"));
    return j ? (*j)["hosts"].size() : 0;
  }

  // Every live node knows every other live node (knownhosts).
  bool peers_converged() {
    std::size_t live = 0;
    for (const auto& n : nodes_) live += n.alive ? 1 : 0;
    for (const auto& n : nodes_)
      if (n.alive && hosts_known(n) < live - 1) return false;
    return true;
  }

  // Fails the test with the log tail of any node that exited without being killed on purpose.
  void require_none_crashed(const std::string& when) {
    for (auto& n : nodes_) {
      if (!n.alive) continue;
      Process* p = bed_.process(n.pid);
      REQUIRE(p);
      if (!p->running()) {
        FAIL("node " << n.ns << " exited " << when << " (status " << p->exit_status().value_or(-1)
                     << "); its log ends with:\n"
                     << tail(p->log()));
      }
    }
  }

  // Stops every node and checks each exits 0 without sanitizer reports.
  void stop_clean() {
    for (auto& n : nodes_) {
      if (!n.alive) continue;
      Process* p = bed_.process(n.pid);
      REQUIRE(p);
      const int rc = p->stop(10s);
      const std::string log = p->log();
      INFO(n.ns << " log tail:\n" << tail(log));
      CHECK(rc == 0);
      CHECK(log.find("AddressSanitizer") == std::string::npos);
      CHECK(log.find("runtime error:") == std::string::npos);
      n.alive = false;
    }
  }

  // POST /storage of `body` at node `n`: the object when acknowledged with 201, else nothing.
  std::optional<Object> put(const Node& n, const std::string& body) {
    try {
      auto r = http_in_ns(n.ns, "POST", n.url("/storage"), body, 20s);
      if (r.status != 201) return std::nullopt;
      auto j = nlohmann::json::parse(r.body);
      return Object{j["id"].get<std::string>(), body, j["replicas"].get<int>(), n.index};
    } catch (const std::exception&) {
      return std::nullopt;  // the node died under the request, or it timed out: not acknowledged
    }
  }

  // n's node id ("" when it does not answer); remembered per host.
  std::string node_id(const Node& n) {
    auto j = json_in_ns(n.ns, n.url("/status"));
    if (!j) return "";
    return ids_[n.index] = (*j)["node"]["id"].get<std::string>();
  }
  std::string node_id_of(int index) { return ids_[index]; }

  // Whether a live node lists one of `ids` as a member of one of its groups.
  bool lists_any(const std::set<std::string>& ids) {
    for (const auto& n : nodes_) {
      if (!n.alive) continue;
      auto j = json_in_ns(n.ns, n.url("/storage"));
      if (!j) return true;
      for (const auto& o : (*j)["objects"])
        for (const auto& m : o["members"])
          if (ids.count(m.get<std::string>())) return true;
    }
    return false;
  }

  // The object's entry in n's GET /storage, or null.
  nlohmann::json entry(const Node& n, const std::string& id) {
    if (auto j = json_in_ns(n.ns, n.url("/storage")))
      for (const auto& o : (*j)["objects"])
        if (o["id"] == id) return o;
    return nullptr;
  }

  struct ReadReport {
    std::vector<std::string> failures;  // "<id> from <ns>: <why>" for every object not read back
    std::set<std::string> lost;         // objects some live node could not read
    int retries = 0;                    // gets that had to be repeated before they succeeded
    int gets = 0;
  };

  // Every object from every live node, byte-exact: one thread per node, each get repeated until it
  // succeeds or `per_object` passes (a mismatch of bytes is never retried: it is a failure).
  ReadReport read_all(const std::vector<Object>& objects, std::chrono::milliseconds per_object = 30s) {
    ReadReport report;
    std::mutex mu;
    std::vector<std::thread> threads;
    for (const auto& n : nodes_) {
      if (!n.alive) continue;
      threads.emplace_back([&, n] {
        for (const auto& o : objects) {
          const auto deadline = std::chrono::steady_clock::now() + per_object;
          std::string why;
          int attempts = 0;
          bool ok = false;
          while (attempts < 20 && !ok) {
            ++attempts;
            try {
              auto r = http_in_ns(n.ns, "GET", n.url("/storage/" + o.id), "", 15s);
              if (r.status == 200 && r.body == o.body)
                ok = true;
              else if (r.status == 200) {
                why = "bytes differ (" + std::to_string(r.body.size()) + " bytes, want " +
                      std::to_string(o.body.size()) + ")";
                break;
              } else {
                why = "status " + std::to_string(r.status) + ": " + tail(r.body, 200);
              }
            } catch (const std::exception& e) {
              why = e.what();
            }
            if (!ok && std::chrono::steady_clock::now() > deadline) break;
            if (!ok) std::this_thread::sleep_for(200ms);  // pacing between attempts, not sync
          }
          std::lock_guard lock(mu);
          ++report.gets;
          report.retries += attempts - 1;
          if (!ok) {
            report.failures.push_back(o.id.substr(0, 12) + " (written at h" + std::to_string(o.written_at) + ", " +
                                      std::to_string(o.replicas_at_ack) + " replicas at ack) from " + n.ns + ": " +
                                      why);
            report.lost.insert(o.id);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    return report;
  }

  // For every object: exactly r live holders, each with group size r, all on one view version,
  // and the members listed are those holders.
  bool groups_at_r(const std::vector<Object>& objects, std::string& why) {
    std::map<std::string, std::vector<nlohmann::json>> by_object;
    for (const auto& n : nodes_) {
      if (!n.alive) continue;
      auto j = json_in_ns(n.ns, n.url("/storage"));
      if (!j) {
        why = n.ns + " does not answer GET /storage";
        return false;
      }
      for (auto o : (*j)["objects"]) {
        o["holder"] = "h" + std::to_string(n.index);
        by_object[o["id"].get<std::string>()].push_back(o);
      }
    }
    std::vector<std::string> bad;
    for (const auto& o : objects) {
      const auto& es = by_object[o.id];
      std::set<std::uint64_t> versions, sizes;
      std::set<std::string> members;
      for (const auto& e : es) {
        versions.insert(e["version"].get<std::uint64_t>());
        sizes.insert(e["group_size"].get<std::uint64_t>());
        for (const auto& m : e["members"]) members.insert(m.get<std::string>());
      }
      if (es.size() != static_cast<std::size_t>(kReplicas) || versions.size() != 1 || members.size() != es.size() ||
          sizes != std::set<std::uint64_t>{kReplicas}) {
        std::string v;
        for (auto x : versions) v += (v.empty() ? "" : "/") + std::to_string(x);
        // Which holder has which view: "h1 h2 h3: v3 [ab12 cd34 ef56]".
        std::map<std::string, std::string> views;
        for (const auto& e : es) {
          std::string key = "v" + std::to_string(e["version"].get<std::uint64_t>()) + " [";
          for (const auto& m : e["members"]) key += m.get<std::string>().substr(0, 4) + " ";
          key.back() = ']';
          views[key] += e["holder"].get<std::string>() + " ";
        }
        std::string detail;
        for (const auto& [view, holders] : views) detail += "; " + holders + "hold " + view;
        bad.push_back(o.id.substr(0, 12) + " (written at h" + std::to_string(o.written_at) +
                      "): " + std::to_string(es.size()) + " holders, view version(s) " + v + ", " +
                      std::to_string(members.size()) + " distinct members" + detail);
      }
    }
    if (!bad.empty()) {
      why = std::to_string(bad.size()) + " of " + std::to_string(objects.size()) + " groups not at r with one view:";
      for (const auto& b : bad) why += "\n  " + b;
      return false;
    }
    return true;
  }

 private:
  TempFiles files_;  // before the bed: removed after it
  NetnsBed bed_;
  std::vector<Node> nodes_;
  std::map<int, std::string> ids_;
};

// Everything a test checks after a fault: none crashed, all objects readable, groups at r, peers.
inline int check_after_fault(Cluster& c, const std::vector<Object>& objects, const std::string& phase, int& retries) {
  c.require_none_crashed("during " + phase);
  auto report = c.read_all(objects);
  retries += report.retries;
  {
    std::ostringstream list;
    for (const auto& f : report.failures) list << "  " << f << "\n";
    INFO("objects not read back after " << phase << ":\n" << list.str());
    CHECK(report.failures.empty());
  }
  std::string why;
  const bool at_r = wait_until([&] { return c.groups_at_r(objects, why); }, 60s);
  INFO("groups after " << phase << ": " << why);
  CHECK(at_r);
  const bool peers = wait_until([&] { return c.peers_converged(); }, 30s);
  CHECK(peers);
  c.require_none_crashed("after " + phase);
  return static_cast<int>(report.lost.size());
}

inline void print_figures(const std::string& test, NetnsBed& bed, int kills, int written, int lost, int retries,
                          unsigned seed) {
  const auto f = bed.fault_counters();
  std::ostringstream line;
  line << "FAULTS " << test << ": loss_dropped=" << f.loss_dropped + f.delay_dropped << " delayed=" << f.delayed
       << " delay_overflow=" << f.delay_overflow << " partitions=" << f.partitions
       << " partition_dropped=" << f.partition_dropped << " kills=" << kills << " objects_written=" << written
       << " objects_lost=" << lost << " get_retries=" << retries << " seed=" << seed;
  std::cout << line.str() << std::endl;
  WARN(line.str());
}

inline bool ping_rtt(NetnsBed& bed, int from, const std::string& to, int count, double& min_ms, int& received) {
  std::string out;
  bed.run(from, {"ping", "-n", "-q", "-c", std::to_string(count), "-i", "0.05", "-W", "1", to}, 30s, &out);
  std::smatch m;
  static const std::regex rx(R"((\d+) packets transmitted, (\d+) received)");
  if (!std::regex_search(out, m, rx)) return false;
  received = std::stoi(m[2].str());
  static const std::regex rtt(R"(= ([0-9.]+)/)");
  min_ms = std::regex_search(out, m, rtt) ? std::stod(m[1].str()) : -1;
  return true;
}

}  // namespace butter::test::faults
