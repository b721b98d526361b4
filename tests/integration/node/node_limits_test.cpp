// Connection limits from the manifest: a node's max_connections reaches its transport, a
// connection beyond it is refused (inbound closed, outbound AGAIN), the connected peer is still
// served, and /status and /metrics count the refusals by limit.
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

using namespace butter;
using namespace butter::test;

TEST_CASE(
    "node max_connections from the manifest refuses connections beyond it and status and metrics "
    "count them") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry,
             loopback_manifest("a", plugin_table("echo", "butter.example.echo"),
                               "max_connections = 1\nmax_connections_per_peer = 2\nmax_handshakes_per_address = 8\n"
                               "max_handshakes_per_second = 100\nmax_queued_bytes_per_connection = \"1MiB\"\n"));
  TestNode b(rt, registry, loopback_manifest("b"));
  TestNode c(rt, registry, loopback_manifest("c", plugin_table("echo", "butter.example.echo")));
  CHECK(request_from(b, a.endpoint(), "/butter/echo/1", "first").status == BUTTER_OK);
  auto refused = request_from(c, a.endpoint(), "/butter/echo/1", "second");
  CHECK(refused.status == BUTTER_E_UNAVAILABLE);
  auto dial = request_from(a, c.endpoint(), "/butter/echo/1", "out");
  CHECK(dial.status == BUTTER_E_AGAIN);
  CHECK_THAT(dial.payload, Catch::Contains("max_connections (1)"));
  CHECK(request_from(b, a->id_hex(), "/butter/echo/1", "still").status == BUTTER_OK);

  auto status = a->status();
  CHECK(status["transport"]["connections_refused"] == 2);
  CHECK(status["transport"]["connections_refused_by"]["max_connections"] == 2);
  CHECK(status["transport"]["connections_refused_by"]["per_peer"] == 0);
  const std::string metrics = a->metrics_text();
  CHECK_THAT(metrics,
             Catch::Contains("butter_transport_connections_refused_total{node=\"a\",reason=\"max_connections\"} 2"));
  CHECK_THAT(metrics,
             Catch::Contains("butter_transport_connections_refused_total{node=\"a\",reason=\"handshake_rate\"} 0"));
}
