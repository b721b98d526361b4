// Connection limits: the ConnectionLimits bookkeeping on its own (with a clock the test moves),
// then each limit end to end over loopback — a flooding or greedy peer is refused and counted,
// and another peer is still served.
#include "harness.hpp"
#include "raw_client.hpp"
#include "transport/connection_limits.hpp"

#include <atomic>

using namespace butter::test;
using namespace std::chrono_literals;
using Refusal = ConnectionLimits::Refusal;

namespace {

// A steady clock that only moves when the test says so; safe to read from the io thread.
struct ManualClock {
  std::chrono::steady_clock::time_point base = std::chrono::steady_clock::now();
  std::atomic<std::int64_t> offset_ms{0};
  void advance(std::chrono::milliseconds d) { offset_ms += d.count(); }
  ConnectionLimits::Clock fn() {
    return [this] { return base + std::chrono::milliseconds(offset_ms.load()); };
  }
};

ConnectionLimits::Options options(std::size_t total, std::size_t per_address, std::uint32_t rate, ManualClock& clock) {
  ConnectionLimits::Options o;
  o.max_connections = total;
  o.max_connections_per_peer = 2;
  o.max_handshakes_per_address = per_address;
  o.max_handshakes_per_second = rate;
  o.clock = clock.fn();
  return o;
}

}  // namespace

TEST_CASE("connection limits: handshakes are counted per address until they end", "[transport][limits]") {
  ManualClock clock;
  ConnectionLimits l(options(100, 2, 100, clock));
  CHECK(l.admit_inbound(0, "10.0.0.1") == Refusal::kNone);
  CHECK(l.admit_inbound(1, "10.0.0.1") == Refusal::kNone);
  CHECK(l.admit_inbound(2, "10.0.0.1") == Refusal::kPerAddress);
  CHECK(l.admit_inbound(2, "10.0.0.2") == Refusal::kNone);  // another address is not affected
  CHECK(l.handshaking("10.0.0.1") == 2);
  CHECK(l.handshaking_total() == 3);
  l.handshake_ended("10.0.0.1");
  CHECK(l.handshaking("10.0.0.1") == 1);
  CHECK(l.admit_inbound(3, "10.0.0.1") == Refusal::kNone);
  l.handshake_ended("10.0.0.1");
  l.handshake_ended("10.0.0.1");
  l.handshake_ended("10.0.0.2");
  CHECK(l.handshaking("10.0.0.1") == 0);
  CHECK(l.handshaking_total() == 0);
  l.handshake_ended("10.0.0.9");  // unknown: ignored, nothing goes negative
  CHECK(l.handshaking_total() == 0);
}

TEST_CASE("connection limits: max_connections comes first and a refusal consumes no handshake token",
          "[transport][limits]") {
  ManualClock clock;
  ConnectionLimits l(options(2, 10, 1, clock));
  CHECK(l.admit_inbound(2, "10.0.0.1") == Refusal::kMaxConnections);
  CHECK(l.admit_inbound(5, "10.0.0.1") == Refusal::kMaxConnections);
  CHECK(l.handshaking("10.0.0.1") == 0);
  CHECK(l.admit_inbound(0, "10.0.0.1") == Refusal::kNone);  // the one token was not spent above
  CHECK(l.admit_inbound(1, "10.0.0.1") == Refusal::kHandshakeRate);
  CHECK(l.admit_outbound(1) == Refusal::kNone);
  CHECK(l.admit_outbound(2) == Refusal::kMaxConnections);
  CHECK(l.admit_peer(1) == Refusal::kNone);
  CHECK(l.admit_peer(2) == Refusal::kPerPeer);
  CHECK_THAT(l.explain(Refusal::kMaxConnections), Catch::Contains("max_connections (2)"));
  CHECK(std::string(ConnectionLimits::name(Refusal::kPerAddress)) == "per_address");
}

