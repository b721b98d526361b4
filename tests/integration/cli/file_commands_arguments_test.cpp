// Arguments `butter put` and `butter get` refuse before asking the node anything (the fake node of
// fake_storage_node.hpp counts the requests): a keyword list with an empty word, which the node
// would store as no keyword at all, and `-o -`, which wrote a file named "-".
#include "cli_files.hpp"
#include "fake_storage_node.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

TEST_CASE("butter put refuses a keyword list with an empty word and get refuses -o - before asking the node") {
  Object o;
  FakeNode node(Script{o.id, o.manifest, o.data, "", false});
  Dir d;
  std::string err;
  std::ofstream(d / "f") << "some bytes";
  for (const std::string kw : {",,, ,", "a,,b", "a, ", " "}) {
    INFO("--keywords \"" << kw << "\"");
    CHECK(run_butter(d, {"put", d / "f", "--keywords", kw, "--node", node.url()}, d / "out", err) == 1);
    CHECK_THAT(err, Catch::Contains("has an empty keyword"));
  }
  CHECK(run_butter(d, {"get", o.id, "-o", "-", "--node", node.url()}, d / "out", err) == 1);
  CHECK_THAT(err, Catch::Contains("butter cat ID writes to standard output"));
  CHECK_FALSE(fs::exists(d / "-"));
  CHECK_FALSE(fs::exists(d / "-.part"));
  CHECK_FALSE(fs::exists(fs::current_path() / "-.part"));
  CHECK_FALSE(fs::exists(fs::current_path() / "-"));
  CHECK(node.requests() == 0);
}
