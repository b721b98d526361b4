// Two (or three) Transports over real loopback sockets: requests, one-way messages, deadlines,
// failures, backpressure and misbehaving peers.
#include "harness.hpp"
#include "raw_client.hpp"
#include <butter/wire.hpp>
#include "transport/frame.hpp"
#include "transport/hello.hpp"
#include "transport/secure_channel.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

using namespace butter::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;

TEST_CASE("request gets the response", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, echo_handler());
  connect(a, b);
  auto r = a.wait_outcome(a.request(b.id.hex(), "/echo/1", "hi"));
  CHECK(r.status == BUTTER_OK);
  CHECK(r.from == b.id);
  CHECK(r.payload == "echo:hi");
  CHECK(r.calls == 1);
  CHECK(a.on([&] { return a.ups.size(); }) == 1);
  CHECK(a.on([&] { return a.ups.at(0).id; }) == b.id);
  CHECK(b.stats().frames_in >= 2);  // HELLO + REQUEST
}

TEST_CASE("one-way message arrives", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io);
  connect(a, b);
  auto e = a.on([&] { return a.transport->send(b.id.hex(), "/chat/1", bytes("hello")); });
  REQUIRE_FALSE(e);
  REQUIRE(b.wait([](TestNode& n) { return !n.messages.empty(); }));
  auto m = b.on([&] { return b.messages.at(0); });
  CHECK(m.from == a.id);
  CHECK(m.protocol == "/chat/1");
  CHECK(m.payload == "hello");
}

TEST_CASE("send to an unconnected URI dials and delivers", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, echo_handler());
  auto e = a.on([&] { return a.transport->send(b.uri, "/chat/1", bytes("first")); });
  REQUIRE_FALSE(e);
  auto r = a.request(b.uri, "/echo/1", "second");  // joins the same pending dial
  REQUIRE(b.wait([](TestNode& n) { return !n.messages.empty(); }));
  CHECK(b.on([&] { return b.messages.at(0).payload; }) == "first");
  CHECK(a.wait_outcome(r).payload == "echo:second");
  CHECK(a.on([&] { return a.transport->is_connected(b.id); }));
  CHECK(a.stats().connections_opened == 1);
}

TEST_CASE("send to a node id uses a known address", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, echo_handler());
  auto unknown = a.on([&] { return a.transport->send(b.id.hex(), "/chat/1", bytes("x")); });
  CHECK(unknown.code == BUTTER_E_NOT_FOUND);
  a.on([&] { a.transport->add_address(b.id, {b.uri}); });
  auto r = a.wait_outcome(a.request(b.id.hex(), "/echo/1", "by id"));
  CHECK(r.status == BUTTER_OK);
  CHECK(r.payload == "echo:by id");
}

TEST_CASE("request times out when the handler never replies and the late reply is ignored", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, hold_handler());
  connect(a, b);
  auto r = a.wait_outcome(a.request(b.id.hex(), "/slow/1", "x", 100ms));
  CHECK(r.status == BUTTER_E_TIMEOUT);
  CHECK(a.stats().requests_timed_out == 1);
  // Now answer: the response arrives after the deadline and is dropped, counted.
  REQUIRE(b.wait([](TestNode& n) { return n.held.size() == 1; }));
  auto e = b.on([&] { return b.transport->reply(b.held.at(0), BUTTER_OK, bytes("late")); });
  CHECK_FALSE(e);
  CHECK(a.wait([](TestNode& n) { return n.transport->stats().late_responses == 1; }));
  CHECK(a.on([&] { return r.calls; }) == 1);
  // A token answers once.
  CHECK(b.on([&] { return b.transport->reply(b.held.at(0), BUTTER_OK, {}); }).code == BUTTER_E_NOT_FOUND);
}

TEST_CASE("request without a handler gets NOT_FOUND", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io);  // b has no on_request
  connect(a, b);
  auto r = a.wait_outcome(a.request(b.id.hex(), "/nobody/1", "x"));
  CHECK(r.status == BUTTER_E_NOT_FOUND);
  CHECK(r.payload == "no handler for protocol /nobody/1");
}

TEST_CASE("remote error status and text reach the requester", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, [](TestNode&n, const NodeId&, const std::string&, const std::string&, ReplyToken tok) {
    n.transport->reply(tok, BUTTER_E_INVALID, bytes("bad query"));
  });
  connect(a, b);
  auto r = a.wait_outcome(a.request(b.id.hex(), "/q/1", "x"));
  CHECK(r.status == BUTTER_E_INVALID);
  CHECK(r.payload == "bad query");
}

