// The overlay at scale: N real nodes (the embedded default manifest: knownhosts-quality,
// discovery-multicast, nat-ambassador, pcg-storage, ir-dbfs, wiki) in several processes on
// loopback, every node bootstrapped to node 0 alone. Each node is a host of its own, as on the
// internet: its own loopback address (127.78.x.y) to listen on and dial from (the transport binds
// outgoing connections to a specific listen address), and its own multicast port (no shared LAN).
// Measured per N:
//  - time until every node has at least the low watermark of neighbours and the nodes' connections
//    form one connected component;
//  - median hosts known, connections per node (mean and max);
//  - over an idle window once converged: RSS and CPU per node, membership bytes (/butter/knownhosts/1
//    and /butter/pex/1 payloads, both directions) per node per minute, with first contacts (full
//    samples sent), quality probes and the pex bytes alone.
// While converging, a progress line every 10 s on stderr (hosts, neighbours, refusals, sheds).
// Baseline in the same run, where it survives: the full mesh (every known host a neighbour, no
// watermarks, no idle closing), i.e. what every node did before the connection manager.
//
//   butter-bench-overlay [N ...] [--window S] [--mesh-max N] [--deadline S]  (default: 100 1000, 30 s, 100, 120 s)
//
// The parent spawns itself as children (--child), ~250 nodes each; each child writes a report
// file every second, which the parent reads. Every child is killed at the end, whatever happens.
#include "bench_stats.hpp"
#include "node/node.hpp"
#include "node/runtime.hpp"

#include <spdlog/spdlog.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <thread>

using namespace butter;
using namespace butter::bench;
namespace fs = std::filesystem;

namespace {

constexpr int kNodesPerChild = 250;
constexpr int kLowWater = 8;
// Multicast discovery runs on "LANs" of this many nodes (a multicast port each). On the internet
// each node is a host of its own: 1, so nodes learn each other only from the bootstrap peer and
// peer exchange (one group of 1000 sockets on one host would make every beacon cost 1000
// deliveries, and let multicast do the overlay's work).
constexpr int kLanSize = 1;

// The embedded default manifest's high watermark (TransportOptions' default), for the report.
constexpr int kHighWater = 32;

void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// The embedded default manifest, with free ports, no HTTP, quiet logs, its own multicast port,
// and for the mesh policy no watermarks and every known host a neighbour.
// Node `g` of the run listens on its own loopback address and (the transport binds outgoing
// connections to a specific listen address) dials from it: as on the internet, every node is its
// own address to its peers' per-address limits: 127.78.(g / 250).(g % 250 + 1).
std::string node_address(int g) {
  return "127." + std::to_string(78 + g / 62500) + "." + std::to_string(g / 250 % 250) + "." +
         std::to_string(g % 250 + 1);
}

host::Manifest node_manifest(const std::string& name, const std::string& address, const std::string& bootstrap,
                             std::uint16_t mcast_port, bool mesh) {
  std::string text(host::default_manifest_text());
  host::Diagnostics d;
  auto m = host::parse_manifest(text, "<default manifest>", d);
  if (!m) throw std::runtime_error(d.to_string());
  m->node.name = name;
  m->node.listen = {"tcp://" + address + ":0"};
  m->node.http = "";
  m->node.log_level = "error";
  m->node.memory_budget = 64ull * 1024 * 1024;
  m->node.plugin_path.push_back(BUTTER_PLUGIN_DIR);
  if (!bootstrap.empty()) m->node.bootstrap = {bootstrap};
  if (mesh) {
    m->node.max_connections = 100000;
    m->node.connections_high_water = 100000;
    m->node.connections_low_water = 100000;
    m->node.connection_idle_ms = 0;
  }
  for (auto& p : m->plugins) {
    if (p.instance == "discovery") p.config["port"] = host::ConfigValue{std::int64_t{mcast_port}, {}};
    if (p.instance == "peers" && mesh) {
      p.config["neighbours"] = host::ConfigValue{std::int64_t{100000}, {}};
      p.config["max_inbound_neighbours"] = host::ConfigValue{std::int64_t{100000}, {}};
    }
  }
  return *m;
}

std::uint64_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::uint64_t cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::uint64_t>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000 +
         static_cast<std::uint64_t>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000;
}

double counter(host::Node& n, const char* instance, const char* name) {
  return static_cast<double>(n.core()->metrics.counter(instance, name));
}

