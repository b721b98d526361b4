// Clear tails over real connections (issue 18; the decoder's and channel's rules are pinned in
// clear_tail_test.cpp): the tail arrives whole and unsealed where both sides take it, a relay's
// tails leave after the strand turn in one write, and a peer that did not announce the feature,
// or sends a clear segment outside a declared tail, gets nothing unsealed or loses its connection.
#include "clear_tail_fixture.hpp"
#include "raw_client.hpp"
#include "transport/connection.hpp"

#include <catch2/catch.hpp>

#include <array>

using namespace butter::host;
using namespace butter::test;

namespace {

// One request answered proves the peer's features message arrived: the peer sends it when the
// connection is up, before it can answer anything on it.
void round_trip(TestNode& a, TestNode& b) {
  auto out = a.request(b.id.hex(), "/test/echo/1", "x");
  CHECK(a.wait_outcome(out).status == BUTTER_OK);
}

// A raw peer past its handshake says HELLO; waits until the node has it as a peer.
void hello_and_wait(TestNode& n, RawSecureClient& peer) {
  REQUIRE(peer.ch.established());
  peer.hello();
  REQUIRE(n.wait([&](TestNode& x) { return x.transport->is_connected(peer.identity->id()); }));
}

}  // namespace

TEST_CASE("send_sealed carries its tail unsealed to a peer that takes it, and the handler sees head then tail",
          "[clear-tail]") {
  IoThread t;
  TestNode a(t.io, {}, echo_handler()), b(t.io, {}, echo_handler());
  connect(a, b);
  round_trip(a, b);
  const Bytes head = pattern(10, 1), tail = pattern(200 * 1024 + 7, 2);
  auto e = a.on([&] { return a.transport->send_sealed(b.id.hex(), kProto, head, tail); });
  REQUIRE_FALSE(e);
  REQUIRE(b.wait([](TestNode& n) { return !n.messages.empty(); }));
  const auto msgs = b.on([&] { return b.messages; });
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].protocol == kProto);
  std::string want(head.begin(), head.end());
  want.append(tail.begin(), tail.end());
  CHECK(msgs[0].payload == want);
  CHECK(a.stats().clear_tail_bytes_out == tail.size());
  CHECK(b.stats().clear_tail_bytes_in == tail.size());
  CHECK(b.stats().malformed_frames == 0);
  // The other way too, many at once (frames with tails interleaved with sealed ones in one write).
  for (int i = 0; i < 20; ++i) {
    REQUIRE_FALSE(b.on([&] { return b.transport->send_sealed(a.id.hex(), kProto, head, pattern(1000 + i, 3)); }));
    REQUIRE_FALSE(b.on([&] { return b.transport->send(a.id.hex(), kProto, pattern(50, 4)); }));
  }
  REQUIRE(a.wait([](TestNode& n) { return n.messages.size() == 40; }));
  const auto back = a.on([&] { return a.messages; });
  for (int i = 0; i < 20; ++i) {
    CHECK(back[2 * static_cast<std::size_t>(i)].payload.size() == head.size() + 1000 + static_cast<std::size_t>(i));
    CHECK(back[2 * static_cast<std::size_t>(i) + 1].payload.size() == 50);
  }
  CHECK(a.stats().malformed_frames == 0);
}

TEST_CASE("tails sent in one strand turn leave in one write after it", "[clear-tail]") {
  // A relay forwards the Data messages of a whole read in one turn; one write for all of them is
  // one wake-up of the next hop instead of several (Connection::flush_after_turn).
  IoThread t;
  TestNode a(t.io, {}, echo_handler()), b(t.io, {}, echo_handler());
  connect(a, b);
  round_trip(a, b);
  const Bytes head = pattern(10, 1);
  const auto writes = a.on([&] {
    const std::uint64_t before = a.transport->stats().writes;
    for (int i = 0; i < 8; ++i)
      REQUIRE_FALSE(
          a.transport->send_sealed(b.id.hex(), kProto, head, pattern(10 * 1024 + static_cast<std::size_t>(i), 2)));
    CHECK(a.transport->stats().writes == before);  // nothing written during the turn
    return before;
  });
  REQUIRE(b.wait([](TestNode& n) { return n.messages.size() == 8; }));
  CHECK(a.stats().writes == writes + 1);
  const auto got = b.on([&] { return b.messages; });
  for (std::size_t i = 0; i < 8; ++i) CHECK(got[i].payload.size() == head.size() + 10 * 1024 + i);
  CHECK(b.stats().clear_tail_bytes_in == 8 * 10 * 1024 + 28);
}

