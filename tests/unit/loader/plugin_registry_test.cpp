// PluginRegistry: caching by canonical path, and finding a plugin id on the search path.
#include "loader/plugin_library.hpp"
#include "test_plugins.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace butter::host;
using butter::test::test_plugin;
namespace fs = std::filesystem;

TEST_CASE("load_file caches by canonical path") {
  PluginRegistry reg;
  Error err;
  auto a = reg.load_file(test_plugin("tp-minimal"), err);
  REQUIRE(a);
  const std::string other_spelling = std::string(BUTTER_TEST_PLUGIN_DIR) + "/./../test-plugins/tp-minimal.so";
  auto b = reg.load_file(other_spelling, err);
  CHECK(a == b);
  CHECK(reg.size() == 1);
}

TEST_CASE("load_file passes refusals through") {
  PluginRegistry reg;
  Error err;
  CHECK_FALSE(reg.load_file(test_plugin("tp-wrong-abi"), err));
  CHECK_THAT(err.message, Catch::Contains("ABI 2.0.0"));
  CHECK_FALSE(reg.load_file(test_plugin("tp-nope"), err));
  CHECK(err.code == BUTTER_E_NOT_FOUND);
  CHECK(reg.size() == 0);
}

TEST_CASE("find_by_id finds a plugin on the search path and skips broken files") {
  PluginRegistry reg;
  Error err;
  const PluginInfo* info = nullptr;
  auto lib = reg.find_by_id("test.multi.b", {"/nonexistent-butter-dir", BUTTER_TEST_PLUGIN_DIR}, info, err);
  INFO(err.message);
  REQUIRE(lib);
  REQUIRE(info);
  CHECK(info->id == "test.multi.b");
  CHECK(lib->find("test.multi.b") == info);
  CHECK(fs::path(lib->path()).filename() == "tp-multi.so");
  // The broken files met before tp-multi.so (by name) were remembered, not retried.
  CHECK(reg.refused().size() == 3);  // tp-bad-descriptor, tp-bad-schema and tp-init-fails
  bool saw_bad = false;
  for (const auto& [path, why] : reg.refused()) {
    if (fs::path(path).filename() == "tp-bad-descriptor.so") {
      saw_bad = true;
      CHECK_THAT(why, Catch::Contains("not a valid plugin id"));
    }
  }
  CHECK(saw_bad);

  // A second search reuses the cached library.
  const PluginInfo* again = nullptr;
  auto lib2 = reg.find_by_id("test.multi.a", {BUTTER_TEST_PLUGIN_DIR}, again, err);
  CHECK(lib2 == lib);
  REQUIRE(again);
  CHECK(again->id == "test.multi.a");
}

TEST_CASE("find_by_id reports the directories searched and the ids found") {
  PluginRegistry reg;
  Error err;
  const PluginInfo* info = nullptr;
  auto lib = reg.find_by_id("org.example.absent", {BUTTER_TEST_PLUGIN_DIR, "/nonexistent-butter-dir"}, info, err);
  CHECK_FALSE(lib);
  CHECK(info == nullptr);
  CHECK(err.code == BUTTER_E_NOT_FOUND);
  INFO(err.message);
  CHECK_THAT(err.message, Catch::Contains("org.example.absent"));
  CHECK_THAT(err.message, Catch::Contains(BUTTER_TEST_PLUGIN_DIR));
  CHECK_THAT(err.message, Catch::Contains("/nonexistent-butter-dir (not a directory)"));
  CHECK_THAT(err.message, Catch::Contains("test.minimal"));
  CHECK_THAT(err.message, Catch::Contains("test.multi.a"));
  CHECK_THAT(err.message, Catch::Contains("tp-wrong-abi.so"));
}

TEST_CASE("find_by_id takes the first directory offering the id") {
  butter::test::TempDir first("first"), second("second");
  fs::copy_file(test_plugin("tp-minimal"), first.path / "z.so");
  fs::copy_file(test_plugin("tp-minimal"), second.path / "a.so");
  PluginRegistry reg;
  Error err;
  const PluginInfo* info = nullptr;
  auto lib = reg.find_by_id("test.minimal", {first.str(), second.str()}, info, err);
  REQUIRE(lib);
  CHECK(fs::path(lib->path()).parent_path() == first.path);
}

TEST_CASE("collect_unused unloads libraries nobody holds") {
  PluginRegistry reg;
  Error err;
  auto held = reg.load_file(test_plugin("tp-multi"), err);
  REQUIRE(held);
  REQUIRE(reg.load_file(test_plugin("tp-minimal"), err));
  CHECK(reg.size() == 2);
  CHECK(PluginLibrary::is_resident(test_plugin("tp-minimal")));
  reg.collect_unused();
  CHECK(reg.size() == 1);
  CHECK_FALSE(PluginLibrary::is_resident(test_plugin("tp-minimal")));
  CHECK(PluginLibrary::is_resident(test_plugin("tp-multi")));
  held.reset();
  reg.collect_unused();
  CHECK(reg.size() == 0);
  CHECK_FALSE(PluginLibrary::is_resident(test_plugin("tp-multi")));
}
