// The connection table (connection_table.hpp) on its own: the dials in progress by URI and by
// expected node and when they end, the connection both sides of a pair send on (preferred), the
// connections to a node that disconnect() closes, and the waiters for a connection's HELLO.
#include "transport/connection_table.hpp"
#include "transport/transport_memory.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace butter::host;

namespace {

NodeId ct_node(std::uint8_t b) {
  NodeId id;
  id.bytes.fill(b);
  return id;
}

// Connections that are never attached: the table only reads their id, direction, dial URI,
// expected node and punched flag.
struct TableFixture {
  IoContext io;
  Strand strand = boost::asio::make_strand(io);
  Transport::Stats stats;
  TransportMemory memory;
  ConnectionTable table{ct_node(1)};

  std::shared_ptr<Connection> make(bool outbound, const std::string& uri = {}) {
    auto c = std::make_shared<Connection>(strand, nullptr, &stats, &memory, table.next_id(), outbound, uri,
                                          Connection::Limits{}, "[test]");
    table.add(c);
    return c;
  }
};

}  // namespace

TEST_CASE("connection table: a dial is found by URI and by expected node until it ends", "[conntable]") {
  TableFixture f;
  const auto peer = ct_node(2);
  auto c = f.make(true, "tcp://127.0.0.1:7000");
  auto inbound = f.make(false);
  CHECK(f.table.size() == 2);
  CHECK(f.table.find(c->id()) == c);
  CHECK(f.table.dialing("tcp://127.0.0.1:7000") == c);
  CHECK(f.table.dialing(peer) == nullptr);
  c->expected_id = peer;
  f.table.expect(peer, *c);
  CHECK(f.table.dialing(peer) == c);
  CHECK(f.table.to_node(peer) == std::vector<std::shared_ptr<Connection>>{c});
  f.table.dial_ended(*c);
  CHECK(f.table.dialing("tcp://127.0.0.1:7000") == nullptr);
  CHECK(f.table.dialing(peer) == nullptr);
  CHECK(f.table.find(c->id()) == c);  // still open
  // A connection closed before its HELLO leaves every index and was nobody's last.
  auto again = f.make(true, "tcp://127.0.0.1:7001");
  CHECK_FALSE(f.table.remove(*again));
  CHECK(f.table.find(again->id()) == nullptr);
  CHECK(f.table.dialing("tcp://127.0.0.1:7001") == nullptr);
  CHECK(f.table.find(inbound->id()) == inbound);
  CHECK(f.table.peer_count() == 0);
}

TEST_CASE("connection table: a newer dial to the same URI is not ended by the older one", "[conntable]") {
  TableFixture f;
  auto old_dial = f.make(true, "tcp://127.0.0.1:7000");
  auto new_dial = f.make(true, "tcp://127.0.0.1:7000");
  CHECK(f.table.dialing("tcp://127.0.0.1:7000") == new_dial);
  f.table.dial_ended(*old_dial);
  CHECK(f.table.dialing("tcp://127.0.0.1:7000") == new_dial);
}

TEST_CASE("connection table: preferred is punched first then dialled by the smaller id then the oldest",
          "[conntable]") {
  TableFixture f;  // this node is 0101..., the peer 0202...: this node has the smaller id
  const auto peer = ct_node(2);
  CHECK(f.table.preferred(peer) == nullptr);
  auto accepted = f.make(false);
  CHECK(f.table.add_up(*accepted, peer));  // the first up connection to the peer
  CHECK(f.table.preferred(peer) == accepted);
  auto dialled = f.make(true);
  auto dialled_later = f.make(true);
  CHECK_FALSE(f.table.add_up(*dialled, peer));
  CHECK_FALSE(f.table.add_up(*dialled_later, peer));
  CHECK(f.table.preferred(peer) == dialled);
  auto punched = f.make(false);
  punched->punched = true;
  CHECK_FALSE(f.table.add_up(*punched, peer));
  CHECK(f.table.preferred(peer) == punched);
  CHECK(f.table.up_count(peer) == 4);
  CHECK(f.table.up_ids(peer) ==
        std::vector<std::uint64_t>{accepted->id(), dialled->id(), dialled_later->id(), punched->id()});
  CHECK(f.table.is_connected(peer));
  CHECK(f.table.peer_count() == 1);
  CHECK(f.table.to_node(peer).size() == 4);
  // Seen from the larger id, the same directions rank the other way.
  ConnectionTable larger(ct_node(3));
  larger.add(accepted);
  larger.add(dialled);
  CHECK(larger.add_up(*dialled, peer));
  CHECK_FALSE(larger.add_up(*accepted, peer));
  CHECK(larger.preferred(peer) == accepted);
}

TEST_CASE("connection table: the waiters of a connection are taken once and all of them at stop", "[conntable]") {
  TableFixture f;
  auto a = f.make(true);
  auto b = f.make(true);
  std::vector<std::string> called;
  f.table.await_up(a->id(), [&](Error, const NodeId&) { called.push_back("a1"); });
  f.table.await_up(b->id(), [&](Error, const NodeId&) { called.push_back("b"); });
  f.table.await_up(a->id(), [&](Error, const NodeId&) { called.push_back("a2"); });
  auto of_a = f.table.take_waiters(a->id());
  REQUIRE(of_a.size() == 2);
  for (auto& w : of_a) w(Error::ok(), {});
  CHECK(called == std::vector<std::string>{"a1", "a2"});
  CHECK(f.table.take_waiters(a->id()).empty());
  auto all = f.table.take_all_waiters();
  REQUIRE(all.size() == 1);
  all[0](Error::ok(), {});
  CHECK(called.back() == "b");
  CHECK(f.table.take_all_waiters().empty());
  auto open = f.table.clear();
  CHECK(open.size() == 2);
  CHECK(f.table.size() == 0);
  CHECK(f.table.find(a->id()) == nullptr);
}
