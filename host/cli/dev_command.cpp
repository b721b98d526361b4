// butter dev [FILE]: run one node and hot-swap its plugins when their files are rebuilt.
#include "cli/cli.hpp"
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
    "options:\n"
    "  --name NAME          node name\n"
    "  --listen URI         listen endpoint (repeatable; replaces the manifest's list)\n"
    "  --http HOST:PORT     local HTTP endpoint (\"\" turns it off)\n"
    "  --bootstrap URI      a peer to connect to at start (repeatable)\n"
    "  --data-dir DIR       where the node keeps its id and its plugins' data\n"
    "  --log-level LEVEL    trace, debug, info, warn, error\n"
    "  --debounce-ms N      quiet time after the last change of a file before swapping (default 75)\n"
    "  --threads N          event-loop threads (default: one per core)\n";

int dev_command(int argc, char** argv) {
  std::string file;
  std::vector<std::string> listen, bootstrap;
  std::optional<std::string> name, http, data_dir, log_level;
  unsigned threads = 0;
  long debounce_ms = 75;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(std::string(flag) + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "-h" || a == "--help") {
        std::fputs(kDevUsage, stdout);
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
      } else if (a == "--debounce-ms") {
        debounce_ms = std::stol(value("--debounce-ms"));
        if (debounce_ms < 0) throw std::runtime_error("--debounce-ms must be >= 0");
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
      std::fprintf(stderr, "butter dev: %s\n\n%s", e.what(), kDevUsage);
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
  auto lvl = spdlog::level::from_str(node.log_level);
  if (lvl == spdlog::level::off && node.log_level != "off") {
    std::fprintf(stderr, "butter dev: unknown log level '%s'\n", node.log_level.c_str());
    return 2;
  }
  spdlog::set_level(lvl);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  int status = 0;
  {
    PluginRegistry registry;
    Runtime runtime(threads);
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
    std::string url = n.http_url();
    std::printf("butter: node %s (%s) running in dev mode; listening on", n.id_hex().c_str(), node.name.c_str());
    for (const auto& ep : n.listen_endpoints()) std::printf(" %s", ep.c_str());
    if (!url.empty()) std::printf("; status at %s/status", url.c_str());
    std::printf("\n");
    std::fflush(stdout);

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