TEST_CASE("connection limits: the handshake bucket refills with time up to one second's worth", "[transport][limits]") {
  ManualClock clock;
  ConnectionLimits l(options(1000, 1000, 4, clock));
  int admitted = 0;
  for (int i = 0; i < 10; ++i) admitted += l.admit_inbound(0, {}) == Refusal::kNone;
  CHECK(admitted == 4);  // the initial burst
  clock.advance(500ms);  // two tokens back
  CHECK(l.admit_inbound(0, {}) == Refusal::kNone);
  CHECK(l.admit_inbound(0, {}) == Refusal::kNone);
  CHECK(l.admit_inbound(0, {}) == Refusal::kHandshakeRate);
  clock.advance(60s);  // the bucket holds at most one second's worth
  admitted = 0;
  for (int i = 0; i < 10; ++i) admitted += l.admit_inbound(0, {}) == Refusal::kNone;
  CHECK(admitted == 4);
}

TEST_CASE("connection limits: refusals are logged once then at most once per interval with the count",
          "[transport][limits]") {
  ManualClock clock;
  ConnectionLimits l(options(1, 1, 1, clock));
  auto first = l.log_refusal("inbound connection from 10.0.0.1 refused");
  REQUIRE(first);
  CHECK(*first == "inbound connection from 10.0.0.1 refused");
  int logged = 0;
  for (int i = 0; i < 1000; ++i) logged += l.log_refusal("x").has_value();
  CHECK(logged == 0);  // a flood does not flood the log
  clock.advance(ConnectionLimits::kLogInterval);
  auto summary = l.log_refusal("y");
  REQUIRE(summary);
  CHECK_THAT(*summary, Catch::StartsWith("y") && Catch::Contains("1000 more"));
  CHECK_FALSE(l.log_refusal("z"));
}

// ---- end to end over loopback ----

TEST_CASE(
    "a peer opening connections beyond max_connections_per_peer gets them closed and its first "
    "connection and another peer are still served",
    "[transport][limits]") {
  IoThread t;
  TestNode b(
      t.io, [](TransportOptions& o) { o.max_connections_per_peer = 2; }, echo_handler());
  TestNode other(t.io);
  auto id = std::make_shared<const Identity>(Identity::generate());  // one node, several connections
  RawSecureClient first(b.uri, id);
  REQUIRE(first.ch.established());
  first.hello();
  auto r1 = first.request(1, "/echo/1", "one");
  REQUIRE(r1);
  CHECK(r1->status == BUTTER_OK);
  RawSecureClient second(b.uri, id);  // two is within the limit (simultaneous dials make two)
  REQUIRE(second.ch.established());
  second.hello();
  auto r2 = second.request(1, "/echo/1", "two");
  REQUIRE(r2);
  CHECK(r2->status == BUTTER_OK);
  CHECK(b.stats().refused_per_peer == 0);

  RawSecureClient third(b.uri, id);
  REQUIRE(third.ch.established());  // the id is only known after the handshake
  third.hello();
  CHECK(third.closed_by_server());
  CHECK(b.stats().refused_per_peer == 1);
  CHECK(b.stats().connections_refused == 1);
  // The older connections stay and are served; so is everyone else.
  auto again = first.request(2, "/echo/1", "still");
  REQUIRE(again);
  CHECK(std::string(again->payload.begin(), again->payload.end()) == "echo:still");
  CHECK(b.on([&] { return b.transport->is_connected(id->id()); }));
  auto r = other.wait_outcome(other.request(b.uri, "/echo/1", "other"));
  CHECK(r.status == BUTTER_OK);
  CHECK(r.payload == "echo:other");
}

