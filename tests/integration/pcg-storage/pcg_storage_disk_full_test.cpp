// pcg-storage on a full disk: a `butter run` node whose data_dir is a 2 MiB tmpfs that the test
// mounts itself. Puts go on until the filesystem refuses them; every put answered 201 must be
// readable after the node is restarted on the same data dir, and every put that could not be
// written must get an error status (never a 201 for an object that then vanishes).
// Needs root (mount); reported Skipped without it, failed under CI=true.
#include "support/free_ports.hpp"
#include "support/http_client.hpp"
#include "support/netns_bed.hpp"  // running_under_ci()
#include "support/process.hpp"
#include "support/skip.hpp"
#include "support/wait.hpp"

#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

using namespace butter::test;
namespace fs = std::filesystem;

namespace {

// A scratch directory with a tmpfs of `size` mounted on <dir>/data. The destructor unmounts it
// (lazily, so a process still holding a file there cannot keep it mounted) and removes the
// directory, also when the test fails. The mount is made in a mount namespace of this process's
// own (the nodes it starts inherit it), so even a crash that skips the destructor leaves no
// mount behind: the namespace, and the tmpfs with it, goes when the last of these processes does.
struct SmallFs {
  fs::path dir, mnt;
  bool mounted = false;
  std::string error;
  explicit SmallFs(const char* size) {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("butter-pcg-diskfull-" + std::to_string(rd()));
    mnt = dir / "data";
    fs::create_directories(mnt);
    // Best effort: without a private namespace the destructor is still the guard.
    if (::unshare(CLONE_NEWNS) == 0) ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
    const std::string opts = std::string("size=") + size + ",mode=0700";
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) == 0)
      mounted = true;
    else
      error = std::string("mount -t tmpfs: ") + std::strerror(errno);
  }
  ~SmallFs() {
    if (mounted) ::umount2(mnt.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// Skips (returns true; ctest reports Skipped) when the test cannot mount here; FAILs under CI=true.
bool skip_or_fail(const std::string& reason) {
  if (running_under_ci()) FAIL("disk-full test unavailable under CI: " << reason);
  skip(reason);
  return true;
}

bool serving(const std::string& http) {
  try {
    return http_get(http + "/storage", std::chrono::seconds(2)).status == 200;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

TEST_CASE(
    "on a full 2 MiB filesystem every put answered 201 is readable after a restart and the rest are refused - also "
    "below capacity") {
  if (::geteuid() != 0 && skip_or_fail("not running as root (mounting a tmpfs needs root)")) return;
  SmallFs small("2m");
  if (!small.mounted && skip_or_fail(small.error)) return;

  const auto ports = free_ports(2);
  const std::string manifest = (small.dir / "node.toml").string();
  const std::string http = "http://127.0.0.1:" + std::to_string(ports[1]);
  // One replica: the node answers a put as soon as its own copy is written, which is what this
  // test is about. The budget is far above the filesystem, so the disk is the only limit.
  auto write_manifest = [&](std::uint64_t capacity) {
    std::ofstream(manifest) << "[node]\nname = \"full\"\nlisten = [\"tcp://127.0.0.1:" << ports[0]
                            << "\"]\nhttp = \"127.0.0.1:" << ports[1] << "\"\ndata_dir = \"" << small.mnt.string()
                            << "\"\n[plugins.storage]\nplugin = \"butter.storage.pcg\"\n[plugins.storage.config]\n"
                            << "replicas = 1\ncapacity_bytes = " << capacity << "\n";
  };
  write_manifest(64 << 20);
  int starts = 0;
  auto start = [&] {
    return std::make_unique<Process>(std::vector<std::string>{BUTTER_BUILD_DIR "/bin/butter", "run", manifest},
                                     (small.dir / ("node.log." + std::to_string(starts++))).string());
  };
  auto node = start();
  REQUIRE(wait_until([&] { return serving(http); }, std::chrono::seconds(20)));

  // 100 kB objects, at most 60 of them (6 MB, three times the filesystem): the disk fills long
  // before. Each put has its own deadline, so the loop is bounded in time too.
  std::mt19937 rng(7);
  std::vector<std::pair<std::string, std::string>> acknowledged;  // id, body
  std::map<int, int> statuses;
  int refused = 0;
  for (int i = 0; i < 60 && refused < 5; ++i) {
    std::string body(100000, '\0');
    for (auto& c : body) c = static_cast<char>(rng());
    auto r = http_request_url("POST", http + "/storage", body, std::chrono::seconds(10));
    ++statuses[r.status];
    if (r.status == 201) {
      acknowledged.emplace_back(nlohmann::json::parse(r.body)["id"].get<std::string>(), std::move(body));
    } else {
      INFO("put " << i << ": " << r.status << " " << r.body);
      CHECK(r.status == 507);
      CHECK(r.body.find("disk") != std::string::npos);
      ++refused;
    }
  }
  CHECK(refused > 0);
  REQUIRE_FALSE(acknowledged.empty());
  const std::string status_before = http_get(http + "/storage", std::chrono::seconds(2)).body;

  CHECK(node->stop() == 0);
  node = start();
  REQUIRE(wait_until([&] { return serving(http); }, std::chrono::seconds(20)));
  std::size_t readable = 0;
  for (const auto& [id, body] : acknowledged) {
    auto g = http_get(http + "/storage/" + id, std::chrono::seconds(10));
    if (g.status == 200 && g.body == body) ++readable;
  }
  std::cout << "disk full (2 MiB tmpfs): " << acknowledged.size() << " puts acknowledged 201, " << refused
            << " refused, " << readable << " of the acknowledged readable after restart\n";
  CHECK(readable == acknowledged.size());
  const auto after = nlohmann::json::parse(http_get(http + "/storage", std::chrono::seconds(2)).body);
  INFO(status_before);
  INFO(after.dump());
  CHECK(after["objects"].size() == acknowledged.size());
  const auto persistence = after.value("persistence", nlohmann::json::object());
  CHECK(persistence.value("quarantined", -1) == 0);
  CHECK(persistence.value("restored", std::size_t{0}) == acknowledged.size());
  CHECK(node->stop() == 0);

  // Restarted with a capacity far below what is stored: nothing is dropped to fit, everything is
  // still served, and new data is refused for the budget.
  write_manifest(200000);
  node = start();
  REQUIRE(wait_until([&] { return serving(http); }, std::chrono::seconds(20)));
  const auto small_cap = nlohmann::json::parse(http_get(http + "/storage", std::chrono::seconds(2)).body);
  CHECK(small_cap["objects"].size() == acknowledged.size());
  CHECK(small_cap.value("over_capacity", false));
  std::size_t served = 0;
  for (const auto& [id, body] : acknowledged) {
    auto g = http_get(http + "/storage/" + id, std::chrono::seconds(10));
    if (g.status == 200 && g.body == body) ++served;
  }
  CHECK(served == acknowledged.size());
  auto refused_put = http_request_url("POST", http + "/storage", std::string(1000, 'n'), std::chrono::seconds(10));
  CHECK(refused_put.status == 507);
  CHECK(refused_put.body.find("storage budget exceeded") != std::string::npos);
  CHECK(node->stop() == 0);
}
