// butter run [FILE]: run one node until SIGINT or SIGTERM.
#include "cli/cli.hpp"
#include "node/node.hpp"
#include "node/runtime.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>

namespace butter::host {

static const char* kRunUsage =
    "usage: butter run [FILE] [options]\n"
    "\n"
    "Runs a node composed by the manifest FILE, or by the embedded default manifest (loopback only)\n"
    "when FILE is omitted, until SIGINT or SIGTERM.\n"
    "\n"
    "options (override the manifest's [node] table):\n"
    "  --name NAME          node name\n"
    "  --listen URI         listen endpoint, e.g. tcp://127.0.0.1:7701 (repeatable; replaces the list)\n"
    "  --http HOST:PORT     local HTTP endpoint (\"\" turns it off)\n"
    "  --bootstrap URI      a peer to connect to at start (repeatable)\n"
    "  --data-dir DIR       where the node keeps its id and its plugins' data\n"
    "  --log-level LEVEL    trace, debug, info, warn, error\n"
    "  --threads N          event-loop threads (default: one per core)\n";

static bool apply_log_level(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") return false;
  spdlog::set_level(lvl);
  return true;
}

int run_command(int argc, char** argv) {
  std::string file;
  std::vector<std::string> listen, bootstrap;
  std::optional<std::string> name, http, data_dir, log_level;
  unsigned threads = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(std::string(flag) + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "-h" || a == "--help") {
        std::fputs(kRunUsage, stdout);
        return 0;
      } else if (a == "--name") {
        name = value("--name");
      } else if (a == "--listen") {
        listen.push_back(value("--listen"));
      } else if (a == "--http") {
        http = value("--http");
      } else if (a == "--bootstrap") {
        bootstrap.push_back(value("--bootstrap"));
      } else if (a == "--data-dir") {
        data_dir = value("--data-dir");
      } else if (a == "--log-level") {
        log_level = value("--log-level");
      } else if (a == "--threads") {
        threads = static_cast<unsigned>(std::stoul(value("--threads")));
      } else if (!a.empty() && a[0] == '-') {
        throw std::runtime_error("unknown option " + std::string(a));
      } else if (file.empty()) {
        file = std::string(a);
      } else {
        throw std::runtime_error("more than one manifest given");
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "butter run: %s\n\n%s", e.what(), kRunUsage);
      return 2;
    }
  }

  Diagnostics diags;
  auto manifest = file.empty() ? load_default_manifest(diags) : load_manifest_file(file, diags);
  if (!manifest) {
    std::fputs(diags.to_string().c_str(), stderr);
    return 1;
  }
  NodeSpec& node = manifest->node;
  if (name) node.name = *name;
  if (!listen.empty()) node.listen = listen;
  if (http) node.http = *http;
  for (auto& b : bootstrap) node.bootstrap.push_back(b);
  if (data_dir) node.data_dir = *data_dir;
  if (log_level) node.log_level = *log_level;
  if (!apply_log_level(node.log_level)) {
    std::fprintf(stderr, "butter run: unknown log level '%s'\n", node.log_level.c_str());
    return 2;
  }

  // Signals are taken synchronously by this thread; the event-loop threads inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  PluginRegistry registry;
  Runtime runtime(threads);
  Node n(runtime.io(), *manifest, registry);
  if (!n.prepare(diags)) {
    std::fputs(diags.to_string().c_str(), stderr);
    return 1;
  }
  if (Error e = n.start()) {
    spdlog::critical("[{}] cannot start: {}", node.name, e.message);
    return 1;
  }
  std::string url = n.http_url();
  std::printf("butter: node %s (%s) running; listening on", n.id_hex().c_str(), node.name.c_str());
  for (const auto& ep : n.listen_endpoints()) std::printf(" %s", ep.c_str());
  if (!url.empty()) std::printf("; status at %s/status", url.c_str());
  std::printf("\n");
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("[{}] {} received; stopping", node.name, sig == SIGINT ? "SIGINT" : "SIGTERM");
  n.stop();
  runtime.stop();
  return 0;
}

}  // namespace butter::host
