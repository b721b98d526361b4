// The connection manager: the choice of peers to trim, protection tags and their bounds, and on
// real loopback transports: trimming above the high watermark, idle closing of unprotected
// connections only, and one connection per pair after simultaneous dials.
#include "harness.hpp"
#include "transport/conn_manager.hpp"

#include <thread>

using namespace butter::test;

namespace {
NodeId nid(std::uint8_t b) {
  NodeId id;
  id.bytes.fill(0);
  id.bytes[0] = b;
  return id;
}
}  // namespace

TEST_CASE("trim victims: none at or below high water, down to low water, least recently active first", "[connmgr]") {
  using namespace std::chrono;
  const auto t0 = steady_clock::now();
  std::vector<TrimCandidate> peers;
  for (std::uint8_t i = 0; i < 6; ++i) {
    TrimCandidate c;
    c.id = nid(i);
    c.opened = t0 - seconds(60);
    c.last_activity = t0 - seconds(10 * (6 - i));  // peer 0 idle longest
    peers.push_back(c);
  }
  CHECK(select_trim_victims(peers, 2, 6, t0, seconds(20)).empty());
  auto v = select_trim_victims(peers, 2, 5, t0, seconds(20));
  CHECK(v == std::vector<NodeId>{nid(0), nid(1), nid(2), nid(3)});
  // Protected, busy and young (recently active) peers are never chosen, even if that leaves more
  // than low water.
  peers[0].is_protected = true;
  peers[1].busy = true;
  peers[2].opened = t0 - seconds(5);
  peers[2].last_activity = t0 - seconds(1);
  v = select_trim_victims(peers, 2, 5, t0, seconds(20));
  CHECK(v == std::vector<NodeId>{nid(3), nid(4), nid(5)});
  v = select_trim_victims(peers, 4, 5, t0, seconds(20));
  CHECK(v == std::vector<NodeId>{nid(3), nid(4)});
  // A young connection silent for a quarter of the grace was not put to use: it may go.
  peers[2].last_activity = t0 - seconds(5);
  v = select_trim_victims(peers, 2, 5, t0, seconds(20));
  CHECK(v == std::vector<NodeId>{nid(3), nid(4), nid(5), nid(2)});
}

TEST_CASE("protection tags are per owner, bounded and released with their owner", "[connmgr]") {
  ConnManager m({}, 2);
  CHECK(m.protect(nid(1), "a", "overlay"));
  CHECK(m.protect(nid(1), "b", "overlay"));
  CHECK(m.protect(nid(1), "a", "overlay"));  // again: no-op
  CHECK(m.is_protected(nid(1)));
  CHECK(m.protect(nid(2), "a", "x"));
  CHECK_FALSE(m.protect(nid(3), "a", "x"));  // max_protected peers
  CHECK_FALSE(m.protect(nid(1), "a", ""));
  CHECK_FALSE(m.protect(nid(1), "a", std::string(ConnManager::kMaxTagBytes + 1, 't')));
  for (std::size_t i = 2; i < ConnManager::kMaxTagsPerPeer; ++i) CHECK(m.protect(nid(1), "c", std::to_string(i)));
  CHECK_FALSE(m.protect(nid(1), "c", "one too many"));
  CHECK(m.unprotect(nid(1), "a", "overlay"));
  CHECK_FALSE(m.unprotect(nid(1), "a", "overlay"));
  m.release_owner("c");
  CHECK(m.is_protected(nid(1)));  // b's tag is still there
  CHECK(m.unprotect(nid(1), "b", "overlay"));
  CHECK_FALSE(m.is_protected(nid(1)));
  m.release_owner("a");
  CHECK(m.protected_peers() == 0);
}

TEST_CASE("above the high watermark unprotected peers are trimmed and protected ones kept", "[transport][connmgr]") {
  IoThread t;
  TestNode hub(t.io, [](TransportOptions& o) {
    o.connections_low_water = 2;
    o.connections_high_water = 3;
    o.connection_grace_ms = 1000;  // every spoke is up before any is trimmed
  });
  std::vector<std::unique_ptr<TestNode>> spokes;
  for (int i = 0; i < 6; ++i) spokes.push_back(std::make_unique<TestNode>(t.io));
  // Protected before they connect: protection does not need a connection.
  hub.on([&] {
    hub.transport->protect(spokes[0]->id, "test", "keep");
    hub.transport->protect(spokes[1]->id, "test", "keep");
  });
  for (auto& s : spokes) connect(*s, hub);
  REQUIRE(hub.wait([&](TestNode& n) { return n.transport->peers().size() <= 3 && n.transport->stats().trimmed >= 3; }));
  CHECK(
      hub.on([&] { return hub.transport->is_connected(spokes[0]->id) && hub.transport->is_connected(spokes[1]->id); }));
  auto info = hub.on([&] { return hub.transport->conn_info(); });
  CHECK(info.protected_peers == 2);
  CHECK(info.high_water == 3);
  // The hub saw each trimmed peer go down, with the reason.
  auto downs = hub.on([&] { return hub.downs; });
  CHECK(downs.size() >= 3);
  for (const auto& d : downs) CHECK(d.second.find("connections_high_water") != std::string::npos);
}