// ---- child: runs `count` nodes and reports every second until killed ----
int child_main(int index, int count, std::string bootstrap, std::uint16_t port, bool mesh, const std::string& dir) {
  raise_fd_limit();
  spdlog::set_level(spdlog::level::err);  // a thousand nodes' info lines would be the benchmark
  host::Runtime rt(1);
  host::PluginRegistry registry;
  std::vector<std::unique_ptr<host::Node>> nodes;
  for (int i = 0; i < count; ++i) {
    const std::string name = "n" + std::to_string(index) + "-" + std::to_string(i);
    // Node 0 of child 0 is the bootstrap node itself; everyone else is told its address alone.
    const std::string boot = (index == 0 && i == 0) ? std::string() : bootstrap;
    const std::string address = node_address(index * kNodesPerChild + i);  // its own "host"
    const int g = index * kNodesPerChild + i;
    const auto lan_port = static_cast<std::uint16_t>(port + g / kLanSize);
    nodes.push_back(
        std::make_unique<host::Node>(rt.io(), node_manifest(name, address, boot, lan_port, mesh), registry));
    host::Diagnostics d;
    if (!nodes.back()->prepare(d)) throw std::runtime_error(d.to_string());
    if (auto e = nodes.back()->start()) throw std::runtime_error(e.message);
    if (index == 0 && i == 0) {
      // The other nodes of this child are told of it too (they share no multicast LAN with it).
      bootstrap = nodes[0]->listen_endpoints().at(0);
      std::ofstream(dir + "/boot.tmp") << bootstrap << "\n";
      fs::rename(dir + "/boot.tmp", dir + "/boot");
    }
  }
  for (;;) {
    std::ostringstream out;
    out << "P " << rss_bytes() << " " << cpu_ms() << " " << nodes.size() << "\n";
    for (auto& n : nodes) {
      n->on_strand([&] {
        auto& core = *n->core();
        auto peers = core.transport ? core.transport->peers() : std::vector<host::PeerInfo>{};
        const auto st = core.transport ? core.transport->stats() : host::Transport::Stats{};
        out << "N " << n->id_hex().substr(0, 16) << " " << st.refused_per_address << " " << st.refused_handshake_rate
            << " " << st.refused_max_connections << " " << counter(*n, "peers", "pex_first_contacts_total") << " "
            << counter(*n, "peers", "knownhosts_probes_total") << " " << counter(*n, "peers", "pex_bytes_total") << " "
            << counter(*n, "peers", "overlay_neighbours_out") << " " << counter(*n, "peers", "pex_exchanges_shed_total")
            << " " << counter(*n, "peers", "knownhosts_hosts") << " "
            << counter(*n, "peers", "overlay_neighbours_out") + counter(*n, "peers", "overlay_neighbours_in") << " "
            << peers.size() << " " << counter(*n, "peers", "knownhosts_membership_bytes_total") << " "
            << (core.transport ? core.transport->conn_info().protected_peers : 0) << " " << st.trimmed << " "
            << std::count_if(peers.begin(), peers.end(), [](const host::PeerInfo& p) { return p.outbound; }) << " ";
        for (std::size_t i = 0; i < peers.size(); ++i) out << (i ? "," : "") << peers[i].id.hex().substr(0, 16);
        out << "\n";
        return 0;
      });
    }
    const std::string tmp = dir + "/child-" + std::to_string(index) + ".tmp";
    std::ofstream(tmp) << out.str();
    fs::rename(tmp, dir + "/child-" + std::to_string(index));
    std::this_thread::sleep_for(std::chrono::seconds(1));  // the report period
  }
}

// ---- parent ----
struct NodeReport {
  double refused_address = 0, refused_rate = 0, refused_max = 0;  // inbound connections this node refused
  double exchanges = 0, probes = 0, pex_bytes = 0;                // first contacts, quality probes, pex bytes
  double out = 0, shed = 0;                                       // outbound neighbours, exchanges answered AGAIN
  double hosts = 0, neighbours = 0, peers = 0, membership_bytes = 0;
  double protected_peers = 0;        // peers a plugin protects from trimming (conn_manager.hpp)
  double trimmed = 0, outbound = 0;  // connections it trimmed so far; of its peers, those it dialled
  std::vector<std::string> peer_ids;
};
struct Snapshot {
  std::map<std::string, NodeReport> nodes;
  std::uint64_t rss = 0, cpu = 0;
  int children_reporting = 0;
};