TEST_CASE("throwing request handler is answered INTERNAL and the node keeps serving", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, [](TestNode&n, const NodeId&, const std::string&, const std::string&p, ReplyToken tok) {
    if (p == "boom") throw std::runtime_error("boom");
    n.transport->reply(tok, BUTTER_OK, bytes("ok"));
  });
  connect(a, b);
  CHECK(a.wait_outcome(a.request(b.id.hex(), "/q/1", "boom")).status == BUTTER_E_INTERNAL);
  CHECK(a.wait_outcome(a.request(b.id.hex(), "/q/1", "fine")).status == BUTTER_OK);
}

TEST_CASE("peer going down fails pending requests with UNAVAILABLE", "[transport]") {
  IoThread t;
  TestNode a(t.io);
  auto b = std::make_unique<TestNode>(t.io, nullptr, hold_handler());
  connect(a, *b);
  auto r = a.request(b->id.hex(), "/slow/1", "x");
  REQUIRE(b->wait([](TestNode& n) { return n.held.size() == 1; }));
  auto bid = b->id;
  b.reset();  // stops b: its sockets close
  auto out = a.wait_outcome(r);
  CHECK(out.status == BUTTER_E_UNAVAILABLE);
  REQUIRE(a.wait([](TestNode& n) { return n.downs.size() == 1; }));
  CHECK(a.on([&] { return a.downs.at(0).first; }) == bid);
  CHECK_FALSE(a.on([&] { return a.transport->is_connected(bid); }));
}

TEST_CASE("request to a closed port fails with UNAVAILABLE", "[transport]") {
  IoThread t;
  std::string dead;
  {
    TestNode gone(t.io);
    dead = gone.uri;
  }
  TestNode a(t.io);
  auto r = a.wait_outcome(a.request(dead, "/x/1", "x"));
  CHECK(r.status == BUTTER_E_UNAVAILABLE);
  CHECK(a.on([&] { return a.downs.size(); }) == 0);  // never was up
}

TEST_CASE("disconnect closes the peer and fires on_peer_down", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io);
  connect(a, b);
  a.on([&] { a.transport->disconnect(b.id, "test says so"); });
  CHECK(a.on([&] { return a.downs.size() == 1 && a.downs[0].second == "test says so"; }));
  CHECK(b.wait([](TestNode& n) { return n.downs.size() == 1; }));
}

TEST_CASE("backpressure returns AGAIN when the queue bound is tiny", "[transport]") {
  IoThread t;
  TestNode a(t.io, [](TransportOptions& o) { o.max_queued_bytes_per_connection = 1; });
  TestNode b(t.io);
  connect(a, b);
  // Within one strand turn no write can complete: the first frame is taken, the next refused.
  auto [first, second] = a.on([&] {
    auto one = a.transport->send(b.id.hex(), "/bulk/1", bytes("one"));
    auto two = a.transport->send(b.id.hex(), "/bulk/1", bytes("two"));
    return std::make_pair(one, two);
  });
  CHECK_FALSE(first);
  CHECK(second.code == BUTTER_E_AGAIN);
  CHECK(a.stats().backpressure_rejections == 1);
  // Once the queue drains, sending works again.
  REQUIRE(b.wait([](TestNode& n) { return n.messages.size() == 1; }));
  REQUIRE(a.wait([&](TestNode& n) { return !n.transport->send(b.id.hex(), "/bulk/1", bytes("three")); }));
  CHECK(b.wait([](TestNode& n) { return n.messages.size() == 2; }));
}

TEST_CASE("oversized outgoing frame is refused locally", "[transport]") {
  IoThread t;
  TestNode a(t.io, [](TransportOptions& o) { o.max_frame_bytes = 1024; });
  TestNode b(t.io);
  connect(a, b);
  std::string big(2000, 'x');
  auto e = a.on([&] { return a.transport->send(b.id.hex(), "/p", bytes(big)); });
  CHECK(e.code == BUTTER_E_INVALID);
}

// RawClient and RawSecureClient (raw_client.hpp) play broken or hostile peers.
static void plain(TransportOptions& o) { o.plaintext = true; }

TEST_CASE("garbage from a raw client closes only that connection", "[transport]") {
  IoThread t;
  TestNode a(t.io, plain), b(t.io, plain, echo_handler());
  connect(a, b);
  RawClient raw(b.uri);
  raw.write_plaintext_preamble();
  raw.write({'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n', '\r', '\n'});
  CHECK(raw.closed_by_server());
  CHECK(b.wait([](TestNode& n) { return n.transport->stats().malformed_frames == 1; }));
  auto r = a.wait_outcome(a.request(b.id.hex(), "/echo/1", "still here"));
  CHECK(r.payload == "echo:still here");
  CHECK(b.on([&] { return b.downs.size(); }) == 0);
}

