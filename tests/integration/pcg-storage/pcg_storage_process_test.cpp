// pcg-storage across `butter run` processes on loopback (no root needed): kill -9 a holder, the
// object stays readable from the others; start it again on the same data dir and its objects
// come back from its SQLite file. The netns tests do the same on separate hosts.
#include "support/free_ports.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"

#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>

using namespace butter::test;
namespace fs = std::filesystem;

namespace {

struct ProcNode {
  std::string manifest, log, http;
  std::unique_ptr<Process> proc;
  int starts = 0;
  void start() {
    proc = std::make_unique<Process>(std::vector<std::string>{BUTTER_BUILD_DIR "/bin/butter", "run", manifest},
                                     log + "." + std::to_string(starts++));
  }
};

nlohmann::json entry(const ProcNode& n, const std::string& id) {
  try {
    auto r = http_get(n.http + "/storage", std::chrono::seconds(2));
    if (r.status != 200) return nullptr;
    const auto j = nlohmann::json::parse(r.body);
    for (const auto& o : j["objects"])
      if (o["id"] == id) return o;
  } catch (const std::exception&) {
  }
  return nullptr;
}

std::size_t hosts_known(const ProcNode& n) {
  try {
    auto r = http_get(n.http + "/knownhosts", std::chrono::seconds(2));
    return r.status == 200 ? nlohmann::json::parse(r.body)["hosts"].size() : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

TEST_CASE("butter processes: kill -9 a holder and restart it with persistence - its data returns") {
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("butter-pcg-proc-" + std::to_string(rd()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};
  const auto disc_port = static_cast<std::uint16_t>(20000 + rd() % 20000);
  const auto ports = free_ports(6);
  std::vector<ProcNode> nodes(3);
  for (std::size_t i = 0; i < 3; ++i) {
    ProcNode& n = nodes[i];
    n.manifest = (dir / ("n" + std::to_string(i) + ".toml")).string();
    n.log = (dir / ("n" + std::to_string(i) + ".log")).string();
    n.http = "http://127.0.0.1:" + std::to_string(ports[2 * i + 1]);
    std::ofstream(n.manifest) << "[node]\nname = \"n" << i << "\"\nlisten = [\"tcp://127.0.0.1:" << ports[2 * i]
                              << "\"]\nhttp = \"127.0.0.1:" << ports[2 * i + 1] << "\"\ndata_dir = \""
                              << (dir / ("data" + std::to_string(i))).string() << "\"\n"
                              << "[plugins.peers]\nplugin = \"butter.knownhosts.quality\"\n[plugins.peers.config]\n"
                              << "refresh_ms = 300\ntimeout_ms = 1000\nmax_failures = 2\n"
                              << "[plugins.discovery]\nplugin = \"butter.discovery.multicast\"\n"
                              << "[plugins.discovery.config]\ninterface = \"127.0.0.1\"\nport = " << disc_port
                              << "\nfast_ms = 100\nslow_ms = 5000\n"
                              << "[plugins.storage]\nplugin = \"butter.storage.pcg\"\n[plugins.storage.config]\n"
                              << "heartbeat_ms = 300\nmiss_limit = 20\nblock_size = 16384\n";
    n.start();
  }
  REQUIRE(wait_until(
      [&] {
        for (const auto& n : nodes)
          if (hosts_known(n) != 2) return false;
        return true;
      },
      std::chrono::seconds(30)));
  std::mt19937 rng(3);
  std::string body(90000, '\0');
  for (auto& c : body) c = static_cast<char>(rng());
  auto put = http_request_url("POST", nodes[0].http + "/storage", body, std::chrono::seconds(10));
  INFO(put.body);
  REQUIRE(put.status == 201);
  const std::string id = nlohmann::json::parse(put.body)["id"];
  REQUIRE_FALSE(entry(nodes[1], id).is_null());
  nodes[1].proc->kill(SIGKILL);
  REQUIRE(nodes[1].proc->wait_exit(std::chrono::seconds(5)) == 128 + SIGKILL);
  auto from_c = http_get(nodes[2].http + "/storage/" + id, std::chrono::seconds(10));
  CHECK(from_c.status == 200);
  CHECK(from_c.body == body);
  nodes[1].start();
  REQUIRE(wait_until([&] { return !entry(nodes[1], id).is_null(); }, std::chrono::seconds(15)));
  CHECK(nodes[1].proc->log().find("restored 1 of 1 persisted objects") != std::string::npos);
  auto again = http_get(nodes[1].http + "/storage/" + id, std::chrono::seconds(10));
  CHECK(again.status == 200);
  CHECK(again.body == body);
  CHECK(wait_until(
      [&] {
        for (const auto& n : nodes) {
          auto e = entry(n, id);
          if (e.is_null() || e["group_size"] != 3) return false;
        }
        return true;
      },
      std::chrono::seconds(10)));
  // A clean stop, and nothing in the logs from the sanitizers (ASan builds) or a crash.
  for (auto& n : nodes) {
    CHECK(n.proc->stop() == 0);
    const std::string log = n.proc->log();
    CHECK(log.find("AddressSanitizer") == std::string::npos);
    CHECK(log.find("runtime error:") == std::string::npos);
  }
}
