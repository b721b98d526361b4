// Helpers of the sdk_install tests: a temporary folder removed on every exit path, commands run to
// completion with a deadline (cmake, ninja, cc, butter), the SDK installed into a temporary prefix,
// and a request sent from an in-process node. Every child is a support/process.hpp Process, so a
// command that overruns its deadline is killed with its whole process group.
#pragma once
#include "support/process.hpp"
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <string>
#include <vector>

namespace butter::test::sdk {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A fresh folder under the system's temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    std::string pattern = (fs::temp_directory_path() / ("butter-" + tag + "-XXXXXX")).string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp " + pattern + " failed");
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return (path_ / rel).string(); }

 private:
  fs::path path_;
};

struct CommandResult {
  int code = -1;       // exit code; -1 when it overran its deadline (and was killed)
  std::string output;  // stdout and stderr together
};

// Runs `argv` to completion within `timeout`, output to `log` (which is kept for the report).
inline CommandResult run_command(std::vector<std::string> argv, const std::string& log,
                                 std::chrono::seconds timeout = 120s, std::vector<std::string> env = {}) {
  CommandResult r;
  Process p(std::move(argv), log, std::move(env));
  r.code = p.wait_exit(timeout);
  if (r.code == -1) p.stop(std::chrono::milliseconds(1000));
  r.output = p.log();
  if (r.code == -1) r.output += "\n[killed: still running after " + std::to_string(timeout.count()) + " s]";
  return r;
}

// `cmake --install` of this build into <dir>/prefix.
class InstalledSdk {
 public:
  InstalledSdk() : dir_("sdk") {
    prefix_ = dir_ / "prefix";
    auto r = run_command({"cmake", "--install", BUTTER_BUILD_DIR, "--prefix", prefix_}, dir_ / "install.log", 120s);
    INFO(r.output);
    REQUIRE(r.code == 0);
  }
  const std::string& prefix() const { return prefix_; }
  std::string butter() const { return prefix_ + "/bin/butter"; }
  const TempDir& dir() const { return dir_; }
  std::string operator/(const std::string& rel) const { return dir_ / rel; }

  // Configures and builds the CMake project `source` into `build` against this prefix (Ninja).
  void build_project(const std::string& source, const std::string& build) const {
    auto conf = run_command({"cmake", "-S", source, "-B", build, "-G", "Ninja", "-DCMAKE_PREFIX_PATH=" + prefix_},
                            build + ".configure.log", 120s);
    INFO(conf.output);
    REQUIRE(conf.code == 0);
    auto b = run_command({"cmake", "--build", build}, build + ".build.log", 240s);
    INFO(b.output);
    REQUIRE(b.code == 0);
  }

 private:
  TempDir dir_;
  std::string prefix_;
};

// The "node <id> (<name>) running; listening on tcp://...; status at http://.../status" line.
struct RunningNode {
  std::string id, tcp, http;
};

inline bool read_running_line(Process& p, RunningNode& out) {
  std::smatch m;
  std::string log = p.log();
  static const std::regex line(
      R"(node ([0-9a-f]{64}) \([^)]*\) running; listening on (tcp://[0-9.]+:[0-9]+); status at (http://[0-9.]+:[0-9]+)/status)");
  if (!std::regex_search(log, m, line)) return false;
  out = RunningNode{m[1], m[2], m[3]};
  return true;
}

// request_from() and Answer come from support/test_node.hpp.
inline Answer request(TestNode& from, const std::string& peer, const std::string& protocol, const std::string& payload,
                      std::chrono::milliseconds timeout = 5s) {
  return request_from(from, peer, protocol, payload, timeout);
}

inline std::string read_text(const std::string& path) { return file_contents(path); }

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace butter::test::sdk
