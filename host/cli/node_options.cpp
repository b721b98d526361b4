#include "cli/node_options.hpp"

#include "node/node.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace butter::host {

const char* const kNodeOptionsHelp =
    "  --name NAME          node name\n"
    "  --listen URI         listen endpoint, e.g. tcp://127.0.0.1:7701 (repeatable; replaces the list)\n"
    "  --http HOST:PORT     local HTTP endpoint (\"\" turns it off)\n"
    "  --bootstrap URI      a peer to connect to at start (repeatable)\n"
    "  --data-dir DIR       where the node keeps its id and its plugins' data\n"
    "  --log-level LEVEL    trace, debug, info, warn, error\n"
    "  --threads N          event-loop threads (default: one per core)\n";

bool parse_node_option(int argc, char** argv, int& i, NodeOptions& o) {
  std::string_view a = argv[i];
  auto value = [&]() -> std::string {
    if (i + 1 >= argc) throw std::runtime_error(std::string(a) + " needs a value");
    return argv[++i];
  };
  if (a == "--name") {
    o.name = value();
  } else if (a == "--listen") {
    o.listen.push_back(value());
  } else if (a == "--http") {
    o.http = value();
  } else if (a == "--bootstrap") {
    o.bootstrap.push_back(value());
  } else if (a == "--data-dir") {
    o.data_dir = value();
  } else if (a == "--log-level") {
    o.log_level = value();
  } else if (a == "--threads") {
    std::string v = value();
    try {
      o.threads = static_cast<unsigned>(std::stoul(v));
    } catch (const std::exception&) {
      throw std::runtime_error("--threads needs a number, got '" + v + "'");
    }
  } else if (!a.empty() && a[0] == '-') {
    return false;  // not a shared option: the command may know it
  } else if (o.file.empty()) {
    o.file = std::string(a);
  } else {
    throw std::runtime_error("more than one manifest given");
  }
  return true;
}

std::optional<Manifest> load_manifest_with_options(const NodeOptions& o, const char* command, int& exit_code) {
  Diagnostics diags;
  auto manifest = o.file.empty() ? load_default_manifest(diags) : load_manifest_file(o.file, diags);
  if (!manifest) {
    std::fputs(diags.to_string().c_str(), stderr);
    exit_code = 1;
    return std::nullopt;
  }
  NodeSpec& node = manifest->node;
  if (o.name) node.name = *o.name;
  if (!o.listen.empty()) node.listen = o.listen;
  if (o.http) node.http = *o.http;
  for (const auto& b : o.bootstrap) node.bootstrap.push_back(b);
  if (o.data_dir) node.data_dir = *o.data_dir;
  if (o.log_level) node.log_level = *o.log_level;
  auto level = spdlog::level::from_str(node.log_level);
  if (level == spdlog::level::off && node.log_level != "off") {
    std::fprintf(stderr, "butter %s: unknown log level '%s'\n", command, node.log_level.c_str());
    exit_code = 2;
    return std::nullopt;
  }
  spdlog::set_level(level);
  return manifest;
}

sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return signals;
}

void print_running(Node& node, const char* mode) {
  // One fwrite of the whole line: the default logger writes to the same stdout FILE from the
  // node's threads, and a line built by several printf calls can have a log line land inside it
  // (seen in CI: "listening on[... connected to bootstrap peer ...] tcp://..."), which breaks
  // every script that reads the endpoints off this line.
  std::string line = "butter: node " + node.id_hex() + " (" + node.name() + ") running" + mode + "; listening on";
  for (const auto& ep : node.listen_endpoints()) line += " " + ep;
  if (std::string url = node.http_url(); !url.empty()) line += "; status at " + url + "/status";
  line += "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace butter::host