TEST_CASE("a frame before HELLO closes the connection", "[transport]") {
  IoThread t;
  TestNode b(t.io, plain, echo_handler());
  RawClient raw(b.uri);
  raw.write_plaintext_preamble();
  Frame f;
  f.type = FrameType::kRequest;
  f.protocol = "/echo/1";
  raw.write(encode_frame(f));
  CHECK(raw.closed_by_server());
  CHECK(b.stats().malformed_frames == 1);
}

TEST_CASE("a HELLO of another version closes the connection", "[transport]") {
  IoThread t;
  TestNode b(t.io, plain);
  RawClient raw(b.uri);
  raw.write_plaintext_preamble();
  Hello h;
  h.id = NodeId::random();
  auto payload = encode_hello(h);
  butter::wire::put_u16(payload.data(), 7);
  Frame f;
  f.type = FrameType::kHello;
  f.payload = payload;
  raw.write(encode_frame(f));
  CHECK(raw.closed_by_server());
  CHECK(b.stats().malformed_frames == 0);  // a peer we cannot talk to, not a broken one
  CHECK(b.stats().connections_closed == 1);
}

TEST_CASE("a silent client is dropped after the HELLO timeout", "[transport]") {
  IoThread t;
  TestNode b(t.io, [](TransportOptions& o) { o.hello_timeout = 150ms; });
  RawClient raw(b.uri);
  CHECK(raw.closed_by_server());
  CHECK(b.stats().connections_closed == 1);
}

TEST_CASE("self-connection is refused", "[transport]") {
  IoThread t;
  TestNode a(t.io);
  // The exact listen URI is known to be ours and refused at once.
  CHECK(a.on([&] { return a.transport->send(a.uri, "/p", bytes("x")); }).code == BUTTER_E_INVALID);
  CHECK(a.on([&] { return a.transport->send(a.id.hex(), "/p", bytes("x")); }).code == BUTTER_E_INVALID);
  // Another spelling of it is only found out by the HELLO.
  auto alias = "tcp://localhost:" + a.uri.substr(a.uri.rfind(':') + 1);
  auto r = a.wait_outcome(a.request(alias, "/p", "x"));
  CHECK(r.status == BUTTER_E_UNAVAILABLE);
  CHECK(a.on([&] { return a.ups.size(); }) == 0);
  CHECK(a.on([&] { return a.transport->send(alias, "/p", bytes("x")); }).code == BUTTER_E_INVALID);
}

TEST_CASE("simultaneous connections: both sides pick the same one and the other closes once drained", "[transport]") {
  IoThread t;
  TestNode a(t.io, {}, echo_handler()), b(t.io, {}, echo_handler());
  // Both dials must start before either side's handshake can make progress (were the first to
  // finish, the second would reuse it). The one I/O thread is held while both are queued, so they
  // run back to back, ahead of any completion of the first: queuing them from this thread alone
  // let the I/O thread run the first dial's connect and handshake in between under load.
  std::promise<void> holding, release;
  auto released = release.get_future();
  boost::asio::post(t.io, [&] {
    holding.set_value();
    released.wait();
  });
  holding.get_future().get();
  std::promise<void> queued_a, queued_b;
  boost::asio::post(a.strand, [&] {
    a.transport->connect(b.uri, {});
    queued_a.set_value();
  });
  boost::asio::post(b.strand, [&] {
    b.transport->connect(a.uri, {});
    queued_b.set_value();
  });
  release.set_value();
  queued_a.get_future().get();
  queued_b.get_future().get();
  REQUIRE(a.wait([](TestNode& n) { return n.transport->stats().connections_opened == 2 && !n.ups.empty(); }));
  REQUIRE(b.wait([](TestNode& n) { return n.transport->stats().connections_opened == 2 && !n.ups.empty(); }));
  // Wait until both connections are up on both sides (each side counts two HELLOs in).
  REQUIRE(a.wait([](TestNode& n) { return n.transport->stats().frames_in >= 2; }));
  REQUIRE(b.wait([](TestNode& n) { return n.transport->stats().frames_in >= 2; }));
  auto pa = a.on([&] { return a.transport->peers(); });
  auto pb = b.on([&] { return b.transport->peers(); });
  REQUIRE(pa.size() == 1);
  REQUIRE(pb.size() == 1);
  CHECK(pa[0].outbound != pb[0].outbound);
  CHECK(pa[0].outbound == (a.id < b.id));  // the connection dialled by the smaller id
  CHECK(a.wait_outcome(a.request(b.id.hex(), "/echo/1", "x")).payload == "echo:x");
  CHECK(b.wait_outcome(b.request(a.id.hex(), "/echo/1", "y")).payload == "echo:y");
  CHECK(a.on([&] { return a.ups.size(); }) == 1);
  // One connection per pair: the other one closes once drained, and the peer never went down.
  REQUIRE(a.wait([](TestNode& n) { return n.transport->conn_info().connections == 1; }));
  REQUIRE(b.wait([](TestNode& n) { return n.transport->conn_info().connections == 1; }));
  CHECK(a.stats().duplicates_closed + b.stats().duplicates_closed >= 1);
  CHECK(a.on([&] { return a.downs.size(); }) == 0);
  CHECK(a.wait_outcome(a.request(b.id.hex(), "/echo/1", "z")).payload == "echo:z");
}

