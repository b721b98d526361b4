// butter demo [N] [FILE]: N nodes in one process on loopback, for a quick look at a network. Node i
// (1..N) listens on tcp://127.0.0.1:(P+i-1) and serves HTTP on 127.0.0.1:(H+i-1), bootstraps to
// the nodes started before it (the first and the previous one), keeps no data (ids are fresh each
// run), and all run until SIGINT or SIGTERM. `--port 0` takes free ports instead.
#include "cli/cli.hpp"
#include "cli/node_options.hpp"
#include "node/node.hpp"
#include "node/runtime.hpp"

#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace butter::host {

static const char* kDemoUsage =
    "usage: butter demo [N] [FILE] [options]\n"
    "\n"
    "Runs N nodes (default 3, at most 5000) in this process on loopback, composed by the manifest FILE\n"
    "or by the embedded default manifest, each bootstrapped to the ones started before it, and prints\n"
    "each node's HTTP URL. Stops on SIGINT or SIGTERM. Nodes keep no data.\n"
    "N is bounded by ports (two per node) and file descriptors (about 4 per node plus one per\n"
    "connection end, up to [node] max_connections): the soft open-file limit is raised to the hard\n"
    "limit when N needs it, and N is refused when even that is too low.\n"
    "\n"
    "options:\n"
    "  --port P             TCP port of node 1; node i uses P+i-1 (default 7750; 0 = free ports)\n"
    "  --http-port H        HTTP port of node 1; node i uses H+i-1 (default P+1000, or P+N when N >\n"
    "                       1000 so that the two ranges do not overlap; free ports when P is 0)\n"
    "  --log-level LEVEL    trace, debug, info, warn, error (default: the manifest's)\n"
    "  --threads N          event-loop threads shared by the nodes (default: one per core)\n";

// At most this many nodes. Not memory but what each node takes from the process and the host:
// two ports (TCP and HTTP, from consecutive ranges under 65535) and file descriptors (listeners,
// discovery socket, connections), which must fit RLIMIT_NOFILE (see ensure_fd_limit).
static constexpr long kMaxDemoNodes = 5000;
// File descriptors per node besides its connections: TCP and HTTP listeners and two UDP sockets
// (discovery, reachability), as measured.
static constexpr std::uint64_t kFdsPerNode = 4;
// The process itself: stdio, the event loop, log files.
static constexpr std::uint64_t kFdsForProcess = 64;

// Connection ends (one descriptor each) a node may hold: one per other node at most (the connection
// manager closes duplicates), never more than the manifest's max_connections. The connection
// manager trims to connections_high_water only once connections are past their grace period, so
// while the nodes start a node can reach either bound (measured: 150 nodes with max_connections =
// 64 peak at 54 connection ends per node, then settle near 36).
static std::uint64_t connection_fds_per_node(std::uint64_t nodes, std::uint32_t max_connections) {
  return std::min<std::uint64_t>(nodes - 1, max_connections);
}

// N from the command line: digits only, 1..kMaxDemoNodes; the reason otherwise.
static std::string parse_node_count(std::string_view a, int& count) {
  long n = 0;
  const auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), n);
  if (a.empty() || a.find_first_not_of("0123456789") != std::string_view::npos || end != a.data() + a.size())
    return "N must be a whole number from 1 to " + std::to_string(kMaxDemoNodes) + ", got '" + std::string(a) + "'";
  if (ec == std::errc::result_out_of_range || n > kMaxDemoNodes)
    return "N is at most " + std::to_string(kMaxDemoNodes) +
           " (each node takes two ports and several file descriptors), got " + std::string(a);
  if (n < 1) return "N must be at least 1, got " + std::string(a);
  count = static_cast<int>(n);
  return {};
}

// Makes room for `count` nodes' file descriptors: raises the soft RLIMIT_NOFILE to the hard limit
// when the estimate exceeds it. The reason when even the hard limit is too low.
static std::string ensure_fd_limit(int count, std::uint32_t max_connections) {
  const auto nodes = static_cast<std::uint64_t>(count);
  const std::uint64_t connections = connection_fds_per_node(nodes, max_connections);
  const std::uint64_t need = kFdsForProcess + nodes * (kFdsPerNode + connections);
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return {};  // cannot tell: let the nodes try
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need) return {};
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
    return std::to_string(count) + " nodes need about " + std::to_string(need) + " file descriptors (~" +
           std::to_string(kFdsPerNode) + " per node plus up to " + std::to_string(connections) +
           " connection ends each), but the hard limit is " + std::to_string(rl.rlim_max) +
           " (ulimit -Hn): raise it, lower [node] max_connections in the manifest, or run fewer nodes";
  const rlim_t old_soft = rl.rlim_cur;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
    return std::to_string(count) + " nodes need about " + std::to_string(need) +
           " file descriptors, and the soft limit " + std::to_string(old_soft) +
           " could not be raised: " + std::strerror(errno);
  spdlog::info("demo: raised the open-file limit from {} to {} for {} nodes (about {} descriptors)", old_soft,
               rl.rlim_max == RLIM_INFINITY ? std::string("unlimited") : std::to_string(rl.rlim_max), count, need);
  return {};
}

