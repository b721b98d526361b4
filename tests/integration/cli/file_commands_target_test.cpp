// Where `butter get` refuses to write, checked against the fake node (fake_storage_node.hpp) on
// loopback: a FILE that is a directory (or ends in '/') is refused before anything is fetched; a
// FILE.part that another get holds locked is refused at once and left to it; a symlink planted
// at FILE.part is not followed, and the file it points to stays as it was.
#include "cli_files.hpp"
#include "fake_storage_node.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

TEST_CASE("butter get refuses a directory as FILE before fetching anything") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});
  Dir d;
  std::string err;
  fs::create_directory(d / "dir");
  // An existing directory, even with --force: nothing can be renamed over it.
  CHECK(run_butter(d, {"get", o.id, "-o", d / "dir", "--force", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("dir is a directory") && Catch::Contains("-o takes the name of the file"));
  CHECK_FALSE(fs::exists(d / "dir.part"));
  // A trailing '/' names a directory too, existing or not: no hidden "dir/.part".
  CHECK(run_butter(d, {"get", o.id, "-o", d / "dir/", "--force", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("is a directory"));
  CHECK(run_butter(d, {"get", o.id, "-o", d / "new/", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("is a directory"));
  CHECK(fs::is_empty(d / "dir"));
  CHECK_FALSE(fs::exists(d / "new"));
  CHECK(node.requests() == 0);  // refused before asking the node anything
}

TEST_CASE("butter get refuses a FILE.part that another get holds and writes nothing") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});
  Dir d;
  std::string err;
  // Another get, played by the test: it has written one block and holds the lock.
  write_file(d / "x.part", o.data.substr(0, kBlock));
  const int other = ::open((d / "x.part").c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(other >= 0);
  REQUIRE(::flock(other, LOCK_EX | LOCK_NB) == 0);
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--force", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("another butter get is writing " + d / "x.part"));
  CHECK(read_file(d / "x.part") == o.data.substr(0, kBlock));
  CHECK_FALSE(fs::exists(d / "x"));
  CHECK(node.requests() == 0);  // refused at once
  // Once the other lets go, the same command takes the .part over and resumes it.
  ::close(other);
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--force", "--node", node.url()}, d / "out", err) == 0);
  CHECK_THAT(err, Catch::Contains("resuming"));
  CHECK(read_file(d / "x") == o.data);
}

TEST_CASE("butter get refuses a symlink at FILE.part and leaves its target unchanged") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});
  Dir d;
  std::string err;
  write_file(d / "victim", "precious");
  fs::create_symlink(d / "victim", d / "x.part");
  CHECK(run_butter(d, {"get", o.id, "-o", d / "x", "--force", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("x.part is a symlink"));
  CHECK(read_file(d / "victim") == "precious");
  CHECK(fs::is_symlink(fs::symlink_status(d / "x.part")));  // left where it was
  CHECK_FALSE(fs::exists(fs::symlink_status(d / "x")));
  CHECK(node.requests() == 0);
}
