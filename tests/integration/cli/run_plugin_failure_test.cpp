// `butter run` and a plugin that fails once the node is up: by default the node goes on without
// it (never panic); with [node] on_plugin_failure = "exit" the node stops and the process exits 3,
// so that a supervisor (systemd, a container runtime) sees the failure and restarts it.
#include "cli_files.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace butter::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct RunDir {
  fs::path dir = fs::temp_directory_path() / ("butter-run-failure-" + std::to_string(::getpid()));
  RunDir() { fs::create_directories(dir); }
  ~RunDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  // A node with the example echo plugin and one whose start() fails (tp-failing-start), with
  // `extra` added to [node].
  std::string manifest(const std::string& name, const std::string& extra) const {
    const fs::path p = dir / (name + ".toml");
    std::ofstream(p) << "[node]\nname = \"" << name << "\"\nlisten = [\"tcp://127.0.0.1:0\"]\nhttp = \"\"\n"
                     << extra << "[plugins.echo]\nplugin = \"butter.example.echo\"\n"
                     << "[plugins.bad]\nfile = \"" BUTTER_TEST_PLUGIN_DIR "/tp-failing-start.so\"\n";
    return p.string();
  }
};

bool log_has(Process& p, const std::string& text) { return p.log().find(text) != std::string::npos; }

}  // namespace

TEST_CASE("butter run goes on without a failed plugin by default") {
  RunDir d;
  Process node({kButter, "run", d.manifest("isolate", "")}, (d.dir / "isolate.log").string());
  REQUIRE(wait_until([&] { return log_has(node, "isolated"); }, 20s));
  // Running and listening after the failure: the failure was logged, not fatal.
  REQUIRE(wait_until([&] { return log_has(node, "listening on"); }, 20s));
  CHECK(node.running());
  CHECK(node.stop() == 0);  // SIGTERM: a clean stop
}

TEST_CASE("butter run with on_plugin_failure = exit stops and exits 3 when a plugin fails") {
  RunDir d;
  Process node({kButter, "run", d.manifest("exit", "on_plugin_failure = \"exit\"\n")}, (d.dir / "exit.log").string());
  CHECK(node.wait_exit(20s) == 3);
  INFO(node.log());
  CHECK(log_has(node, "plugin 'bad' failed"));
  CHECK(log_has(node, "on_plugin_failure = \"exit\""));
}

TEST_CASE("butter check refuses an unknown on_plugin_failure with its position") {
  RunDir d;
  const std::string file = d.manifest("typo", "on_plugin_failure = \"exti\"\n");
  Process check({kButter, "check", file}, (d.dir / "check.log").string());
  CHECK(check.wait_exit(20s) != 0);
  INFO(check.log());
  CHECK(log_has(check, file + ":5:21: error: node.on_plugin_failure: expected \"isolate\" or \"exit\""));
  CHECK(log_has(check, "did you mean \"exit\""));
}