TEST_CASE("in plaintext mode send_sealed goes as send, and nothing crosses as a clear tail", "[clear-tail]") {
  IoThread t;
  auto plaintext = [](TransportOptions& o) { o.plaintext = true; };
  TestNode a(t.io, plaintext, echo_handler()), b(t.io, plaintext, echo_handler());
  connect(a, b);
  round_trip(a, b);
  REQUIRE_FALSE(a.on([&] { return a.transport->send_sealed(b.id.hex(), kProto, pattern(3, 1), pattern(5000, 2)); }));
  REQUIRE(b.wait([](TestNode& n) { return !n.messages.empty(); }));
  CHECK(b.on([&] { return b.messages[0].payload.size(); }) == 5003);
  CHECK(a.stats().clear_tail_bytes_out == 0);
  CHECK(b.stats().clear_tail_bytes_in == 0);
}

TEST_CASE("a peer that never said it takes clear tails gets the whole frame sealed", "[clear-tail]") {
  // An older node: it runs the handshake and HELLO but sends no features message.
  IoThread t;
  TestNode n(t.io);
  RawSecureClient old(n.uri);
  hello_and_wait(n, old);
  REQUIRE_FALSE(n.on(
      [&] { return n.transport->send_sealed(old.identity->id().hex(), kProto, pattern(4, 1), pattern(3000, 2)); }));
  // It reads ordinary frames only (feed/next take no clear tails): the message must come as one.
  std::optional<Frame> got;
  std::array<std::uint8_t, 4096> buf;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!got && std::chrono::steady_clock::now() < deadline) {
    FrameView v;
    bool failed = false;
    for (auto st = old.decoder.next(v); st != FrameDecoder::Status::kNeedMore; st = old.decoder.next(v)) {
      if (st == FrameDecoder::Status::kError) {
        failed = true;
        break;
      }
      if (v.type == FrameType::kOneway && v.protocol == kProto) got = v.to_frame();
    }
    REQUIRE_FALSE(failed);
    if (got) break;
    boost::system::error_code ec;
    auto k = old.s.read_some(boost::asio::buffer(buf), ec);
    REQUIRE_FALSE(ec);
    Bytes wire, plain_bytes;
    REQUIRE(old.ch.feed({buf.data(), k}, wire, plain_bytes));  // fails on a clear segment
    old.decoder.feed(plain_bytes);
  }
  REQUIRE(got);
  CHECK(got->flags == 0);
  CHECK(got->payload.size() == 3004);
  CHECK(n.stats().clear_tail_bytes_out == 0);
}

TEST_CASE("a clear segment a peer sends outside a declared tail closes its connection", "[clear-tail]") {
  IoThread t;
  TestNode n(t.io);
  RawSecureClient peer(n.uri);
  hello_and_wait(n, peer);
  // A forged frame in a clear segment: were it read as frames, it would be a message.
  const Bytes forged = encode_frame(oneway(10, 1));
  Bytes wire(SecureChannel::clear_size(forged.size()));
  SecureChannel::write_clear(forged, wire.data());
  peer.write(wire);
  CHECK(peer.closed_by_server());
  CHECK(n.stats().malformed_frames == 1);
  CHECK(n.on([&] { return n.messages.size(); }) == 0);
}

TEST_CASE("a flagged frame whose tail a peer sends as clear segments reaches the handler whole", "[clear-tail]") {
  IoThread t;
  TestNode n(t.io);
  RawSecureClient peer(n.uri);
  hello_and_wait(n, peer);
  const Bytes head = pattern(6, 1), tail = pattern(90 * 1024, 2);
  Bytes wire;
  REQUIRE(peer.ch.seal(sealed_part(head, tail.size()), wire));
  append_clear(wire, tail);
  peer.write(wire);
  REQUIRE(n.wait([](TestNode& x) { return !x.messages.empty(); }));
  std::string want(head.begin(), head.end());
  want.append(tail.begin(), tail.end());
  CHECK(n.on([&] { return n.messages[0].payload; }) == want);
  CHECK(n.stats().clear_tail_bytes_in == tail.size());
  CHECK(n.stats().malformed_frames == 0);
}
