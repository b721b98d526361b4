// butter demo [N] [FILE]: N nodes in one process on loopback, for a quick look at a network. Node i
// (1..N) listens on tcp://127.0.0.1:(P+i-1) and serves HTTP on 127.0.0.1:(H+i-1), bootstraps to
// the nodes started before it (the first and the previous one), keeps no data (ids are fresh each
// run), and all run until SIGINT or SIGTERM. `--port 0` takes free ports instead.
#include "cli/cli.hpp"
#include "cli/node_options.hpp"
#include "node/node.hpp"
#include "node/runtime.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace butter::host {

static const char* kDemoUsage =
    "usage: butter demo [N] [FILE] [options]\n"
    "\n"
    "Runs N nodes (default 3, at most 64) in this process on loopback, composed by the manifest FILE or\n"
    "by the embedded default manifest, each bootstrapped to the ones started before it, and prints\n"
    "each node's HTTP URL. Stops on SIGINT or SIGTERM. Nodes keep no data.\n"
    "\n"
    "options:\n"
    "  --port P             TCP port of node 1; node i uses P+i-1 (default 7750; 0 = free ports)\n"
    "  --http-port H        HTTP port of node 1; node i uses H+i-1 (default P+1000, or free ports)\n"
    "  --log-level LEVEL    trace, debug, info, warn, error (default: the manifest's)\n"
    "  --threads N          event-loop threads shared by the nodes (default: one per core)\n";

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
        count = std::stoi(std::string(a.substr(0, 4)));
        count_given = true;
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
  if (count < 1 || count > 64) {
    std::fprintf(stderr, "butter demo: N must be 1 to 64, got %d\n", count);
    return 2;
  }
  if (http_port < 0) http_port = port == 0 ? 0 : port + 1000;
  if ((port && port + count - 1 > 65535) || (http_port && http_port + count - 1 > 65535)) {
    std::fprintf(stderr, "butter demo: ports past 65535\n");
    return 2;
  }
  int code = 0;
  auto manifest = load_manifest_with_options(opts, "demo", code);
  if (!manifest) return code;

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
    std::printf("  node %zu %s  %s  %s\n", i + 1, n.id_hex().substr(0, 16).c_str(), eps.empty() ? "-" : eps.front().c_str(),
                n.http_url().empty() ? "(no HTTP)" : n.http_url().c_str());
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
