// describe_library: the text of `butter inspect`.
#include "loader/inspect.hpp"
#include "test_plugins.hpp"

#include <catch2/catch.hpp>

using namespace butter::host;
using butter::test::test_plugin;

TEST_CASE("inspect describes every field of every plugin") {
  Error err;
  auto lib = PluginLibrary::load(test_plugin("tp-multi"), err);
  REQUIRE(lib);
  const std::string text = describe_library(*lib);
  INFO(text);
  CHECK_THAT(text, Catch::StartsWith("file:    " + test_plugin("tp-multi") + "\n"));
  CHECK_THAT(text, Catch::Contains("ABI:     1." + std::to_string(BUTTER_ABI_MINOR) + ".0"));
  CHECK_THAT(text, Catch::Contains("plugins: 2"));
  CHECK_THAT(text, Catch::Contains("\ntest.multi.a\n"));
  CHECK_THAT(text, Catch::Contains("\ntest.multi.b\n"));
  CHECK_THAT(text, Catch::Contains("name:         Multi B"));
  CHECK_THAT(text, Catch::Contains("vendor:       Butter tests"));
  CHECK_THAT(text, Catch::Contains("version:      0.2.0"));
  CHECK_THAT(text, Catch::Contains("description:  The second of two"));
  CHECK_THAT(text, Catch::Contains("provides:     test.multi.b/1"));
  CHECK_THAT(text, Catch::Contains("requires:     test.multi.a/1"));
  CHECK_THAT(text, Catch::Contains("optional:     test.other/1"));
  CHECK_THAT(text, Catch::Contains("requires:     (none)"));
  CHECK_THAT(text, Catch::Contains("config:       (no keys)"));
  CHECK_THAT(text, Catch::Contains("config:       3 keys"));
  CHECK_THAT(text, Catch::Contains("    peers    string array  optional  Who to talk to\n"));
  CHECK_THAT(text, Catch::Contains("    ratio    float         optional\n"));
  CHECK_THAT(text, Catch::Contains("    verbose  boolean       required  Say more\n"));
}

TEST_CASE("inspect shows each key's default, range and unit") {
  Error err;
  auto lib = PluginLibrary::load(test_plugin("tp-config-ranges"), err);
  REQUIRE(lib);
  const std::string text = describe_library(*lib);
  INFO(text);
  CHECK_THAT(text,
             Catch::Contains("    ttl_ms  integer  optional  default 30000 ms, range 1..3600000 ms  entry lifetime\n"));
  CHECK_THAT(text, Catch::Contains("    ratio   float    optional  default 0.5, range 0..1  share kept\n"));
  CHECK_THAT(text, Catch::Contains("    label   string   optional  default \"none\", at most 16 bytes\n"));
  CHECK_THAT(text, Catch::Contains("    port    integer  required  range 1..65535\n"));
}