Snapshot read_reports(const std::string& dir, int children) {
  Snapshot s;
  for (int c = 0; c < children; ++c) {
    std::ifstream f(dir + "/child-" + std::to_string(c));
    if (!f) continue;
    ++s.children_reporting;
    std::string line;
    while (std::getline(f, line)) {
      std::istringstream in(line);
      std::string tag;
      in >> tag;
      if (tag == "P") {
        std::uint64_t rss = 0, cpu = 0;
        in >> rss >> cpu;
        s.rss += rss;
        s.cpu += cpu;
      } else if (tag == "N") {
        std::string id, list;
        NodeReport r;
        in >> id >> r.refused_address >> r.refused_rate >> r.refused_max >> r.exchanges >> r.probes >> r.pex_bytes >>
            r.out >> r.shed >> r.hosts >> r.neighbours >> r.peers >> r.membership_bytes >> r.protected_peers >>
            r.trimmed >> r.outbound >> list;
        std::stringstream ls(list);
        for (std::string p; std::getline(ls, p, ',');)
          if (!p.empty()) r.peer_ids.push_back(p);
        s.nodes[id] = std::move(r);
      }
    }
  }
  return s;
}

bool one_component(const Snapshot& s) {
  if (s.nodes.empty()) return false;
  std::set<std::string> seen{s.nodes.begin()->first};
  std::vector<std::string> todo{s.nodes.begin()->first};
  while (!todo.empty()) {
    auto id = todo.back();
    todo.pop_back();
    auto it = s.nodes.find(id);
    if (it == s.nodes.end()) continue;
    for (const auto& p : it->second.peer_ids)
      if (s.nodes.count(p) && seen.insert(p).second) todo.push_back(p);
  }
  return seen.size() == s.nodes.size();
}

// A progress line on stderr every 10 s while converging: where a slow run is stuck.
void progress(const Snapshot& s, double t, int ok) {
  std::vector<double> hosts, neighbours, peers, out;
  double refused_address = 0, refused_rate = 0, refused_max = 0, shed = 0;
  for (const auto& [id, nr] : s.nodes) {
    hosts.push_back(nr.hosts);
    neighbours.push_back(nr.neighbours);
    peers.push_back(nr.peers);
    out.push_back(nr.out);
    shed += nr.shed;
    refused_address += nr.refused_address;
    refused_rate += nr.refused_rate;
    refused_max += nr.refused_max;
  }
  std::fprintf(stderr,
               "  %5.0f s: %zu nodes, %d with enough neighbours; median hosts %.0f, neighbours %.0f (chosen %.0f), "
               "connections %.0f; "
               "refused in total: per address %.0f, handshake rate %.0f, max connections %.0f; exchanges shed %.0f\n",
               t, s.nodes.size(), ok, percentile_us(hosts, 50), percentile_us(neighbours, 50), percentile_us(out, 50),
               percentile_us(peers, 50), refused_address, refused_rate, refused_max, shed);
}

struct Result {
  bool converged = false;
  double converge_s = -1, ok_share = 0, settle_s = 0;
  double median_hosts = 0, mean_conns = 0, max_conns = 0;
  // The node with the most connections at the end of the window (where a bound is exceeded, why),
  // and how many nodes are above the high watermark then.
  double max_neighbours = 0, max_protected = 0, max_outbound = 0, max_trimmed_in_window = 0;
  int over_high_water = 0;
  double rss_per_node_mib = 0, cpu_per_node_pct = 0, membership_b_per_min = 0;
  double exchanges_per_min = 0, probes_per_min = 0, news_per_min = 0;  // per node, over the window
};

