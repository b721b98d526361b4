// Node::replace_plugin (host/node/hot_swap.hpp): one swap at a time on a quiet node, checking the
// report and which build answers afterwards. The swap under load is tests/integration/hotswap.
#include "node/hot_swap.hpp"
#include "node/node.hpp"
#include "support/temp_dir.hpp"
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <tuple>

using namespace butter;
using namespace butter::test;

namespace {

namespace fs = std::filesystem;

std::string swap_unit_plugin(const std::string& name) { return std::string(BUTTER_TEST_PLUGIN_DIR) + "/" + name; }

// A scratch directory holding swap.so (a copy of tp-swap-v1.so), and the shadow copies removed
// when it goes. Declared before the nodes, so that it goes after them.
struct SwapUnitDir : ScratchDir {
  SwapUnitDir() : ScratchDir("swap-unit") { fs::copy_file(swap_unit_plugin("tp-swap-v1.so"), path / "swap.so"); }
  ~SwapUnitDir() {
    std::error_code ec;
    fs::remove_all(host::shadow_directory(), ec);
  }
  std::string manifest_table() const { return "[plugins.swap]\nfile = \"" + file("swap.so") + "\"\n"; }
};

// What the instance "swap" of `n` answers now: "<build>:<requests served so far>".
std::string swap_unit_answer(TestNode& from, TestNode& n) {
  Answer a = request_from(from, n.endpoint(), "/test/swap/1", "");
  INFO(a.payload);
  REQUIRE(a.status == BUTTER_OK);
  return a.payload;
}

// Node a with the instance "swap" (tp-swap-v1) and node b that asks it, on one runtime; the
// members in the order they must be built, and go in reverse.
struct SwapUnitPair {
  SwapUnitDir dir;
  host::Runtime rt{2};
  host::PluginRegistry registry;
  TestNode a{rt, registry, loopback_manifest("a", dir.manifest_table())};
  TestNode b{rt, registry, loopback_manifest("b")};
  std::tuple<SwapUnitDir&, TestNode&, TestNode&> parts() { return {dir, a, b}; }
};

std::string swap_unit_version(TestNode& n) {
  const auto status = n->status();  // not iterated as a temporary: it would die before the loop
  for (const auto& p : status["plugins"]) {
    if (p["instance"] == "swap") return p["version"].get<std::string>();
  }
  return "absent";
}

}  // namespace

TEST_CASE("replace_plugin puts the new build in service and fills in its report") {
  SwapUnitPair pair;
  auto [dir, a, b] = pair.parts();
  CHECK(swap_unit_answer(b, a) == "v1:1");

  const std::string v2 = swap_unit_plugin("tp-swap-v2.so");
  host::SwapReport r;
  host::Error e = a->replace_plugin("swap", v2, &r);
  INFO(e.message);
  REQUIRE_FALSE(e);
  CHECK(r.instance == "swap");
  CHECK(r.new_file == v2);
  CHECK(r.generation > 0);
  CHECK(fs::path(r.shadow_file).parent_path() == fs::path(host::shadow_directory()));
  CHECK(fs::path(r.shadow_file).filename() == "tp-swap-v2." + std::to_string(r.generation) + ".so");
  CHECK(fs::exists(r.shadow_file));  // the new build runs from it
  CHECK(r.swapped);
  CHECK_FALSE(r.rolled_back);
  CHECK(r.error.empty());
  CHECK(r.state_handed_over);
  CHECK(r.state_bytes == std::string("swap-state/1 1").size());
  CHECK(r.held_frames == 0);
  CHECK(r.unanswered_after_drain == 0);
  CHECK(r.old_unloaded);
  CHECK_FALSE(host::PluginLibrary::is_resident(dir.file("swap.so")));
  CHECK(r.load_us > 0);
  CHECK(r.pause_us > 0);
  CHECK(r.hold_us >= r.pause_us);
  CHECK(r.total_us >= r.load_us);

  // The new build answers, with the counter the old one handed over.
  CHECK(swap_unit_answer(b, a) == "v2:2");
  CHECK(swap_unit_version(a) == "v2");
  CHECK(a.plugin_state("swap") == "started");
}

TEST_CASE("replace_plugin from a missing or broken file leaves the old build serving and says why") {
  SwapUnitPair pair;
  auto [dir, a, b] = pair.parts();
  CHECK(swap_unit_answer(b, a) == "v1:1");

  const std::string missing = dir.file("no-such-build.so");
  host::SwapReport r;
  host::Error e = a->replace_plugin("swap", missing, &r);
  REQUIRE(e);
  CHECK(e.code == BUTTER_E_NOT_FOUND);
  CHECK_THAT(e.message, Catch::Contains(missing) && Catch::Contains("no such file"));
  CHECK(r.error == e.message);
  CHECK(r.instance == "swap");
  CHECK(r.new_file == missing);
  CHECK(r.shadow_file.empty());
  CHECK_FALSE(r.swapped);
  CHECK_FALSE(r.rolled_back);

  host::SwapReport broken;
  e = a->replace_plugin("swap", swap_unit_plugin("tp-not-elf.so"), &broken);
  REQUIRE(e);
  CHECK_THAT(e.message, Catch::Contains("not an ELF"));
  CHECK(broken.error == e.message);
  CHECK_FALSE(broken.swapped);
  CHECK_FALSE(broken.rolled_back);
  REQUIRE_FALSE(broken.shadow_file.empty());
  CHECK_FALSE(fs::exists(broken.shadow_file));  // its shadow copy is discarded

  // The same instance of the old build serves on: its counter went on from where it was.
  CHECK(swap_unit_answer(b, a) == "v1:2");
  CHECK(swap_unit_version(a) == "v1");
  CHECK(a.plugin_state("swap") == "started");
}

TEST_CASE("replace_plugin rolls back to the old build, with its state, when the new one fails to start") {
  SwapUnitPair pair;
  auto [dir, a, b] = pair.parts();
  CHECK(swap_unit_answer(b, a) == "v1:1");

  host::SwapReport r;
  host::Error e = a->replace_plugin("swap", swap_unit_plugin("tp-swap-broken.so"), &r);
  REQUIRE(e);
  CHECK_THAT(e.message, Catch::Contains("fails to start"));
  CHECK(r.error == e.message);
  CHECK_FALSE(r.swapped);
  CHECK(r.rolled_back);
  CHECK(r.state_handed_over);
  CHECK(r.old_unloaded);  // the broken build's library
  CHECK_FALSE(fs::exists(r.shadow_file));
  CHECK(swap_unit_answer(b, a) == "v1:2");
  CHECK(swap_unit_version(a) == "v1");
}