TEST_CASE(
    "a flood of raw connections from one address that never handshake is refused per address and a "
    "peer from another loopback address is still served",
    "[transport][limits]") {
  IoThread t;
  TestNode b(
      t.io,
      [](TransportOptions& o) {
        o.max_handshakes_per_address = 4;
        o.hello_timeout = 60s;  // the flood stays in handshake for the whole test
      },
      echo_handler());
  std::vector<std::unique_ptr<RawClient>> flood;
  for (int i = 0; i < 10; ++i) flood.push_back(std::make_unique<RawClient>(b.uri));  // from 127.0.0.1
  REQUIRE(b.wait([](TestNode& n) { return n.transport->stats().refused_per_address == 6; }));
  CHECK(b.stats().connections_refused == 6);
  CHECK(b.stats().connections_opened == 4);

  // Another address is served while the flood holds its slots.
  RawSecureClient peer(b.uri, nullptr, "127.0.0.2");
  REQUIRE(peer.ch.established());
  peer.hello();
  auto r = peer.request(7, "/echo/1", "from .2");
  REQUIRE(r);
  CHECK(r->status == BUTTER_OK);
  CHECK(std::string(r->payload.begin(), r->payload.end()) == "echo:from .2");

  // A real node from the flooded address is refused too, until the flood goes away.
  TestNode a(t.io);
  auto refused = a.wait_outcome(a.request(b.uri, "/echo/1", "x"));
  CHECK(refused.status == BUTTER_E_UNAVAILABLE);
  CHECK(b.stats().refused_per_address == 7);
  flood.clear();
  REQUIRE(b.wait([](TestNode& n) { return n.transport->stats().connections_closed >= 4; }));
  auto ok = a.wait_outcome(a.request(b.uri, "/echo/1", "y"));
  CHECK(ok.status == BUTTER_OK);
  CHECK(ok.payload == "echo:y");
}

TEST_CASE(
    "a flood of raw connections beyond max_connections is refused at accept and a connected peer is "
    "still served",
    "[transport][limits]") {
  IoThread t;
  TestNode b(
      t.io,
      [](TransportOptions& o) {
        o.max_connections = 3;
        o.hello_timeout = 60s;
      },
      echo_handler());
  TestNode a(t.io), late(t.io);
  connect(a, b);
  std::vector<std::unique_ptr<RawClient>> flood;
  for (int i = 0; i < 5; ++i) flood.push_back(std::make_unique<RawClient>(b.uri));
  REQUIRE(b.wait([](TestNode& n) { return n.transport->stats().refused_max_connections == 3; }));
  CHECK(b.stats().connections_opened == 3);  // a's, then two of the flood
  auto r = a.wait_outcome(a.request(b.id.hex(), "/echo/1", "busy?"));
  CHECK(r.status == BUTTER_OK);
  CHECK(r.payload == "echo:busy?");
  auto refused = late.wait_outcome(late.request(b.uri, "/echo/1", "x"));
  CHECK(refused.status == BUTTER_E_UNAVAILABLE);
  CHECK(b.stats().refused_max_connections == 4);
  CHECK(b.stats().connections_refused == 4);
}

TEST_CASE(
    "handshakes beyond max_handshakes_per_second wait in the listen backlog until the bucket refills, "
    "then are served, none refused",
    "[transport][limits]") {
  IoThread t;
  ManualClock clock;
  TestNode b(
      t.io,
      [&](TransportOptions& o) {
        o.max_handshakes_per_second = 2;
        o.clock = clock.fn();
      },
      echo_handler());
  TestNode a(t.io);
  RawClient r1(b.uri), r2(b.uri);  // spend the burst without ever handshaking
  REQUIRE(b.wait([](TestNode& n) { return n.transport->stats().connections_opened == 2; }));
  // The bucket is empty and the clock frozen: b stops accepting, a's connection waits.
  auto pending = a.request(b.uri, "/echo/1", "y");
  REQUIRE(b.wait([](TestNode& n) { return n.transport->stats().accepts_deferred >= 1; }));
  CHECK(b.stats().connections_opened == 2);
  clock.advance(1s);  // refills: accepting resumes and a's connection is served
  auto ok = a.wait_outcome(pending);
  CHECK(ok.status == BUTTER_OK);
  CHECK(ok.payload == "echo:y");
  CHECK(b.stats().refused_handshake_rate == 0);
  CHECK(b.stats().connections_refused == 0);
}

