// `butter demo N`: N nodes in one process on loopback, each answering on its HTTP endpoint and
// connected to the others, stopped cleanly by SIGTERM.
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <regex>
#include <set>

using namespace butter::test;
namespace fs = std::filesystem;

namespace {
std::vector<std::string> demo_urls(const std::string& log) {
  std::vector<std::string> urls;
  const std::regex line(R"(  node \d+ [0-9a-f]{16}  tcp://127\.0\.0\.1:\d+  (http://127\.0\.0\.1:\d+))");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator(); ++it)
    urls.push_back((*it)[1]);
  return urls;
}
}  // namespace

TEST_CASE("butter demo 3 runs three connected nodes on loopback and stops on SIGTERM") {
  const fs::path log = fs::temp_directory_path() / ("butter-demo-" + std::to_string(::getpid()) + ".log");
  Process demo({BUTTER_BUILD_DIR "/bin/butter", "demo", "3", "--port", "0", "--log-level", "warn"}, log.string());
  std::vector<std::string> urls;
  REQUIRE(wait_until(
      [&] {
        urls = demo_urls(demo.log());
        return urls.size() == 3 && demo.log().find("butter demo: running") != std::string::npos;
      },
      std::chrono::seconds(20)));
  INFO(demo.log());
  std::set<std::string> ids;
  for (const auto& url : urls) {
    auto r = http_get(url + "/status");
    REQUIRE(r.status == 200);
    ids.insert(nlohmann::json::parse(r.body)["node"]["id"].get<std::string>());
  }
  CHECK(ids.size() == 3);
  // Every node is connected to at least one other (node 2 and 3 bootstrap to 1, 3 also to 2).
  for (const auto& url : urls) {
    CHECK(wait_until([&] { return !nlohmann::json::parse(http_get(url + "/status").body)["peers"].empty(); }));
  }
  CHECK(demo.stop() == 0);
  std::error_code ec;
  fs::remove(log, ec);
}

TEST_CASE("butter demo refuses a bad node count or port") {
  const fs::path log = fs::temp_directory_path() / ("butter-demo-bad-" + std::to_string(::getpid()) + ".log");
  for (std::vector<std::string> args : {std::vector<std::string>{"demo", "0"},
                                        {"demo", "5001"},
                                        {"demo", "12345"},
                                        {"demo", "99999999999999999999"},
                                        {"demo", "3", "--port", "x"},
                                        {"demo", "3", "--port", "65534"},
                                        {"demo", "--bogus"}}) {
    args.insert(args.begin(), BUTTER_BUILD_DIR "/bin/butter");
    Process p(args, log.string());
    CHECK(p.wait_exit(std::chrono::seconds(10)) == 2);
  }
  std::error_code ec;
  fs::remove(log, ec);
}
