// Transport::punch on loopback: both sides punch at once (a TCP simultaneous open, or one side's
// SYN reaching the other's listener, which counts as the punch's connection), the Noise roles come
// from the node ids, and the punched connection replaces the one the peers had without losing a
// request in flight on it. And the failures: nobody there, nothing usable to punch at.
#include "harness.hpp"
#include "support/free_ports.hpp"

#include <boost/asio/post.hpp>

#include <future>

using namespace butter::test;

namespace {

struct PunchResult {
  bool done = false;
  Error error;
};

// Posts a punch on `n`'s strand without waiting for it, so that two nodes' punches start in the
// same turn of the io thread, as two synchronised NATed nodes would.
std::shared_ptr<PunchResult> start_punch(TestNode& n, const NodeId& peer, std::vector<std::string> endpoints,
                                         std::chrono::milliseconds window) {
  auto out = std::make_shared<PunchResult>();
  boost::asio::post(n.strand, [&n, peer, endpoints, window, out] {
    n.transport->punch(peer, endpoints, window, [out](Error e) {
      out->done = true;
      out->error = e;
    });
  });
  return out;
}

std::string how_seen(TestNode& n, const NodeId& peer) {
  return n.on([&] {
    for (const auto& p : n.transport->peers())
      if (p.id == peer) return p.how + (p.relayed ? "/relayed" : "/direct");
    return std::string("none");
  });
}

// Holds the request whose payload is "slow"; echoes the others.
TestNode::RequestHandler hold_slow() {
  return [](TestNode& n, const NodeId&, const std::string&, const std::string& p, ReplyToken t) {
    if (p == "slow") return n.held.push_back(t);
    n.transport->reply(t, BUTTER_OK, bytes("echo:" + p));
  };
}

}  // namespace

TEST_CASE("punch: both sides at once make one punched connection that replaces the old one", "[transport][punch]") {
  IoThread t;
  TestNode a(t.io, {}, hold_slow());
  TestNode b(t.io, {}, hold_slow());
  connect(a, b);
  CHECK(how_seen(a, b.id) == "dialled/direct");
  // A request in flight on the old connection, answered only after the switch.
  auto slow = a.request(b.id.hex(), "/test/1", "slow");
  REQUIRE(b.wait([](TestNode& n) { return n.held.size() == 1; }));

  // Loopback filters nothing: the first SYN reaches the other's listener. The smaller id starts,
  // as its SYN then meets the responder's role (see the next test for the other order).
  std::shared_ptr<PunchResult> pa, pb;
  if (a.id < b.id) {
    pa = start_punch(a, b.id, {b.uri}, std::chrono::seconds(5));
    pb = start_punch(b, a.id, {a.uri}, std::chrono::seconds(5));
  } else {
    pb = start_punch(b, a.id, {a.uri}, std::chrono::seconds(5));
    pa = start_punch(a, b.id, {b.uri}, std::chrono::seconds(5));
  }
  REQUIRE(a.wait([&](TestNode&) { return pa->done; }));
  REQUIRE(b.wait([&](TestNode&) { return pb->done; }));
  INFO(pa->error.message << " / " << pb->error.message);
  REQUIRE_FALSE(pa->error);
  REQUIRE_FALSE(pb->error);
  // Both sides send on the punched connection now.
  CHECK(how_seen(a, b.id) == "punched/direct");
  CHECK(how_seen(b, a.id) == "punched/direct");
  CHECK(a.stats().punch_successes == 1);
  CHECK(b.stats().punch_successes == 1);

  // The request that went out on the old connection is answered there: nothing is lost.
  REQUIRE(b.on([&] { return !b.transport->reply(b.held.at(0), BUTTER_OK, bytes("late")); }));
  auto out = a.wait_outcome(slow);
  CHECK(out.status == BUTTER_OK);
  CHECK(out.payload == "late");
  // Then the old connection, drained, is closed: one connection per pair, the punched one.
  CHECK(wait_until([&] { return a.stats().duplicates_closed + b.stats().duplicates_closed >= 1; }));
  CHECK(a.wait([&](TestNode& n) { return n.transport->conn_info().connections == 1; }));
  CHECK(how_seen(a, b.id) == "punched/direct");
  auto fresh = a.wait_outcome(a.request(b.id.hex(), "/test/1", "after"));
  CHECK(fresh.payload == "echo:after");
  CHECK(a.downs.empty());  // the peer never went down for the plugins
}

