// The `butter` command line, run as a real process: help, check, inspect, and two `butter run`
// processes echoing over loopback.
#include "cli_files.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

using namespace butter::test;
namespace fs = std::filesystem;

namespace {

struct Scratch {
  fs::path dir;
  Scratch() {
    dir = fs::temp_directory_path() / ("butter-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

// Runs `butter args...` to completion; returns the exit code and fills `out` with its output.
int run_butter(const Scratch& s, std::vector<std::string> args, std::string& out) {
  args.insert(args.begin(), kButter);
  Process p(args, s.path("out.log"));
  int code = p.wait_exit(std::chrono::seconds(20));
  out = p.log();
  return code;
}

// The "listening on ...; status at ..." line a running node prints.
bool read_endpoints(Process& p, std::string& tcp, std::string& http) {
  std::smatch m;
  std::string log = p.log();
  if (!std::regex_search(
          log, m, std::regex(R"(listening on (tcp://[0-9.]+:[0-9]+); status at (http://[0-9.]+:[0-9]+)/status)"))) {
    return false;
  }
  tcp = m[1];
  http = m[2];
  return true;
}

}  // namespace

TEST_CASE("butter --help lists the commands and each command has --help") {
  Scratch s;
  std::string out;
  CHECK(run_butter(s, {"--help"}, out) == 0);
  CHECK_THAT(out,
             Catch::Contains("run [FILE]") && Catch::Contains("check FILE") && Catch::Contains("inspect PLUGIN.so"));
  for (const char* cmd : {"run", "check", "inspect"}) {
    CHECK(run_butter(s, {cmd, "--help"}, out) == 0);
    CHECK_THAT(out, Catch::Contains(std::string("usage: butter ") + cmd));
  }
  CHECK(run_butter(s, {"frobnicate"}, out) == 2);
  CHECK_THAT(out, Catch::Contains("unknown command 'frobnicate'"));
}

TEST_CASE("butter check reports every manifest error with file line and column") {
  Scratch s;
  std::string file = s.write("bad.toml",
                             "[node]\n"
                             "name = \"x\"\n"
                             "lisen = [\"tcp://127.0.0.1:0\"]\n"
                             "memory_budget = true\n"
                             "[plugins.echo]\n"
                             "plugin = \"butter.example.echo\"\n"
                             "[plugins.echo.config]\n"
                             "greting = \"hi\"\n"
                             "interval_ms = \"fast\"\n");
  std::string out;
  CHECK(run_butter(s, {"check", file}, out) == 1);
  INFO(out);
  CHECK_THAT(out, Catch::Contains(file + ":3:1: error: unknown key \"lisen\" in [node] (did you mean \"listen\"?)"));
  CHECK_THAT(out, Catch::Contains(file + ":4:17: error: node.memory_budget"));
  // Semantic errors from the plugin's own schema come with positions too, once the node table is valid.
  std::string file2 = s.write("bad2.toml",
                              "[node]\nname = \"x\"\n"
                              "[plugins.echo]\nplugin = \"butter.example.echo\"\n"
                              "[plugins.echo.config]\ngreting = \"hi\"\ninterval_ms = \"fast\"\n");
  CHECK(run_butter(s, {"check", file2}, out) == 1);
  CHECK_THAT(out, Catch::Contains(file2 + ":6:11: error: unknown key \"greting\""));
  CHECK_THAT(out, Catch::Contains(file2 + ":7:15: error:") && Catch::Contains("interval_ms"));
  CHECK_THAT(out, Catch::Contains("2 errors"));
}

TEST_CASE("butter check refuses a value outside the range the plugin's schema declares, at its position") {
  Scratch s;
  std::string file = s.write("range.toml",
                             "[node]\nname = \"x\"\n"
                             "[plugins.echo]\nplugin = \"butter.example.echo\"\n"
                             "[plugins.echo.config]\ninterval_ms = -5\n");
  std::string out;
  CHECK(run_butter(s, {"check", file}, out) == 1);
  INFO(out);
  CHECK_THAT(out,
             Catch::Contains(file + ":6:15: error: plugins.echo.config.interval_ms = -5 is below the minimum 1 (ms)"));
  std::string ok = s.write("in_range.toml",
                           "[node]\nname = \"x\"\n"
                           "[plugins.echo]\nplugin = \"butter.example.echo\"\n"
                           "[plugins.echo.config]\ninterval_ms = 1\n");
  CHECK(run_butter(s, {"check", ok}, out) == 0);
}

TEST_CASE("butter check reports wiring errors and accepts a good manifest") {
  Scratch s;
  std::string lonely = s.write("lonely.toml",
                               "[node]\nname = \"x\"\n"
                               "[plugins.discovery]\nplugin = \"butter.discovery.multicast\"\n");
  std::string out;
  CHECK(run_butter(s, {"check", lonely}, out) == 1);
  CHECK_THAT(out, Catch::Contains(lonely + ":3:1: error:") && Catch::Contains("butter.peers/1"));
  std::string missing =
      s.write("missing.toml", "[node]\nname = \"x\"\n[plugins.nope]\nplugin = \"org.example.nope\"\n");
  CHECK(run_butter(s, {"check", missing}, out) == 1);
  CHECK_THAT(out, Catch::Contains(missing + ":3:1: error:") && Catch::Contains("org.example.nope"));
  std::string good = s.write("good.toml",
                             "[node]\nname = \"x\"\n"
                             "[plugins.peers]\nplugin = \"butter.knownhosts.quality\"\n"
                             "[plugins.discovery]\nplugin = \"butter.discovery.multicast\"\n");
  CHECK(run_butter(s, {"check", good}, out) == 0);
  CHECK_THAT(out, Catch::Contains("ok"));
  CHECK(run_butter(s, {"check", s.path("absent.toml")}, out) == 1);
  CHECK_THAT(out, Catch::Contains("absent.toml"));
}

TEST_CASE("butter inspect prints a descriptor and refuses a wrong ABI with the reason") {
  Scratch s;
  std::string out;
  CHECK(run_butter(s, {"inspect", BUTTER_PLUGIN_DIR "/echo.so"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("butter.example.echo") && Catch::Contains("1.0.0") && Catch::Contains("greeting"));
  CHECK(run_butter(s, {"inspect", BUTTER_PLUGIN_DIR "/knownhosts-quality.so"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("butter.peers/1"));
  CHECK(run_butter(s, {"inspect", BUTTER_TEST_PLUGIN_DIR "/tp-wrong-abi.so"}, out) == 1);
  CHECK_THAT(out, Catch::Contains("ABI 2.0.0"));
  CHECK(run_butter(s, {"inspect", BUTTER_TEST_PLUGIN_DIR "/tp-unresolved.so"}, out) == 1);
  CHECK_THAT(out, Catch::Contains("undefined symbol"));
}

TEST_CASE("butter run refuses a manifest whose plugin has another ABI major") {
  Scratch s;
  std::string file = s.write("abi.toml",
                             "[node]\nname = \"x\"\nlisten = [\"tcp://127.0.0.1:0\"]\nhttp = \"\"\n"
                             "[plugins.old]\nfile = \"" BUTTER_TEST_PLUGIN_DIR "/tp-wrong-abi.so\"\n");
  std::string out;
  CHECK(run_butter(s, {"run", file}, out) == 1);
  CHECK_THAT(out, Catch::Contains(file + ":5:1: error:") && Catch::Contains("ABI 2.0.0"));
}

TEST_CASE("two butter run processes echo over loopback") {
  Scratch s;
  std::string a_file = s.write("a.toml",
                               "[node]\nname = \"a\"\nlisten = [\"tcp://127.0.0.1:0\"]\nhttp = \"127.0.0.1:0\"\n"
                               "[plugins.echo]\nplugin = \"butter.example.echo\"\n"
                               "[plugins.echo.config]\ngreeting = \"from a: \"\n");
  Process a({kButter, "run", a_file}, s.path("a.log"));
  std::string a_tcp, a_http;
  REQUIRE(wait_until([&] { return read_endpoints(a, a_tcp, a_http); }));
  std::string b_file = s.write("b.toml",
                               "[node]\nname = \"b\"\nlisten = [\"tcp://127.0.0.1:0\"]\nhttp = \"127.0.0.1:0\"\n"
                               "[plugins.echo]\nplugin = \"butter.example.echo\"\n"
                               "[plugins.echo.config]\ninterval_ms = 50\ntarget = \"" +
                                   a_tcp + "\"\n");
  Process b({kButter, "run", b_file}, s.path("b.log"));
  std::string b_tcp, b_http;
  REQUIRE(wait_until([&] { return read_endpoints(b, b_tcp, b_http); }));
  auto replies = [&](const std::string& url) -> long {
    try {
      auto r = http_get(url + "/echo/stats");
      return r.status == 200 ? nlohmann::json::parse(r.body)["replies"].get<long>() : -1;
    } catch (const std::exception&) {
      return -1;
    }
  };
  CHECK(wait_until([&] { return replies(b_http) >= 3; }));
  auto status = nlohmann::json::parse(http_get(a_http + "/status").body);
  CHECK(status["peers"].size() == 1);
  CHECK(status["plugins"][0]["state"] == "started");
  auto metrics = http_get(a_http + "/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("butter_echo_served_total{node=\"a\",plugin=\"echo\"}"));
  // SIGTERM stops a node cleanly.
  CHECK(b.stop() == 0);
  CHECK(a.stop() == 0);
}
