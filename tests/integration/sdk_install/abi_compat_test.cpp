// ABI minor compatibility: tests/plugins/abi-1.0/tp_abi_1_0.c, built against a frozen copy of the
// v1.0 SDK headers (never the live ones), still loads in the current host, starts in a node and
// answers requests. When the ABI minor grows this test must keep passing with that copy untouched.
#include "sdk_fixture.hpp"

#include "loader/plugin_library.hpp"

#include <butter/version.h>

using namespace butter;
using namespace butter::test;
using namespace butter::test::sdk;

TEST_CASE("a plugin built against the frozen ABI 1.0 headers loads and answers in the current host") {
  const std::string file = BUTTER_TEST_PLUGIN_DIR "/tp-abi-1-0.so";
  host::Error err;
  auto lib = host::PluginLibrary::load(file, err);
  INFO(err.message);
  REQUIRE(lib);
  REQUIRE(lib->plugins().size() == 1);
  const auto& info = lib->plugins().front();
  CHECK(info.id == "test.abi-1-0");
  // Built as 1.0; the host is of the same major (and of this minor or a newer one).
  CHECK(lib->abi().major == 1);
  CHECK(lib->abi().minor == 0);
  CHECK(BUTTER_ABI_MAJOR == 1);

  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", test_plugin_table("old", "tp-abi-1-0.so", "greeting = \"old: \"")));
  TestNode b(rt, registry, loopback_manifest("b"));
  CHECK(a.plugin_state("old") == "started");
  Answer r = request(b, a.endpoint(), "/test/abi-1-0/1", "still here");
  CHECK(r.status == BUTTER_OK);
  CHECK(r.payload == "old: still here");
  CHECK(a.counter("old", "abi10_served_total") == 1);
}