TEST_CASE("punch: with no connection before, the smaller id initiates the key exchange", "[transport][punch]") {
  // Never connected before. The smaller id's SYN reaches the larger's listener (or they cross in
  // a simultaneous open); the larger id, answering as the responder, takes it as its punch's
  // connection. (The other order is a documented limitation where nothing filters SYNs: the
  // accepted connection's role would disagree; NATs drop such early SYNs.)
  IoThread t;
  TestNode a(t.io, {}, echo_handler());
  TestNode b(t.io, {}, echo_handler());
  TestNode& small = a.id < b.id ? a : b;
  TestNode& large = a.id < b.id ? b : a;
  auto ps = start_punch(small, large.id, {large.uri}, std::chrono::seconds(5));
  REQUIRE(large.wait([&](TestNode& n) { return n.transport->conn_info().connections >= 1; }));
  auto pl = start_punch(large, small.id, {small.uri}, std::chrono::seconds(5));
  auto& pa = a.id < b.id ? ps : pl;
  auto& pb = a.id < b.id ? pl : ps;
  REQUIRE(a.wait([&](TestNode&) { return pa->done && pb->done; }));
  INFO(pa->error.message << " / " << pb->error.message);
  CHECK_FALSE(pa->error);
  CHECK_FALSE(pb->error);
  auto r = a.wait_outcome(a.request(b.id.hex(), "/test/1", "x"));
  CHECK(r.payload == "echo:x");
  CHECK(a.stats().auth_failures == 0);
  CHECK(b.stats().auth_failures == 0);
}

TEST_CASE("punch: failures say why and count", "[transport][punch]") {
  IoThread t;
  TestNode a(t.io);
  TestNode b(t.io);
  // Nothing listens there: refused again and again until the window closes.
  const std::string dead = "tcp://127.0.0.1:" + std::to_string(free_ports(1).at(0));
  auto p = start_punch(a, b.id, {dead}, std::chrono::milliseconds(600));
  REQUIRE(a.wait([&](TestNode&) { return p->done; }));
  CHECK(p->error.code == BUTTER_E_TIMEOUT);
  CHECK(p->error.message.rfind("refused", 0) == 0);
  // Nothing usable: names, other schemes, port 0.
  auto u = start_punch(a, b.id, {"tcp://localhost:1", "relay://x@y/z", "tcp://127.0.0.1:0"}, std::chrono::seconds(1));
  REQUIRE(a.wait([&](TestNode&) { return u->done; }));
  CHECK(u->error.code == BUTTER_E_INVALID);
  CHECK(u->error.message.rfind("unusable", 0) == 0);
  // Ourselves.
  auto self = start_punch(a, a.id, {b.uri}, std::chrono::seconds(1));
  REQUIRE(a.wait([&](TestNode&) { return self->done; }));
  CHECK(self->error.code == BUTTER_E_INVALID);
  // One punch per peer at a time.
  auto first = start_punch(a, b.id, {dead}, std::chrono::milliseconds(800));
  auto second = start_punch(a, b.id, {dead}, std::chrono::milliseconds(800));
  REQUIRE(a.wait([&](TestNode&) { return first->done && second->done; }));
  CHECK(second->error.code == BUTTER_E_AGAIN);
  CHECK(second->error.message.rfind("busy", 0) == 0);
  const auto st = a.stats();
  CHECK(st.punch_attempts == 2);  // the refused-at-once calls are not attempts
  CHECK(st.punch_failures == 2);
  CHECK(st.punch_successes == 0);
}

TEST_CASE("punch: the listener's SO_REUSEPORT does not let a second node share its port", "[transport][punch]") {
  IoThread t;
  TestNode a(t.io);
  Strand strand(t.io.get_executor());
  TransportOptions o;
  o.listen = {a.uri};
  auto second = std::make_unique<Transport>(t.io, strand, o, TransportHandlers{});
  auto err = run_on(strand, [&] { return second->start(); });
  INFO(err.message);
  CHECK(err.code == BUTTER_E_UNAVAILABLE);
  CHECK(err.message.find("in use") != std::string::npos);
  run_on(strand, [&] {
    second->stop();
    second.reset();
  });
}
