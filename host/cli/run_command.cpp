// butter run [FILE]: run one node until SIGINT or SIGTERM.
#include "cli/cli.hpp"
#include "cli/node_options.hpp"
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
    "options (override the manifest's [node] table):\n";

int run_command(int argc, char** argv) {
  NodeOptions opts;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf("%s%s", kRunUsage, kNodeOptionsHelp);
      return 0;
    }
    try {
      if (!parse_node_option(argc, argv, i, opts)) throw std::runtime_error("unknown option " + std::string(a));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "butter run: %s\n\n%s%s", e.what(), kRunUsage, kNodeOptionsHelp);
      return 2;
    }
  }
  int code = 0;
  auto manifest = load_manifest_with_options(opts, "run", code);
  if (!manifest) return code;
  const std::string name = manifest->node.name;

  // Signals are taken synchronously by this thread; the event-loop threads inherit the mask.
  sigset_t signals = block_stop_signals();

  PluginRegistry registry;
  Runtime runtime(opts.threads);
  Node n(runtime.io(), *manifest, registry);
  Diagnostics diags;
  if (!n.prepare(diags)) {
    std::fputs(diags.to_string().c_str(), stderr);
    return 1;
  }
  if (Error e = n.start()) {
    spdlog::critical("[{}] cannot start: {}", name, e.message);
    return 1;
  }
  print_running(n, "");

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("[{}] {} received; stopping", name, sig == SIGINT ? "SIGINT" : "SIGTERM");
  n.stop();
  runtime.stop();
  return 0;
}

}  // namespace butter::host