TEST_CASE("stop cancels pending requests and connects", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, hold_handler());
  connect(a, b);
  auto r = a.request(b.id.hex(), "/slow/1", "x");
  REQUIRE(b.wait([](TestNode& n) { return n.held.size() == 1; }));
  a.on([&] { a.transport->stop(); });
  auto out = a.on([&] { return *r; });
  CHECK(out.done);
  CHECK(out.status == BUTTER_E_CANCELLED);
  CHECK(a.on([&] { return a.transport->send(b.id.hex(), "/p", bytes("x")); }).code == BUTTER_E_CANCELLED);
}

TEST_CASE("cancel drops a pending request without calling back", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, hold_handler());
  connect(a, b);
  auto r = std::make_shared<Outcome>();
  auto [e, rid] = a.on([&] {
    std::uint64_t id = 0;
    auto err = a.transport->request(
        b.id.hex(), "/slow/1", bytes("x"), 100ms,
        [r](std::int32_t s, const NodeId&, std::span<const std::uint8_t>) {
          r->done = true;
          r->status = s;
        },
        &id);
    return std::make_pair(err, id);
  });
  REQUIRE_FALSE(e);
  CHECK(a.on([&, rid = rid] { return a.transport->cancel(rid); }));
  CHECK_FALSE(a.on([&, rid = rid] { return a.transport->cancel(rid); }));
  // Past the would-be deadline, still no callback.
  CHECK_FALSE(wait_until([&] { return a.on([&] { return r->done; }); }, 300ms));
}

TEST_CASE("many requests in flight complete once each", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, echo_handler());
  connect(a, b);
  std::vector<std::shared_ptr<Outcome>> rs;
  for (int i = 0; i < 200; ++i) rs.push_back(a.request(b.id.hex(), "/echo/1", std::to_string(i)));
  for (int i = 0; i < 200; ++i) {
    auto o = a.wait_outcome(rs[static_cast<std::size_t>(i)]);
    CHECK(o.payload == "echo:" + std::to_string(i));
    CHECK(o.calls == 1);
  }
}

TEST_CASE("large payloads cross intact", "[transport]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, echo_handler());
  connect(a, b);
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + i / 7);
  auto r = a.wait_outcome(a.request(b.id.hex(), "/echo/1", big));
  REQUIRE(r.status == BUTTER_OK);
  CHECK(r.payload == "echo:" + big);
}

TEST_CASE("idle connections are closed when idle_timeout is set", "[transport]") {
  IoThread t;
  TestNode a(t.io, [](TransportOptions& o) {
    o.connection_idle_ms = 100;
    o.connections_low_water = 0;  // (the default, 8, would keep the one peer)
  });
  TestNode b(t.io);
  connect(a, b);
  REQUIRE(a.wait([](TestNode& n) { return n.downs.size() == 1; }));
  CHECK(a.on([&] { return a.downs.at(0).second; }) == "idle");
}

// ---- identity and the secure channel over real sockets ----

TEST_CASE("both sides learn each other's authenticated id", "[transport][secure]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, echo_handler());
  auto r = a.wait_outcome(a.request(b.uri, "/echo/1", "hi"));
  CHECK(r.status == BUTTER_OK);
  CHECK(r.from == b.id);
  CHECK(b.wait([&](TestNode& n) { return n.transport->is_connected(a.id); }));
  CHECK(a.stats().auth_failures == 0);
}

