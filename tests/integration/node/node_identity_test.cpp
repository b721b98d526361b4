// A node's identity: the Ed25519 key in its data dir is its node id across restarts, and the
// manifest's insecure_plaintext must match on both sides.
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

TEST_CASE("a node keeps its key in its data dir and its id across restarts") {
  auto dir = fs::temp_directory_path() / ("butter-node-identity-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string keys = "data_dir = \"" + dir.string() + "\"\n";
  host::Runtime rt(2);
  host::PluginRegistry registry;
  std::string first;
  {
    TestNode a(rt, registry, loopback_manifest("a", plugin_table("echo", "butter.example.echo"), keys));
    first = a->id_hex();
    TestNode b(rt, registry, loopback_manifest("b"));
    auto r = request_from(b, a.endpoint(), "/butter/echo/1", "x");
    CHECK(r.status == BUTTER_OK);
  }
  struct stat st {};
  REQUIRE(::stat((dir / host::Identity::kKeyFileName).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  {
    TestNode a(rt, registry, loopback_manifest("a", "", keys));
    CHECK(a->id_hex() == first);
  }
  fs::remove_all(dir);
}

TEST_CASE("insecure_plaintext nodes talk only to each other") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  const std::string plain = "insecure_plaintext = true\n";
  TestNode a(rt, registry, loopback_manifest("a", plugin_table("echo", "butter.example.echo"), plain));
  TestNode b(rt, registry, loopback_manifest("b", "", plain));
  TestNode c(rt, registry, loopback_manifest("c"));
  CHECK(request_from(b, a.endpoint(), "/butter/echo/1", "x").status == BUTTER_OK);
  auto refused = request_from(c, a.endpoint(), "/butter/echo/1", "x");
  CHECK(refused.status == BUTTER_E_UNAVAILABLE);
  CHECK_THAT(refused.payload, Catch::Contains("plaintext"));
}