TEST_CASE("idle unprotected connections close while a protected one stays", "[transport][connmgr]") {
  IoThread t;
  TestNode hub(t.io, [](TransportOptions& o) {
    o.connection_idle_ms = 150;
    o.connections_low_water = 0;  // (the default, 8, would keep both)
  });
  TestNode kept(t.io), idle(t.io);
  hub.on([&] { hub.transport->protect(kept.id, "test", "in use"); });
  connect(kept, hub);
  connect(idle, hub);
  REQUIRE(hub.wait([&](TestNode& n) { return n.transport->stats().idle_closed >= 1; }));
  // `kept` connected first, so its idle deadline had passed before `idle`'s did.
  CHECK(hub.on([&] { return hub.transport->is_connected(kept.id); }));
  CHECK_FALSE(hub.on([&] { return hub.transport->is_connected(idle.id); }));
  // Unprotected, it goes the same way.
  hub.on([&] { hub.transport->unprotect(kept.id, "test", "in use"); });
  REQUIRE(hub.wait([&](TestNode& n) { return !n.transport->is_connected(kept.id); }));
}

TEST_CASE("idle connections are not closed while the node has low_water peers or fewer", "[transport][connmgr]") {
  IoThread t;
  TestNode hub(t.io, [](TransportOptions& o) {
    o.connection_idle_ms = 100;
    o.connections_low_water = 2;
  });
  TestNode a(t.io), b(t.io), c(t.io);
  connect(a, hub);
  connect(b, hub);
  connect(c, hub);
  // Three idle peers above low_water 2: exactly one goes, then the two left stay.
  REQUIRE(hub.wait([&](TestNode& n) { return n.transport->stats().idle_closed == 1; }));
  // The idle timers of the two left fire every 100 ms; a second close would come within them.
  const auto closes = [&] { return hub.on([&] { return hub.transport->stats().idle_closed; }); };
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(600);
  while (std::chrono::steady_clock::now() < until && closes() == 1)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(closes() == 1);
  CHECK(hub.on([&] { return hub.transport->peers().size(); }) == 2);
}

TEST_CASE("advertised endpoints are announced in HELLO after the listen endpoints", "[transport][connmgr]") {
  IoThread t;
  TestNode a(t.io), b(t.io);
  CHECK(a.on([&] { return a.transport->advertise("relay://x@127.0.0.1:1/y"); }));
  CHECK_FALSE(a.on([&] { return a.transport->advertise("relay://x@127.0.0.1:1/y"); }));
  auto eps = a.on([&] { return a.transport->announced_endpoints(); });
  REQUIRE(eps.size() == 2);
  CHECK(eps[0] == a.uri);
  CHECK(eps[1] == "relay://x@127.0.0.1:1/y");
  connect(a, b);
  auto peers = b.on([&] { return b.transport->peers(); });
  REQUIRE(peers.size() == 1);
  CHECK(peers[0].endpoints == eps);
  CHECK(a.on([&] { return a.transport->withdraw("relay://x@127.0.0.1:1/y"); }));
  CHECK(a.on([&] { return a.transport->announced_endpoints().size(); }) == 1);
}

TEST_CASE("a released peer dialled for one request closes once nothing is in flight, and only such a peer",
          "[transport][connmgr]") {
  IoThread t;
  TestNode a(t.io, [](TransportOptions& o) {
    o.connections_low_water = 0;
    o.connection_grace_ms = 30000;
  });
  TestNode b(t.io, {}, echo_handler()), slow(t.io, {}, hold_handler()), dialler(t.io), kept(t.io, {}, echo_handler());
  const auto connected = [&](const NodeId& id) { return a.on([&] { return a.transport->is_connected(id); }); };
  const auto release = [&](const NodeId& id) { return a.on([&] { return a.transport->release_peer(id); }); };

  CHECK_FALSE(release(b.id));  // not connected

  // Dialled for one request and answered: closed at once.
  CHECK(a.wait_outcome(a.request(b.uri, "/t/1", "x")).payload == "echo:x");
  CHECK(release(b.id));
  REQUIRE(a.wait([&](TestNode& n) { return !n.transport->is_connected(b.id); }));
  CHECK(a.stats().released == 1);

  // A request still in flight holds it; the answer arrives, then it closes.
  auto pending = a.request(slow.uri, "/t/1", "y");
  REQUIRE(slow.wait([](TestNode& n) { return n.held.size() == 1; }));
  CHECK(release(slow.id));
  CHECK(connected(slow.id));
  slow.on([&] { slow.transport->reply(slow.held.at(0), BUTTER_OK, bytes("late")); });
  CHECK(a.wait_outcome(pending).payload == "late");
  REQUIRE(a.wait([&](TestNode& n) { return !n.transport->is_connected(slow.id); }));
  CHECK(a.stats().released == 2);

  // Not ours to cut: a peer that dialled us, and a protected one.
  connect(dialler, a);
  CHECK(release(dialler.id));
  CHECK(connected(dialler.id));
  a.on([&] { a.transport->protect(kept.id, "test", "in use"); });
  CHECK(a.wait_outcome(a.request(kept.uri, "/t/1", "z")).payload == "echo:z");
  CHECK(release(kept.id));
  CHECK(connected(kept.id));
  CHECK(a.stats().released == 2);
}

TEST_CASE("a release keeps a connection past its grace and one the low watermark needs", "[transport][connmgr]") {
  IoThread t;
  TestNode b(t.io, {}, echo_handler());
  TestNode old(t.io, [](TransportOptions& o) {
    o.connections_low_water = 0;
    o.connection_grace_ms = 0;  // every connection is past it: in use a while, not one-off
  });
  TestNode few(t.io, [](TransportOptions& o) {
    o.connections_low_water = 1;
    o.connection_grace_ms = 30000;
  });
  for (TestNode* n : {&old, &few}) {
    CHECK(n->wait_outcome(n->request(b.uri, "/t/1", "x")).payload == "echo:x");
    CHECK(n->on([&] { return n->transport->release_peer(b.id); }));
    CHECK(n->on([&] { return n->transport->is_connected(b.id); }));
    CHECK(n->stats().released == 0);
  }
}