TEST_CASE("a peer claiming another node id in HELLO is refused", "[transport][secure]") {
  IoThread t;
  TestNode b(t.io, {}, echo_handler());
  RawSecureClient raw(b.uri);
  REQUIRE(raw.ch.established());
  CHECK(raw.ch.peer_id() == b.id);
  raw.write(raw.sealed_hello(NodeId::random()));  // not the key it proved
  CHECK(raw.closed_by_server());
  CHECK(b.wait([](TestNode& n) { return n.transport->stats().auth_failures == 1; }));
  CHECK(b.stats().connections_closed == 1);
}

TEST_CASE("a peer with its own id in HELLO is accepted by a raw secure client", "[transport][secure]") {
  IoThread t;
  TestNode b(t.io, {}, echo_handler());
  RawSecureClient raw(b.uri);
  raw.write(raw.sealed_hello(raw.identity->id()));
  CHECK(b.wait([&](TestNode& n) { return n.transport->is_connected(raw.identity->id()); }));
}

TEST_CASE("a bit flipped in a sealed record closes the connection", "[transport][secure]") {
  IoThread t;
  TestNode b(t.io, {}, echo_handler());
  RawSecureClient raw(b.uri);
  raw.write(raw.sealed_hello(raw.identity->id()));
  REQUIRE(b.wait([&](TestNode& n) { return n.transport->is_connected(raw.identity->id()); }));
  Frame f;
  f.type = FrameType::kOneway;
  f.protocol = "/x/1";
  f.payload = {1, 2, 3};
  std::vector<std::uint8_t> wire;
  REQUIRE(raw.ch.seal(encode_frame(f), wire));
  wire[wire.size() / 2] ^= 0x01;
  raw.write(wire);
  CHECK(raw.closed_by_server());
  CHECK(b.wait([](TestNode& n) { return n.transport->stats().auth_failures == 1; }));
  CHECK(b.wait([&](TestNode& n) { return !n.transport->is_connected(raw.identity->id()); }));
}

TEST_CASE("plaintext mode works only when both sides enable it", "[transport][secure]") {
  IoThread t;
  TestNode a(t.io, plain), b(t.io, plain, echo_handler()), c(t.io, {}, echo_handler());
  auto ok = a.wait_outcome(a.request(b.uri, "/echo/1", "plain"));
  CHECK(ok.status == BUTTER_OK);
  CHECK(ok.payload == "echo:plain");
  auto refused = a.wait_outcome(a.request(c.uri, "/echo/1", "mixed"));
  CHECK(refused.status == BUTTER_E_UNAVAILABLE);
  CHECK(refused.payload.find("plaintext") != std::string::npos);
  auto refused2 = c.wait_outcome(c.request(b.uri, "/echo/1", "mixed"));
  CHECK(refused2.status == BUTTER_E_UNAVAILABLE);
}

TEST_CASE("a peer with too many requests in flight is answered AGAIN and another peer is still served", "[transport]") {
  IoThread t;
  TestNode b(
      t.io, [](TransportOptions& o) { o.max_inflight_requests = 4; }, hold_handler());
  TestNode flooder(t.io), other(t.io);
  connect(flooder, b);
  connect(other, b);
  std::vector<std::shared_ptr<Outcome>> held;
  for (int i = 0; i < 4; ++i) held.push_back(flooder.request(b.id.hex(), "/slow/1", "x"));
  REQUIRE(b.wait([](TestNode& n) { return n.held.size() == 4; }));
  // The fifth is refused at once, not queued: the requester learns it should back off.
  auto shed = flooder.wait_outcome(flooder.request(b.id.hex(), "/slow/1", "x"));
  CHECK(shed.status == BUTTER_E_AGAIN);
  CHECK_THAT(shed.payload, Catch::Contains("too many requests in flight"));
  CHECK(b.on([&] { return b.transport->stats().requests_shed; }) == 1);
  // Another peer's request still reaches the handler.
  auto from_other = other.request(b.id.hex(), "/slow/1", "y");
  REQUIRE(b.wait([](TestNode& n) { return n.held.size() == 5; }));
  // Answering one of the flooder's frees a slot for it again.
  b.on([&] { b.transport->reply(b.held[0], BUTTER_OK, bytes("done")); });
  CHECK(flooder.wait_outcome(held[0]).status == BUTTER_OK);
  flooder.request(b.id.hex(), "/slow/1", "z");
  REQUIRE(b.wait([](TestNode& n) { return n.held.size() == 6; }));
  CHECK(b.on([&] { return b.transport->stats().requests_shed; }) == 1);
}
