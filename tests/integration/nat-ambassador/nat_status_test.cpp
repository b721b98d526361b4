// nat-ambassador's Status announcements leave idle connections idle: a status goes to a peer when
// it connects and to all peers when it changed, not to every connection every status_ms (which
// kept every connection active, so that the host's idle close never fired).
#include "nat_test_nodes.hpp"

using namespace butter;
using namespace butter::test;
using namespace butter::test::nat;

TEST_CASE("nat-ambassador status announcements let an idle connection close") {
  host::Runtime rt{2};
  host::PluginRegistry registry;
  // Public by configuration: no reachability checks, so nothing but Status could keep a connection
  // busy; statuses are checked every 300 ms (nat_config), far inside the 1 s idle timeout.
  const std::string idle_keys = "connections_low_water = 1\nconnection_idle_ms = 1000\n";
  TestNode a(rt, registry, public_manifest("a", "mode = \"public\"\n", idle_keys));
  TestNode b(rt, registry, public_manifest("b", "mode = \"public\"\n"));
  TestNode c(rt, registry, public_manifest("c", "mode = \"public\"\n"));
  connect(a, b.endpoint());
  connect(a, c.endpoint());
  // Each peer heard a's status when it connected.
  REQUIRE(wait_until([&] { return nat_report(b)["known_public"].size() == 1; }, std::chrono::seconds(5)));
  // Above its low water (1), a closes an idle connection; it could not while a status went out
  // every 300 ms on each.
  CHECK(wait_until([&] { return a->on_strand([&] { return a->core()->transport->stats().idle_closed; }) >= 1; },
                   std::chrono::seconds(10)));
  CHECK(a->on_strand([&] { return a->core()->transport->peers().size(); }) == 1u);
}
