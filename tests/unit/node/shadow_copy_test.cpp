// make_shadow_copy / shadow_directory (host/node/hot_swap.hpp): the private copies hot swap and
// `butter dev` load instead of the file a build overwrites.
#include "node/hot_swap.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace butter;

namespace {

namespace fs = std::filesystem;

struct ShadowTempDir : butter::test::ScratchDir {
  ShadowTempDir() : ScratchDir("shadow-test") {}
};

std::string shadow_read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void shadow_write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  REQUIRE(out.good());
}

// Removes the shadow copies a test made (the directory is the process's, shared by the tests).
struct ShadowCleanup {
  std::vector<std::string> files;
  ~ShadowCleanup() {
    std::error_code ec;
    for (const auto& f : files) fs::remove(f, ec);
    fs::remove(host::shadow_directory(), ec);  // only when empty: another test's copies stay
  }
};

}  // namespace

TEST_CASE("the shadow directory is one per process, under the temporary directory") {
  const std::string dir = host::shadow_directory();
  CHECK(dir == host::shadow_directory());
  CHECK(fs::path(dir).filename() == "butter-dev-" + std::to_string(::getpid()));
  CHECK(fs::path(dir).parent_path() == fs::temp_directory_path());
}

TEST_CASE("make_shadow_copy gives each generation its own copy with the same bytes") {
  ShadowTempDir tmp;
  const fs::path original = tmp.path / "libthing.so";
  std::string bytes(4096 + 17, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 + 7);
  shadow_write(original, bytes);

  ShadowCleanup cleanup;
  host::Error err;
  std::uint64_t gen1 = 0, gen2 = 0;
  const std::string copy1 = host::make_shadow_copy(original.string(), err, &gen1);
  INFO(err.message);
  REQUIRE_FALSE(copy1.empty());
  cleanup.files.push_back(copy1);
  const std::string copy2 = host::make_shadow_copy(original.string(), err, &gen2);
  INFO(err.message);
  REQUIRE_FALSE(copy2.empty());
  cleanup.files.push_back(copy2);

  CHECK_FALSE(err);
  CHECK(copy1 != copy2);
  CHECK(gen2 > gen1);
  CHECK(fs::path(copy1).parent_path() == fs::path(host::shadow_directory()));
  CHECK(fs::path(copy1).filename() == "libthing." + std::to_string(gen1) + ".so");
  CHECK(fs::path(copy2).filename() == "libthing." + std::to_string(gen2) + ".so");
  CHECK(shadow_read(copy1) == bytes);
  CHECK(shadow_read(copy2) == bytes);

  // A copy, not a link: a new build written over the original leaves the copies as they were.
  shadow_write(original, "rebuilt");
  CHECK(shadow_read(copy1) == bytes);
  CHECK(shadow_read(copy2) == bytes);
  const std::string copy3 = host::make_shadow_copy(original.string(), err);
  REQUIRE_FALSE(copy3.empty());
  cleanup.files.push_back(copy3);
  CHECK(shadow_read(copy3) == "rebuilt");
}

TEST_CASE("make_shadow_copy of a missing file fails with NOT_FOUND and makes no copy") {
  ShadowTempDir tmp;
  const std::string missing = (tmp.path / "libmissing.so").string();
  host::Error err;
  std::uint64_t gen = 0;
  CHECK(host::make_shadow_copy(missing, err, &gen).empty());
  REQUIRE(err);
  CHECK(err.code == BUTTER_E_NOT_FOUND);
  CHECK_THAT(err.message, Catch::Contains(missing));
  CHECK_FALSE(fs::exists(fs::path(host::shadow_directory()) / ("libmissing." + std::to_string(gen) + ".so")));
  ShadowCleanup cleanup;
}

TEST_CASE("make_shadow_copy of a directory fails rather than copying it") {
  ShadowTempDir tmp;
  host::Error err;
  ShadowCleanup cleanup;
  CHECK(host::make_shadow_copy(tmp.path.string(), err).empty());
  REQUIRE(err);
  CHECK(err.code == BUTTER_E_NOT_FOUND);
}
