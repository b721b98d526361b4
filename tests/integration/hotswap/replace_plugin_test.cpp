// Hot swap in process: Node::replace_plugin while another node sends requests without pause.
#include "request_load.hpp"
#include "support/test_node.hpp"

#include "loader/plugin_library.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

namespace {

std::string tp(const std::string& name) { return std::string(BUTTER_TEST_PLUGIN_DIR) + "/" + name; }

// A fresh directory holding `swap.so`, a copy of tp-swap-v1.so.
struct SwapDir {
  fs::path dir;
  SwapDir() {
    static int n = 0;
    dir = fs::temp_directory_path() / ("butter-hotswap-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::copy_file(tp("tp-swap-v1.so"), dir / "swap.so");
  }
  ~SwapDir() {  // after the nodes (declared first): the shadow copies are no longer mapped
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::remove_all(host::shadow_directory(), ec);
  }
  std::string file() const { return (dir / "swap.so").string(); }
};

std::string swap_manifest(const std::string& file) { return "[plugins.swap]\nfile = \"" + file + "\"\n"; }

// The counter in an answer "<build>:<counter>".
std::uint64_t counter_of(const std::string& body) {
  auto colon = body.find(':');
  return colon == std::string::npos ? 0 : std::stoull(body.substr(colon + 1));
}

// Every answer succeeded, the builds appear in `builds` order (each one a contiguous run), and
// the counter goes 1, 2, 3, ... across all of them.
void check_sequence(const std::vector<RequestLoad::Outcome>& outcomes, const std::vector<std::string>& builds) {
  REQUIRE_FALSE(outcomes.empty());
  std::size_t build = 0;
  std::uint64_t expected = 1;
  for (const auto& o : outcomes) {
    INFO("answer #" << expected << ": status " << o.status << " body '" << o.body << "'");
    REQUIRE(o.status == BUTTER_OK);
    while (build < builds.size() && o.body.rfind(builds[build] + ":", 0) != 0) ++build;
    REQUIRE(build < builds.size());
    REQUIRE(counter_of(o.body) == expected);
    ++expected;
  }
}

void stop_load(RequestLoad& load) {
  load.stop();
  REQUIRE(wait_until([&] { return load.in_flight() == 0; }));
}

}  // namespace

TEST_CASE("replace_plugin swaps builds under load with no failed request and the counter carried over") {
  SwapDir dir;
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", swap_manifest(dir.file())));
  TestNode b(rt, registry, loopback_manifest("b"));
  const std::string v1_file = dir.file();

  RequestLoad load(b.node(), a.endpoint(), "/test/swap/1", 4);
  load.start();
  REQUIRE(wait_until([&] { return load.count_prefix("v1:") >= 50; }));

  host::SwapReport r;
  auto e = a->replace_plugin("swap", tp("tp-swap-v2.so"), &r);
  INFO(e.message);
  REQUIRE_FALSE(e);
  CHECK(r.swapped);
  CHECK_FALSE(r.rolled_back);
  CHECK(r.state_handed_over);
  CHECK(r.old_unloaded);
  CHECK_FALSE(host::PluginLibrary::is_resident(v1_file));
  REQUIRE(wait_until([&] { return load.count_prefix("v2:") >= 50; }));

  // And back again: a second generation of the same file name.
  host::SwapReport r2;
  e = a->replace_plugin("swap", tp("tp-swap-v1.so"), &r2);
  INFO(e.message);
  REQUIRE_FALSE(e);
  CHECK(r2.generation > r.generation);
  CHECK(r2.old_unloaded);
  CHECK_FALSE(host::PluginLibrary::is_resident(r.shadow_file));
  auto v1_before = load.count_prefix("v1:");
  REQUIRE(wait_until([&] { return load.count_prefix("v1:") >= v1_before + 50; }));
  stop_load(load);

  check_sequence(load.outcomes(), {"v1", "v2", "v1"});
  CHECK(a.plugin_state("swap") == "started");
}

TEST_CASE("replace_plugin drains requests the old build answers asynchronously") {
  SwapDir dir;
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", swap_manifest(dir.file())));
  TestNode b(rt, registry, loopback_manifest("b"));

  // Each answer comes 30 ms after its request: with 4 in flight the old build always owes some.
  RequestLoad load(b.node(), a.endpoint(), "/test/swap-slow/1", 4);
  load.start();
  REQUIRE(wait_until([&] { return load.count_prefix("v1:") >= 8; }));
  host::SwapReport r;
  auto e = a->replace_plugin("swap", tp("tp-swap-v2.so"), &r);
  INFO(e.message);
  REQUIRE_FALSE(e);
  CHECK(r.unanswered_after_drain == 0);
  CHECK(r.drain_us > 0);
  REQUIRE(wait_until([&] { return load.count_prefix("v2:") >= 8; }));
  stop_load(load);
  check_sequence(load.outcomes(), {"v1", "v2"});
}

TEST_CASE("a broken new build is refused or rolled back and the old build keeps serving") {
  SwapDir dir;
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", swap_manifest(dir.file())));
  TestNode b(rt, registry, loopback_manifest("b"));

  RequestLoad load(b.node(), a.endpoint(), "/test/swap/1", 2);
  load.start();
  REQUIRE(wait_until([&] { return load.count_prefix("v1:") >= 10; }));

  SECTION("files refused before anything stops") {
    struct Case {
      const char* file;
      const char* says;
    };
    for (const Case& c :
         {Case{"tp-not-elf.so", "not an ELF"}, Case{"tp-wrong-abi.so", "ABI"}, Case{"tp-truncated.so", "truncated"},
          Case{"tp-failing-start.so", "not test.swap"}, Case{"no-such-file.so", "no such file"}}) {
      host::SwapReport r;
      auto e = a->replace_plugin("swap", tp(c.file), &r);
      INFO(c.file << ": " << e.message);
      REQUIRE(e);
      CHECK_FALSE(r.swapped);
      CHECK_FALSE(r.rolled_back);
      CHECK(e.message.find(c.says) != std::string::npos);
      CHECK(r.error == e.message);
      if (!r.shadow_file.empty()) CHECK_FALSE(host::PluginLibrary::is_resident(r.shadow_file));
    }
  }
  SECTION("a build that fails to start after the old one stopped is rolled back with the state") {
    host::SwapReport r;
    auto e = a->replace_plugin("swap", tp("tp-swap-broken.so"), &r);
    INFO(e.message);
    REQUIRE(e);
    CHECK(e.message.find("fails to start") != std::string::npos);
    CHECK_FALSE(r.swapped);
    CHECK(r.rolled_back);
    CHECK(r.state_handed_over);
    CHECK(r.old_unloaded);  // the broken build's shadow copy is gone
  }

  auto before = load.count_prefix("v1:");
  REQUIRE(wait_until([&] { return load.count_prefix("v1:") >= before + 20; }));
  CHECK(a.plugin_state("swap") == "started");

  // A good build still swaps in afterwards.
  host::SwapReport r;
  auto e = a->replace_plugin("swap", tp("tp-swap-v2.so"), &r);
  INFO(e.message);
  REQUIRE_FALSE(e);
  REQUIRE(wait_until([&] { return load.count_prefix("v2:") >= 10; }));
  stop_load(load);
  check_sequence(load.outcomes(), {"v1", "v2"});
}

TEST_CASE("replace_plugin refuses an unknown instance") {
  SwapDir dir;
  host::Runtime rt(1);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", swap_manifest(dir.file())));
  host::SwapReport r;
  auto e = a->replace_plugin("nope", tp("tp-swap-v2.so"), &r);
  REQUIRE(e);
  CHECK(e.code == BUTTER_E_NOT_FOUND);
}