Result run(const std::string& self, int n, bool mesh, int window_s, int deadline_s) {
  const std::string dir = fs::temp_directory_path() / ("butter-bench-overlay-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  static std::mt19937 rng(std::random_device{}());
  const auto port = static_cast<std::uint16_t>(30000 + rng() % 20000);  // + one per LAN (kLanSize nodes)
  const int children = (n + kNodesPerChild - 1) / kNodesPerChild;
  std::vector<pid_t> pids;
  auto spawn = [&](int index, int count, const std::string& boot) {
    pid_t pid = fork();
    if (pid == 0) {
      // A child never outlives the parent (killed by a timeout, say): it would hold its nodes.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() == 1) _exit(1);
      setenv("BUTTER_BENCH_OVERLAY_CHILD", "1", 1);
      std::vector<std::string> args = {self,
                                       "--child",
                                       std::to_string(index),
                                       std::to_string(count),
                                       boot.empty() ? "-" : boot,
                                       std::to_string(port),
                                       mesh ? "mesh" : "overlay",
                                       dir};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(self.c_str(), argv.data());
      _exit(127);
    }
    pids.push_back(pid);
  };
  auto kill_all = [&] {
    for (pid_t p : pids) kill(p, SIGKILL);
    for (pid_t p : pids) waitpid(p, nullptr, 0);
    pids.clear();
    fs::remove_all(dir);
  };
  Result r;
  try {
    const auto t0 = Clock::now();
    const int first = std::min(n, kNodesPerChild);
    spawn(0, first, "");
    std::string boot;
    while (boot.empty() && Clock::now() - t0 < std::chrono::seconds(30)) {
      std::ifstream f(dir + "/boot");
      if (f) std::getline(f, boot);
      if (boot.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a file
    }
    if (boot.empty()) throw std::runtime_error("the first child did not start");
    for (int c = 1, left = n - first; c < children; ++c) {
      const int count = std::min(left, kNodesPerChild);
      spawn(c, count, boot);
      left -= count;
    }
    Snapshot s;
    const auto deadline = t0 + std::chrono::seconds(deadline_s);
    auto next_progress = t0 + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // children report once a second
      s = read_reports(dir, children);
      int ok = 0;
      for (const auto& [id, nr] : s.nodes) ok += nr.neighbours >= kLowWater || (mesh && nr.peers >= kLowWater);
      r.ok_share = static_cast<double>(ok) / n;
      if (Clock::now() >= next_progress) progress(s, us_since(t0) / 1e6, ok), next_progress += std::chrono::seconds(10);
      if (static_cast<int>(s.nodes.size()) < n) continue;
      if (ok == n && one_component(s)) {
        r.converged = true;
        r.converge_s = us_since(t0) / 1e6;
        break;
      }
    }
    // Settle: until the caches stop growing (no node's hosts known changed over 10 s) or 60 s,
    // so that the window measures a quiet network, not the end of the cold start.
    if (r.converged) {
      auto last = s;
      auto stable_since = Clock::now();
      const auto settle_deadline = Clock::now() + std::chrono::seconds(60);
      while (Clock::now() < settle_deadline && Clock::now() - stable_since < std::chrono::seconds(10)) {
        std::this_thread::sleep_for(std::chrono::seconds(1));  // children report once a second
        auto now_s = read_reports(dir, children);
        bool same = now_s.nodes.size() == last.nodes.size();
        for (const auto& [id, nr] : now_s.nodes)
          if (auto it = last.nodes.find(id); it == last.nodes.end() || it->second.hosts != nr.hosts) same = false;
        if (!same) stable_since = Clock::now();
        last = std::move(now_s);
      }
      r.settle_s = us_since(t0) / 1e6;
    }
    // The idle window: what a settled network costs.
    Snapshot a = read_reports(dir, children);
    const auto ta = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(window_s));  // the measurement window itself
    Snapshot b = read_reports(dir, children);
    const double secs = us_since(ta) / 1e6;
    std::vector<double> hosts;
    for (const auto& [id, nr] : b.nodes) {
      hosts.push_back(nr.hosts);
      r.mean_conns += nr.peers;
      if (nr.peers > r.max_conns) {
        r.max_conns = nr.peers;
        r.max_neighbours = nr.neighbours;
        r.max_protected = nr.protected_peers;
        r.max_outbound = nr.outbound;
        auto before = a.nodes.find(id);
        r.max_trimmed_in_window = before == a.nodes.end() ? 0 : nr.trimmed - before->second.trimmed;
      }
      r.over_high_water += nr.peers > kHighWater ? 1 : 0;
    }
    r.median_hosts = percentile_us(hosts, 50);
    r.mean_conns /= std::max<std::size_t>(1, b.nodes.size());
    double bytes = 0, exchanges = 0, probes = 0, news = 0;
    for (const auto& [id, nr] : b.nodes)
      if (auto it = a.nodes.find(id); it != a.nodes.end()) {
        bytes += nr.membership_bytes - it->second.membership_bytes;
        exchanges += nr.exchanges - it->second.exchanges;
        probes += nr.probes - it->second.probes;
        news += nr.pex_bytes - it->second.pex_bytes;
      }
    r.membership_b_per_min = bytes / n / (secs / 60.0);
    r.exchanges_per_min = exchanges / n / (secs / 60.0);
    r.probes_per_min = probes / n / (secs / 60.0);
    r.news_per_min = news / n / (secs / 60.0);
    r.rss_per_node_mib = static_cast<double>(b.rss) / n / (1024.0 * 1024.0);
    r.cpu_per_node_pct = static_cast<double>(b.cpu - a.cpu) / 1000.0 / secs / n * 100.0;
  } catch (...) {
    kill_all();
    throw;
  }
  kill_all();
  return r;
}