int demo_command(int argc, char** argv) {
  NodeOptions opts;
  int count = 3;
  bool count_given = false;
  long port = 7750, http_port = -1;
  auto number = [&](int& i, std::string_view what) -> long {
    if (i + 1 >= argc) throw std::runtime_error(std::string(what) + " needs a value");
    std::string v = argv[++i];
    try {
      std::size_t used = 0;
      long n = std::stol(v, &used);
      if (used != v.size() || n < 0 || n > 65535) throw std::invalid_argument(v);
      return n;
    } catch (const std::exception&) {
      throw std::runtime_error(std::string(what) + " needs a number from 0 to 65535, got '" + v + "'");
    }
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    try {
      if (a == "-h" || a == "--help") {
        std::printf("%s", kDemoUsage);
        return 0;
      } else if (a == "--port") {
        port = number(i, "--port");
      } else if (a == "--http-port") {
        http_port = number(i, "--http-port");
      } else if (a == "--log-level" || a == "--threads") {
        if (!parse_node_option(argc, argv, i, opts)) throw std::runtime_error("unknown option " + std::string(a));
      } else if (!count_given && !a.empty() && a.find_first_not_of("0123456789") == std::string_view::npos) {
        if (auto why = parse_node_count(a, count); !why.empty()) throw std::runtime_error(why);
        count_given = true;
      } else if (!count_given && !a.empty() && std::isdigit(static_cast<unsigned char>(a[0])) &&
                 !std::filesystem::exists(std::string(a))) {
        // "12x", "3.5": probably meant as N (an existing file of that name would be taken as FILE)
        throw std::runtime_error("'" + std::string(a) + "' is neither a node count (a whole number from 1 to " +
                                 std::to_string(kMaxDemoNodes) + ") nor an existing manifest file");
      } else if (!a.empty() && a[0] != '-' && opts.file.empty()) {
        opts.file = std::string(a);
      } else {
        throw std::runtime_error("unknown argument " + std::string(a));
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "butter demo: %s\n\n%s", e.what(), kDemoUsage);
      return 2;
    }
  }
  if (http_port < 0) http_port = port == 0 ? 0 : port + std::max(1000, count);
  if ((port && port + count - 1 > 65535) || (http_port && http_port + count - 1 > 65535)) {
    std::fprintf(stderr,
                 "butter demo: %d nodes need ports past 65535 (TCP from %ld, HTTP from %ld); use a lower "
                 "--port or --http-port, or --port 0 for free ports\n",
                 count, port, http_port);
    return 2;
  }
  if (port && http_port && port < http_port + count && http_port < port + count) {
    std::fprintf(stderr,
                 "butter demo: the TCP ports %ld-%ld and HTTP ports %ld-%ld overlap; choose --http-port "
                 "at least %ld apart from --port\n",
                 port, port + count - 1, http_port, http_port + count - 1, static_cast<long>(count));
    return 2;
  }
  int code = 0;
  auto manifest = load_manifest_with_options(opts, "demo", code);
  if (!manifest) return code;
  if (auto why = ensure_fd_limit(count, manifest->node.max_connections); !why.empty()) {
    std::fprintf(stderr, "butter demo: %s\n", why.c_str());
    return 2;
  }

  sigset_t signals = block_stop_signals();
  PluginRegistry registry;
  Runtime runtime(opts.threads);
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<std::string> endpoints;
  auto stop_all = [&] {
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) (*it)->stop();
    nodes.clear();
    runtime.stop();
  };
  for (int i = 0; i < count; ++i) {
    Manifest m = *manifest;
    m.node.name = "demo-" + std::to_string(i + 1);
    m.node.listen = {"tcp://127.0.0.1:" + std::to_string(port ? port + i : 0)};
    m.node.http = "127.0.0.1:" + std::to_string(http_port ? http_port + i : 0);
    m.node.data_dir.clear();
    m.node.bootstrap.clear();
    if (!endpoints.empty()) m.node.bootstrap.push_back(endpoints.front());
    if (endpoints.size() > 1) m.node.bootstrap.push_back(endpoints.back());
    auto n = std::make_unique<Node>(runtime.io(), m, registry);
    Diagnostics diags;
    if (!n->prepare(diags)) {
      std::fputs(diags.to_string().c_str(), stderr);
      stop_all();
      return 1;
    }
    if (Error e = n->start()) {
      spdlog::critical("[{}] cannot start: {}", m.node.name, e.message);
      stop_all();
      return 1;
    }
    auto eps = n->listen_endpoints();
    if (!eps.empty()) endpoints.push_back(eps.front());
    nodes.push_back(std::move(n));
  }
  std::printf("butter demo: %d nodes on loopback\n", count);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    Node& n = *nodes[i];
    auto eps = n.listen_endpoints();
    std::printf("  node %zu %s  %s  %s\n", i + 1, n.id_hex().substr(0, 16).c_str(),
                eps.empty() ? "-" : eps.front().c_str(), n.http_url().empty() ? "(no HTTP)" : n.http_url().c_str());
  }
  std::printf("butter demo: running; Ctrl-C stops every node\n");
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("demo: {} received; stopping {} nodes", sig == SIGINT ? "SIGINT" : "SIGTERM", nodes.size());
  stop_all();
  return 0;
}

}  // namespace butter::host
