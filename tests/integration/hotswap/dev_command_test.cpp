// `butter dev` as a real process: inotify sees a new build renamed over the plugin file and the
// node swaps it in while an in-process node keeps requesting.
#include "request_load.hpp"
#include "support/process.hpp"
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

namespace {

const std::string kButter = BUTTER_BUILD_DIR "/bin/butter";

struct DevScratch {
  fs::path dir;
  DevScratch() {
    dir = fs::temp_directory_path() / ("butter-dev-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~DevScratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

bool read_endpoint(Process& p, std::string& tcp) {
  std::smatch m;
  std::string log = p.log();
  if (!std::regex_search(log, m, std::regex(R"(listening on (tcp://[0-9.]+:[0-9]+))"))) return false;
  tcp = m[1];
  return true;
}

// Replaces `target` atomically: copy to a temporary name in the same directory, then rename.
void install(const std::string& from, const std::string& target) {
  std::string tmp = target + ".tmp";
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, target);
}

}  // namespace

TEST_CASE("butter dev --help") {
  DevScratch s;
  Process p({kButter, "dev", "--help"}, s.path("help.log"));
  REQUIRE(p.wait_exit(std::chrono::seconds(10)) == 0);
  CHECK_THAT(p.log(), Catch::Contains("usage: butter dev") && Catch::Contains("--debounce-ms"));
}

TEST_CASE("butter dev swaps a rebuilt plugin while requests flow and none fails") {
  DevScratch s;
  const std::string so = s.path("swap.so");
  fs::copy_file(std::string(BUTTER_TEST_PLUGIN_DIR) + "/tp-swap-v1.so", so);
  const std::string manifest = s.path("dev.toml");
  std::ofstream(manifest) << "[node]\nname = \"dev\"\nlisten = [\"tcp://127.0.0.1:0\"]\nhttp = \"\"\n"
                          << "[plugins.swap]\nfile = \"" << so << "\"\n";
  Process dev({kButter, "dev", manifest}, s.path("dev.log"));
  std::string tcp;
  REQUIRE(wait_until([&] { return read_endpoint(dev, tcp); }));
  REQUIRE(wait_until([&] { return dev.log().find("watching " + so) != std::string::npos; }));

  host::Runtime rt(1);
  host::PluginRegistry registry;
  TestNode client(rt, registry, loopback_manifest("client"));
  RequestLoad load(client.node(), tcp, "/test/swap/1", 2);
  load.start();
  REQUIRE(wait_until([&] { return load.count_prefix("v1:") >= 20; }));

  install(std::string(BUTTER_TEST_PLUGIN_DIR) + "/tp-swap-v2.so", so);
  REQUIRE(wait_until([&] { return load.count_prefix("v2:") >= 20; }));
  // The report line is printed once replace_plugin returns (after the unload check), which can be
  // a moment after the new build already answers.
  CHECK(wait_until([&] { return dev.log().find("'swap' swapped to generation") != std::string::npos; }));
  INFO(dev.log());
  CHECK_THAT(dev.log(), Catch::Contains("old unloaded"));

  // A broken build renamed over the file: refused, v2 keeps serving and counting.
  install(std::string(BUTTER_TEST_PLUGIN_DIR) + "/tp-not-elf.so", so);
  REQUIRE(wait_until([&] { return dev.log().find("NOT swapped") != std::string::npos; }));
  auto v2 = load.count_prefix("v2:");
  REQUIRE(wait_until([&] { return load.count_prefix("v2:") >= v2 + 20; }));

  load.stop();
  REQUIRE(wait_until([&] { return load.in_flight() == 0; }));
  std::uint64_t expected = 1;
  bool seen_v2 = false;
  for (const auto& o : load.outcomes()) {
    INFO("answer " << expected << ": status " << o.status << " '" << o.body << "'");
    REQUIRE(o.status == BUTTER_OK);
    bool v2_answer = o.body.rfind("v2:", 0) == 0;
    REQUIRE((v2_answer || (!seen_v2 && o.body.rfind("v1:", 0) == 0)));
    seen_v2 = seen_v2 || v2_answer;
    REQUIRE(o.body.substr(3) == std::to_string(expected));
    ++expected;
  }
  CHECK(dev.stop() == 0);
}
