// butter dev [FILE]: run one node and hot-swap its plugins when their files are rebuilt.
#include "cli/cli.hpp"
#include "cli/node_options.hpp"
#include "node/node.hpp"
#include "node/plugin_watcher.hpp"
#include "node/runtime.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>

namespace butter::host {

static const char* kDevUsage =
    "usage: butter dev [FILE] [options]\n"
    "\n"
    "Runs a node like `butter run`, and watches each plugin's .so file (inotify on its directory).\n"
    "When a file is rebuilt (written and closed, or renamed over), the new build is loaded from a\n"
    "private copy, checked (ABI, descriptor, same plugin id, config), and swapped in: the running\n"
    "instance hands its state over (butter.state/1) and inbound messages wait until the new one\n"
    "serves. A build that fails to load or start is rolled back and logged; the old one keeps serving.\n"
    "\n"
    "options (those of `butter run`, and):\n"
    "  --debounce-ms N      quiet time after the last change of a file before swapping (default 75)\n";

int dev_command(int argc, char** argv) {
  NodeOptions opts;
  long debounce_ms = 75;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf("%s%s", kDevUsage, kNodeOptionsHelp);
      return 0;
    }
    try {
      if (parse_node_option(argc, argv, i, opts)) continue;
      if (a != "--debounce-ms") throw std::runtime_error("unknown option " + std::string(a));
      if (i + 1 >= argc) throw std::runtime_error("--debounce-ms needs a value");
      debounce_ms = std::stol(argv[++i]);
      if (debounce_ms < 0) throw std::runtime_error("--debounce-ms must be >= 0");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "butter dev: %s\n\n%s%s", e.what(), kDevUsage, kNodeOptionsHelp);
      return 2;
    }
  }
  int code = 0;
  auto manifest = load_manifest_with_options(opts, "dev", code);
  if (!manifest) return code;
  const NodeSpec& node = manifest->node;
  Diagnostics diags;

  sigset_t signals = block_stop_signals();

  int status = 0;
  {
    PluginRegistry registry;
    Runtime runtime(opts.threads);
    Node n(runtime.io(), *manifest, registry);
    n.set_shadow_loading(true);  // never map the file a build rewrites
    if (!n.prepare(diags)) {
      std::fputs(diags.to_string().c_str(), stderr);
      return 1;
    }
    if (Error e = n.start()) {
      spdlog::critical("[{}] cannot start: {}", node.name, e.message);
      return 1;
    }
    PluginWatcher watcher{std::chrono::milliseconds(debounce_ms)};
    for (const auto& [instance, path] : n.plugin_files()) {
      if (Error e = watcher.watch(instance, path)) {
        spdlog::warn("[{}] plugin '{}': not watched: {}", node.name, instance, e.message);
      } else {
        spdlog::info("[{}] plugin '{}': watching {}", node.name, instance, path);
      }
    }
    print_running(n, " in dev mode");

    const timespec zero{0, 0};
    for (;;) {
      int sig = sigtimedwait(&signals, nullptr, &zero);
      if (sig == SIGINT || sig == SIGTERM) {
        spdlog::info("[{}] {} received; stopping", node.name, sig == SIGINT ? "SIGINT" : "SIGTERM");
        break;
      }
      for (const auto& c : watcher.poll(std::chrono::milliseconds(100))) {
        SwapReport r;
        Error e = n.replace_plugin(c.instance, c.file, &r);
        const double from_detect_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c.detected).count();
        const double debounce = std::chrono::duration<double, std::milli>(c.settled - c.detected).count();
        if (e) {
          std::printf("butter dev: '%s' NOT swapped (%s): %s\n", c.instance.c_str(),
                      r.rolled_back ? "rolled back" : "refused", e.message.c_str());
        } else {
          std::printf(
              "butter dev: '%s' swapped to generation %llu in %.1f ms (pause %.2f ms, %zu frame(s) held, state %zu "
              "bytes, old %s); %.1f ms since the change was seen (%.1f ms debounce)\n",
              c.instance.c_str(), static_cast<unsigned long long>(r.generation), r.total_us / 1000.0,
              r.pause_us / 1000.0, r.held_frames, r.state_bytes, r.old_unloaded ? "unloaded" : "STILL RESIDENT",
              from_detect_ms, debounce);
        }
        std::fflush(stdout);
      }
    }
    n.stop();
    runtime.stop();
  }
  std::error_code ec;
  std::filesystem::remove_all(shadow_directory(), ec);
  return status;
}

}  // namespace butter::host
