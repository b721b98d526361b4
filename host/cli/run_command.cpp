// butter run [FILE]: run one node until SIGINT or SIGTERM.
#include "cli/cli.hpp"
#include "cli/node_options.hpp"
#include "node/node.hpp"
#include "node/runtime.hpp"

#include <spdlog/spdlog.h>

#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace butter::host {

static const char* kRunUsage =
    "usage: butter run [FILE] [options]\n"
    "\n"
    "Runs a node composed by the manifest FILE, or by the embedded default manifest (loopback only)\n"
    "when FILE is omitted, until SIGINT or SIGTERM (exit 0). With [node] on_plugin_failure = \"exit\",\n"
    "a plugin failing at run time stops the node too (exit 3); by default the node goes on without it.\n"
    "\n"
    "options (override the manifest's [node] table):\n";

// The exit code of a node stopped by a failed plugin under on_plugin_failure = "exit" (1 and 2
// are "cannot start" and "bad usage").
constexpr int kExitPluginFailed = 3;

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
  // [node] on_plugin_failure = "exit": the first isolated instance stops the node, through the
  // same signal path as SIGTERM (process-directed, so the sigwait below takes it), and the exit
  // code says it was a failure.
  struct Failure {
    std::mutex mu;
    std::string what;
  };
  auto failure = std::make_shared<Failure>();
  if (manifest->node.on_plugin_failure == NodeSpec::OnPluginFailure::Exit) {
    n.core()->on_plugin_failure = [failure](const std::string& instance, const std::string& reason) {
      std::lock_guard lock(failure->mu);
      if (!failure->what.empty()) return;
      failure->what = "plugin '" + instance + "' failed: " + reason;
      ::kill(::getpid(), SIGTERM);
    };
  }
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
  std::string failed;
  {
    std::lock_guard lock(failure->mu);
    failed = failure->what;
  }
  if (failed.empty()) {
    spdlog::info("[{}] {} received; stopping", name, sig == SIGINT ? "SIGINT" : "SIGTERM");
  } else {
    spdlog::critical("[{}] {}; stopping (node.on_plugin_failure = \"exit\")", name, failed);
  }
  n.stop();
  runtime.stop();
  return failed.empty() ? 0 : kExitPluginFailed;
}

}  // namespace butter::host