void print(int n, const char* policy, const Result& r) {
  if (r.converged)
    std::printf("%-6d %-10s %9.1f s %6.0f s", n, policy, r.converge_s, r.settle_s);
  else
    std::printf("%-6d %-10s   no (%3.0f%%)        ", n, policy, r.ok_share * 100);
  std::printf(
      " %8.0f %7.1f %5.0f %9.2f %8.3f %10.0f   (per node per min: %.1f first contacts, %.1f quality probes, %.0f B of "
      "it pex)\n",
      r.median_hosts, r.mean_conns, r.max_conns, r.rss_per_node_mib, r.cpu_per_node_pct, r.membership_b_per_min,
      r.exchanges_per_min, r.probes_per_min, r.news_per_min);
  if (r.converged)
    std::printf(
        "       the node with the most connections: %.0f (%.0f dialled by it), of which %.0f overlay neighbours "
        "and %.0f protected; it trimmed %.0f in the window; %d node(s) above the high water (%d)\n",
        r.max_conns, r.max_outbound, r.max_neighbours, r.max_protected, r.max_trimmed_in_window, r.over_high_water,
        kHighWater);
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  // Children are this binary again. Anything that looks like a child but is not well formed
  // exits at once: it must never fall through to the parent's code and spawn children itself.
  const bool is_child = std::getenv("BUTTER_BENCH_OVERLAY_CHILD") != nullptr;
  if (is_child || (argc > 1 && std::string(argv[1]) == "--child")) {
    if (!is_child || argc != 8 || std::string(argv[1]) != "--child") {
      std::fprintf(stderr, "butter-bench-overlay: malformed child invocation\n");
      return 2;
    }
    try {
      return child_main(std::atoi(argv[2]), std::atoi(argv[3]), std::string(argv[4]) == "-" ? "" : argv[4],
                        static_cast<std::uint16_t>(std::atoi(argv[5])), std::string(argv[6]) == "mesh", argv[7]);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child failed: %s\n", e.what());
      return 1;
    }
  }
  std::vector<int> sizes;
  int window_s = 30, mesh_max = 100, deadline_s = 120;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--window" && i + 1 < argc)
      window_s = std::atoi(argv[++i]);
    else if (a == "--mesh-max" && i + 1 < argc)
      mesh_max = std::atoi(argv[++i]);
    else if (a == "--deadline" && i + 1 < argc)
      deadline_s = std::atoi(argv[++i]);
    else
      sizes.push_back(std::atoi(a.c_str()));
  }
  // Within butter-bench-all's 600 s per benchmark; pass sizes for more (e.g. 100 300 1000).
  if (sizes.empty()) sizes = {100, 1000};
  const std::string self = fs::canonical("/proc/self/exe");
  std::printf(
      "overlay: N nodes (embedded default manifest) in processes of %d, each bootstrapped to node 0;\n"
      "converged = every node has >= %d neighbours and one connected component; idle window %d s\n",
      kNodesPerChild, kLowWater, window_s);
  std::printf(
      "(settled = caches unchanged for 10 s, at most 60 s more; the columns after it are read at the end of the "
      "window)\n");
  std::printf("%-6s %-10s %11s %8s %8s %7s %5s %9s %8s %10s\n", "nodes", "policy", "converged", "settled", "hosts",
              "conns", "max", "RSS MiB", "CPU %", "memb B/min");
  int status = 0;
  for (int n : sizes) {
    try {
      Result ours = run(self, n, false, window_s, deadline_s);
      print(n, "overlay", ours);
      if (n <= mesh_max) {
        Result mesh = run(self, n, true, window_s, deadline_s);
        print(n, "full mesh", mesh);
        if (ours.converged && mesh.converged)
          std::printf(
              "       ratios overlay/mesh: converge %.2fx, conns %.2fx, RSS %.2fx, CPU %.2fx, membership %.2fx\n",
              ours.converge_s / mesh.converge_s, ours.mean_conns / mesh.mean_conns,
              ours.rss_per_node_mib / mesh.rss_per_node_mib, ours.cpu_per_node_pct / mesh.cpu_per_node_pct,
              ours.membership_b_per_min / std::max(1.0, mesh.membership_b_per_min));
      }
    } catch (const std::exception& e) {
      std::printf("%-6d failed: %s\n", n, e.what());
      status = 1;
    }
    std::fflush(stdout);
  }
  std::printf(
      "aims: 1000 nodes converge in < 60 s; conns <= high water (32); RSS <= 3 MiB per idle node; membership <= 2048 "
      "B/min\n");
  return status;
}