TEST_CASE("connection limits: the handshake wait is zero with a token and the time to the next one without",
          "[transport][limits]") {
  ManualClock clock;
  ConnectionLimits l(options(1000, 1000, 4, clock));
  CHECK(l.handshake_wait().count() == 0);
  for (int i = 0; i < 4; ++i) CHECK(l.admit_inbound(0, "10.0.0.1") == Refusal::kNone);
  // One token per 250 ms; the wait is rounded up to the nanosecond.
  auto near = [](std::chrono::nanoseconds got, std::chrono::milliseconds want) {
    return got >= want && got - want < 1us;
  };
  CHECK(near(l.handshake_wait(), 250ms));
  clock.advance(100ms);
  CHECK(near(l.handshake_wait(), 150ms));
  clock.advance(150ms);
  CHECK(l.handshake_wait().count() == 0);
  CHECK(l.admit_inbound(0, "10.0.0.1") == Refusal::kNone);
}

TEST_CASE("an outbound dial beyond max_connections fails with AGAIN and the open connection still works",
          "[transport][limits]") {
  IoThread t;
  TestNode a(t.io, [](TransportOptions& o) { o.max_connections = 1; });
  TestNode b(t.io, {}, echo_handler()), c(t.io, {}, echo_handler());
  connect(a, b);
  Error e;
  a.request(c.uri, "/echo/1", "x", 5s, &e);
  CHECK(e.code == BUTTER_E_AGAIN);
  CHECK_THAT(e.message, Catch::Contains("max_connections (1)"));
  auto done = std::make_shared<std::optional<Error>>();
  a.on([&] { a.transport->connect(c.uri, [done](Error err, const NodeId&) { *done = err; }); });
  REQUIRE(a.wait([&](TestNode&) { return done->has_value(); }));
  CHECK(a.on([&] { return (*done)->code; }) == BUTTER_E_AGAIN);
  CHECK(a.stats().refused_max_connections == 2);
  CHECK(c.stats().connections_opened == 0);  // nothing reached c
  auto r = a.wait_outcome(a.request(b.id.hex(), "/echo/1", "ok"));
  CHECK(r.payload == "echo:ok");
}

TEST_CASE(
    "a node dialling one peer at more addresses than max_connections_per_peer closes the extra "
    "connection and sends to that address over the ones it has",
    "[transport][limits]") {
  IoThread t;
  TestNode a(t.io, [](TransportOptions& o) { o.max_connections_per_peer = 2; });
  TestNode b(
      t.io,
      [](TransportOptions& o) {
        o.listen = {"tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0"};
      },
      echo_handler());
  const auto uris = b.on([&] { return b.transport->listen_endpoints(); });
  REQUIRE(uris.size() == 3);
  // Three dials at once to three addresses of one node (once a HELLO has named it, its advertised
  // addresses lead to the open connection, so only dials in flight together can exceed the cap).
  std::vector<std::shared_ptr<std::optional<Error>>> done;
  for (std::size_t i = 0; i < uris.size(); ++i) done.push_back(std::make_shared<std::optional<Error>>());
  a.on([&] {
    for (std::size_t i = 0; i < uris.size(); ++i) {
      auto d = done[i];
      a.transport->connect(uris[i], [d](Error err, const NodeId&) { *d = err; });
    }
  });
  REQUIRE(a.wait([&](TestNode&) {
    for (const auto& d : done)
      if (!d->has_value()) return false;
    return true;
  }));
  // Which dial's HELLO comes last is up to the scheduler: exactly one of the three was refused.
  std::vector<Error> results;
  a.on([&] {
    for (const auto& d : done) results.push_back(**d);
  });
  std::size_t refused_at = results.size();
  int refused = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    INFO("dial " << i << ": " << results[i].code << " " << results[i].message);
    if (results[i]) {
      ++refused;
      refused_at = i;
      CHECK_THAT(results[i].message, Catch::Contains("too many connections"));
    }
  }
  REQUIRE(refused == 1);
  CHECK(a.stats().refused_per_peer == 1);
  CHECK(b.stats().connections_refused == 0);  // the refusing side is the dialler
  // That address now leads to the node it named: requests to it use the connections open.
  const auto opened = a.stats().connections_opened;
  auto r = a.wait_outcome(a.request(uris[refused_at], "/echo/1", "via that address"));
  CHECK(r.status == BUTTER_OK);
  CHECK(r.payload == "echo:via that address");
  CHECK(a.stats().connections_opened == opened);
  CHECK(a.stats().refused_per_peer == 1);
}
