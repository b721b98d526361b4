// Where `butter get` refuses to write, checked against the fake node (fake_storage_node.hpp) on
// loopback: a FILE that is a directory (or ends in '/') is refused before anything is fetched.
#include "cli_files.hpp"
#include "fake_storage_node.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

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
