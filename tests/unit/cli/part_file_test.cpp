// PartFile, the FILE.part of `butter get` (host/cli/part_file.hpp), on files in a scratch
// directory: it is locked against a second open until it is gone, refuses a symlink and a file that
// is not regular (leaving what they name as it was), writes from the byte it is asked to, and its
// size check before the rename takes exactly the object's size.
#include "cli/part_file.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/stat.h>

using namespace butter;
using butter::host::cli::PartFile;
namespace fs = std::filesystem;

namespace {

void write_text(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("PartFile refuses a second open of the file while the first holds it") {
  test::ScratchDir d("part");
  const fs::path p = d.file("x.part");
  std::string why;
  {
    auto first = PartFile::open(p, why);
    REQUIRE(first);
    auto second = PartFile::open(p, why);
    CHECK_FALSE(second);
    CHECK_THAT(why, Catch::Contains("another butter get is writing " + p.string()));
  }
  // Gone with the first: the lock is free again.
  why.clear();
  CHECK(PartFile::open(p, why));
  CHECK(why.empty());
}

TEST_CASE("PartFile refuses a symlink and leaves its target unchanged") {
  test::ScratchDir d("part");
  write_text(d.file("victim"), "precious");
  fs::create_symlink(d.file("victim"), d.file("x.part"));
  std::string why;
  CHECK_FALSE(PartFile::open(d.file("x.part"), why));
  CHECK_THAT(why, Catch::Contains("x.part is a symlink"));
  CHECK(read_text(d.file("victim")) == "precious");
  // Dangling, it is not followed to create its target either.
  fs::create_symlink(d.file("nowhere"), d.file("y.part"));
  CHECK_FALSE(PartFile::open(d.file("y.part"), why));
  CHECK_THAT(why, Catch::Contains("y.part is a symlink"));
  CHECK_FALSE(fs::exists(d.file("nowhere")));
}

TEST_CASE("PartFile refuses a file that is not regular") {
  test::ScratchDir d("part");
  REQUIRE(::mkfifo(d.file("x.part").c_str(), 0600) == 0);
  std::string why;
  CHECK_FALSE(PartFile::open(d.file("x.part"), why));
  CHECK_THAT(why, Catch::Contains("x.part is not a regular file"));
  fs::create_directory(d.file("y.part"));
  CHECK_FALSE(PartFile::open(d.file("y.part"), why));
  CHECK_THAT(why, Catch::Contains("y.part"));
}

TEST_CASE("PartFile write_from cuts the file at that byte and writes from there") {
  test::ScratchDir d("part");
  write_text(d.file("x.part"), "0123456789");
  std::string why;
  auto part = PartFile::open(d.file("x.part"), why);
  REQUIRE(part);
  std::FILE* f = part->write_from(4);
  REQUIRE(f);
  CHECK(part->size() == 4);
  CHECK(std::fputs("abc", f) >= 0);
  CHECK(std::fclose(f) == 0);
  CHECK(read_text(d.file("x.part")) == "0123abc");
  // The stream's descriptor was its own: closing it kept the lock.
  CHECK_FALSE(PartFile::open(d.file("x.part"), why));
}

TEST_CASE("PartFile has_size takes exactly the expected size only") {
  test::ScratchDir d("part");
  std::string why;
  auto part = PartFile::open(d.file("x.part"), why);
  REQUIRE(part);
  std::FILE* f = part->write_from(0);
  REQUIRE(f);
  CHECK(std::fputs("0123456789", f) >= 0);
  CHECK(std::fclose(f) == 0);
  CHECK(part->has_size(10, why));
  CHECK_FALSE(part->has_size(9, why));
  CHECK_THAT(why, Catch::Contains("x.part holds 10 bytes, not the object's 9"));
  CHECK_FALSE(part->has_size(11, why));
  CHECK_THAT(why, Catch::Contains("not the object's 11"));
}
