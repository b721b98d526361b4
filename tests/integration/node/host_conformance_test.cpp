// The host conformance cases (tests/support/host_conformance.hpp) on a real node, through the
// tp-conformance plugin: the node refuses and limits what the SDK headers say it does. The unit
// test tests/unit/sdk/host_conformance_test.cpp runs the same cases on the SDK's fake host.
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <string>

using namespace butter;
using namespace butter::test;

TEST_CASE("the node does what the SDK headers promise in every host conformance case (the fake host's too)") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", test_plugin_table("conformance", "tp-conformance.so")));
  REQUIRE(a.plugin_state("conformance") == "started");
  const std::string metrics = a->metrics_text();
  INFO(metrics);
  const std::string labels = "{node=\"a\",plugin=\"conformance\"}";
  std::smatch m;
  REQUIRE(std::regex_search(metrics, m, std::regex("butter_tp_conformance_cases\\{[^}]*\\} ([0-9]+)")));
  const int cases = std::stoi(m[1]);
  CHECK(cases >= 18);
  int held = 0, failed = 0;
  const std::regex one("butter_tp_conformance_([a-z_0-9]+)\\{[^}]*\\} ([01])\n");
  for (auto it = std::sregex_iterator(metrics.begin(), metrics.end(), one); it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1];
    INFO("case " << name);
    CHECK((*it)[2] == "1");
    ((*it)[2] == "1" ? held : failed)++;
  }
  CHECK(failed == 0);
  CHECK(held == cases);
}
