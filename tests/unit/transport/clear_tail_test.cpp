// Clear tails (issue 18: a relay must not encrypt relayed ciphertext a second time): a frame may
// end in bytes its sender's plugin protects end to end, which cross an encrypted hop as the secure
// channel's clear segments (frame.hpp, secure_channel.hpp). These tests pin what makes that safe:
// the decoder takes clear bytes only as the tail a sealed frame head declared, nowhere else and no
// more; the channel hands segments on marked; a peer that did not announce the feature never gets
// one; and over real connections the tail arrives whole, unsealed, where both sides take it.
#include "channel_fixture.hpp"
#include "raw_client.hpp"
#include "transport/connection.hpp"
#include "transport/read_buffer.hpp"

#include <butter/wire.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace butter::host;
using namespace butter::test;

namespace {

const std::string kProto = "/test/relay/1";

// The bytes of a flagged one-way frame that travel in the plain (sealed) stream: its head, the
// tail's length and the authenticated head of the payload.
Bytes sealed_part(const Bytes& head, std::size_t tail) {
  Bytes b = encode_frame_head(FrameType::kOneway, 0, 0, kProto, head.size() + tail, tail);
  b.insert(b.end(), head.begin(), head.end());
  return b;
}

struct Collected {
  std::vector<Frame> frames;
  FrameDecoder::Status last = FrameDecoder::Status::kNeedMore;
};

void plain(FrameDecoder& d, const Bytes& b, Collected& c) {
  c.last = d.consume(b, [&](const FrameView& f) {
    c.frames.push_back(f.to_frame());
    return true;
  });
}
void clear(FrameDecoder& d, const Bytes& b, Collected& c) {
  c.last = d.consume_clear(b, [&](const FrameView& f) {
    c.frames.push_back(f.to_frame());
    return true;
  });
}
Bytes slice(const Bytes& b, std::size_t from, std::size_t n) {
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(from + n));
}

}  // namespace

TEST_CASE("a frame with a clear tail completes only once its tail arrives as clear bytes", "[clear-tail]") {
  const Bytes head = pattern(10, 1), tail = pattern(100 * 1024, 2);
  const Bytes sealed = sealed_part(head, tail.size());
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, sealed.size()}) {
    INFO("sealed part in pieces of " << piece);
    FrameDecoder d;
    Collected c;
    for (std::size_t at = 0; at < sealed.size(); at += piece) {
      plain(d, slice(sealed, at, std::min(piece, sealed.size() - at)), c);
      REQUIRE(c.last == FrameDecoder::Status::kNeedMore);
    }
    CHECK(c.frames.empty());
    CHECK(d.clear_due() == tail.size());
    // The tail in two segments, as a channel cuts one larger than a record.
    clear(d, slice(tail, 0, 64 * 1024), c);
    REQUIRE(c.last == FrameDecoder::Status::kNeedMore);
    CHECK(c.frames.empty());
    clear(d, slice(tail, 64 * 1024, tail.size() - 64 * 1024), c);
    REQUIRE(c.last == FrameDecoder::Status::kNeedMore);
    REQUIRE(c.frames.size() == 1);
    const Frame& f = c.frames[0];
    CHECK(f.type == FrameType::kOneway);
    CHECK(f.flags == kFrameFlagClearTail);
    CHECK(f.protocol == kProto);
    Bytes want = head;
    want.insert(want.end(), tail.begin(), tail.end());
    CHECK(f.payload == want);  // the payload is head || tail; the length field is not part of it
    CHECK(d.clear_due() == 0);
    CHECK(d.buffered() == 0);
    // The stream goes on with ordinary frames.
    plain(d, encode_frame(oneway(33, 3)), c);
    REQUIRE(c.frames.size() == 2);
    CHECK(c.frames[1] == oneway(33, 3));
  }
}

TEST_CASE("frames before a clear-tail head in the same read are handed out, and the tail is then due", "[clear-tail]") {
  const Bytes head = pattern(3, 4), tail = pattern(500, 5);
  Bytes read = encode_frame(oneway(20, 6));
  const Bytes s = sealed_part(head, tail.size());
  read.insert(read.end(), s.begin(), s.end());
  FrameDecoder d;
  Collected c;
  plain(d, read, c);
  REQUIRE(c.last == FrameDecoder::Status::kNeedMore);
  REQUIRE(c.frames.size() == 1);
  CHECK(d.clear_due() == tail.size());
  clear(d, tail, c);
  REQUIRE(c.frames.size() == 2);
  CHECK(c.frames[1].payload.size() == head.size() + tail.size());
}

TEST_CASE("plain bytes where a clear tail is due are refused", "[clear-tail]") {
  const Bytes head = pattern(4, 7);
  const Bytes s = sealed_part(head, 50);
  SECTION("in the same read as the sealed part") {
    Bytes read = s;
    read.push_back(0);
    FrameDecoder d;
    Collected c;
    plain(d, read, c);
    CHECK(c.last == FrameDecoder::Status::kError);
    CHECK(d.error() == "plain bytes arrived where a frame's clear tail was due");
  }
  SECTION("in a later read") {
    FrameDecoder d;
    Collected c;
    plain(d, s, c);
    REQUIRE(d.clear_due() == 50);
    plain(d, encode_frame(oneway(5, 8)), c);
    CHECK(c.last == FrameDecoder::Status::kError);
    CHECK(d.error() == "plain bytes arrived where a frame's clear tail of 50 bytes was due");
    CHECK(c.frames.empty());
  }
  SECTION("in the read that completes the sealed part of a buffered frame") {
    FrameDecoder d;
    Collected c;
    plain(d, slice(s, 0, 5), c);
    Bytes rest = slice(s, 5, s.size() - 5);
    rest.push_back(1);
    plain(d, rest, c);
    CHECK(c.last == FrameDecoder::Status::kError);
  }
}

TEST_CASE("clear bytes where no tail is due, or more than is due, are refused", "[clear-tail]") {
  SECTION("none due") {
    FrameDecoder d;
    Collected c;
    clear(d, pattern(8, 9), c);
    CHECK(c.last == FrameDecoder::Status::kError);
    CHECK(d.error() == "clear bytes arrived where no frame's clear tail was due");
  }
  SECTION("a frame's head only partly here") {
    FrameDecoder d;
    Collected c;
    const Bytes s = sealed_part(pattern(4, 1), 10);
    plain(d, slice(s, 0, s.size() - 1), c);
    clear(d, pattern(10, 2), c);
    CHECK(c.last == FrameDecoder::Status::kError);
  }
  SECTION("more than due") {
    FrameDecoder d;
    Collected c;
    plain(d, sealed_part(pattern(4, 1), 10), c);
    clear(d, pattern(11, 2), c);
    CHECK(c.last == FrameDecoder::Status::kError);
    CHECK(d.error() == "a clear segment of 11 bytes overruns the frame's clear tail (10 bytes due)");
    CHECK(c.frames.empty());
  }
}

TEST_CASE("a clear-tail field out of bounds, unknown flag bits and a HELLO with a tail are refused", "[clear-tail]") {
  auto error_of = [](Bytes b) {
    FrameDecoder d;
    Collected c;
    plain(d, b, c);
    return c.last == FrameDecoder::Status::kError ? d.error() : std::string("accepted");
  };
  Bytes zero = sealed_part(pattern(4, 1), 1);
  butter::wire::put_u32(zero.data() + kFrameHeaderBytes + kProto.size(), 0);
  CHECK(error_of(zero) == "clear tail of 0 bytes in a payload of 5 bytes");
  Bytes over = sealed_part(pattern(4, 1), 1);
  butter::wire::put_u32(over.data() + kFrameHeaderBytes + kProto.size(), 6);
  CHECK(error_of(over) == "clear tail of 6 bytes in a payload of 5 bytes");
  Bytes bits = sealed_part(pattern(4, 1), 1);
  bits[5] = 0x03;
  CHECK(error_of(bits) == "frame flags 0x03 have unknown bits");
  Bytes hello = encode_frame_head(FrameType::kHello, 0, 0, {}, 10, 4);
  CHECK(error_of(hello) == "a HELLO with a clear tail");
  // A flagged frame too short to hold the field.
  Bytes tiny = encode_frame_head(FrameType::kOneway, 0, 0, kProto, 0);
  tiny[5] = kFrameFlagClearTail;
  CHECK(error_of(tiny) == "clear-tail field overruns a frame of " + std::to_string(16 + kProto.size()) + " bytes");
}

namespace {

// A read buffer: `headroom` bytes of something already handed on, then the tail as it was read.
struct ReadAt {
  Bytes buf;
  std::span<std::uint8_t> tail;
  ReadAt(std::size_t headroom, const Bytes& t) : buf(headroom, std::uint8_t{0xAA}) {
    buf.insert(buf.end(), t.begin(), t.end());
    tail = std::span<std::uint8_t>(buf).subspan(headroom);
  }
  bool holds(const std::uint8_t* p) const { return p >= buf.data() && p < buf.data() + buf.size(); }
};

}  // namespace

TEST_CASE("a clear tail that arrives whole is joined to its head in the reader's buffer, not copied",
          "[clear-tail][zero-copy]") {
  const Bytes head = pattern(10, 1), tail = pattern(64 * 1024, 2);
  const Bytes sealed = sealed_part(head, tail.size());
  Bytes want = head;
  want.insert(want.end(), tail.begin(), tail.end());
  // Room for the sealed part before the tail: the frame is parsed there.
  for (std::size_t extra : {std::size_t{0}, std::size_t{20}}) {
    INFO("headroom: the sealed part plus " << extra);
    FrameDecoder d;
    Collected c;
    plain(d, sealed, c);
    ReadAt r(sealed.size() + extra, tail);
    const std::uint8_t* payload_at = nullptr;
    const auto st = d.consume_clear(r.tail, r.buf.size() - r.tail.size(), [&](const FrameView& f) {
      payload_at = f.payload.data();
      c.frames.push_back(f.to_frame());
      return true;
    });
    CHECK(st == FrameDecoder::Status::kNeedMore);
    REQUIRE(c.frames.size() == 1);
    CHECK(c.frames[0].payload == want);
    CHECK(c.frames[0].protocol == kProto);
    CHECK(r.holds(payload_at));  // in the reader's buffer
    CHECK(d.buffered() == 0);
    CHECK(d.buffered_capacity() <= kIdleBufferKeep);
    // What lies before the headroom it used is untouched.
    CHECK(std::all_of(r.buf.begin(), r.buf.begin() + static_cast<std::ptrdiff_t>(extra),
                      [](std::uint8_t b) { return b == 0xAA; }));
  }
  // One byte short of room, or the tail in two pieces: the decoder copies, and the frame is the same.
  {
    FrameDecoder d;
    Collected c;
    plain(d, sealed, c);
    ReadAt r(sealed.size() - 1, tail);
    const std::uint8_t* payload_at = nullptr;
    d.consume_clear(r.tail, r.buf.size() - r.tail.size(), [&](const FrameView& f) {
      payload_at = f.payload.data();
      c.frames.push_back(f.to_frame());
      return true;
    });
    REQUIRE(c.frames.size() == 1);
    CHECK(c.frames[0].payload == want);
    CHECK_FALSE(r.holds(payload_at));
    CHECK(std::all_of(r.buf.begin(), r.buf.begin() + static_cast<std::ptrdiff_t>(sealed.size() - 1),
                      [](std::uint8_t b) { return b == 0xAA; }));  // nothing written before the tail
  }
  {
    FrameDecoder d;
    Collected c;
    plain(d, sealed, c);
    ReadAt r(sealed.size(), tail);
    const auto on = [&](const FrameView& f) {
      c.frames.push_back(f.to_frame());
      return true;
    };
    CHECK(d.consume_clear(r.tail.first(1000), sealed.size(), on) == FrameDecoder::Status::kNeedMore);
    CHECK(c.frames.empty());
    d.consume_clear(r.tail.subspan(1000), sealed.size() + 1000, on);
    REQUIRE(c.frames.size() == 1);
    CHECK(c.frames[0].payload == want);
  }
  // More than is due is refused as before, whatever the headroom.
  {
    FrameDecoder d;
    Collected c;
    plain(d, sealed, c);
    Bytes longer = tail;
    longer.push_back(0);
    ReadAt r(sealed.size(), longer);
    CHECK(d.consume_clear(r.tail, sealed.size(), [](const FrameView&) { return true; }) ==
          FrameDecoder::Status::kError);
  }
}

TEST_CASE("the secure channel tells the sink how much before a clear segment it may overwrite",
          "[clear-tail][zero-copy]") {
  // A sealed head and its tail in one read, as a relay receives a Data message: the head's record
  // was handed on first, so the decoder joins the frame in the read buffer over the record's tag and
  // the segment's header.
  ChannelPair p;
  const Bytes head = pattern(10, 1), tail = pattern(64 * 1024, 2);
  Bytes wire;
  REQUIRE(p.a.seal(sealed_part(head, tail.size()), wire));
  const std::size_t at = wire.size();
  wire.resize(at + SecureChannel::clear_size(tail.size()));
  SecureChannel::write_clear(tail, wire.data() + at);
  FrameDecoder d;
  std::vector<Frame> frames;
  const std::uint8_t* payload_at = nullptr;
  std::vector<std::size_t> headrooms;
  const auto on_frame = [&](const FrameView& f) {
    payload_at = f.payload.data();
    frames.push_back(f.to_frame());
    return true;
  };
  Bytes none;
  REQUIRE(p.b.feed_in_place(wire, none, [&](std::span<std::uint8_t> b, bool is_clear, std::size_t headroom) {
    headrooms.push_back(headroom);
    const auto st = is_clear ? d.consume_clear(b, headroom, on_frame) : d.consume(b, on_frame);
    return st != FrameDecoder::Status::kError;
  }));
  REQUIRE(headrooms.size() == 2);
  CHECK(headrooms[0] == 0);
  CHECK(headrooms[1] == at + SecureChannel::kClearHeaderBytes);  // all of the record, and the segment's header
  REQUIRE(frames.size() == 1);
  Bytes want = head;
  want.insert(want.end(), tail.begin(), tail.end());
  CHECK(frames[0].payload == want);
  CHECK((payload_at >= wire.data() && payload_at < wire.data() + wire.size()));
}

TEST_CASE("clear segments pass the secure channel unsealed and marked, in stream order", "[clear-tail]") {
  ChannelPair p;
  const Bytes one = pattern(100, 1), tail = pattern(70 * 1024, 2), two = pattern(40, 3);
  Bytes wire;
  REQUIRE(p.a.seal(one, wire));
  const std::size_t at = wire.size();
  wire.resize(at + SecureChannel::clear_size(tail.size()));
  SecureChannel::write_clear(tail, wire.data() + at);
  CHECK(SecureChannel::clear_size(tail.size()) == tail.size() + 8);  // two segments
  REQUIRE(p.a.seal(two, wire));
  // The tail is on the wire as it is: nothing of it was encrypted.
  CHECK(std::search(wire.begin(), wire.end(), tail.begin(), tail.begin() + 1000) != wire.end());

  std::vector<std::pair<Bytes, bool>> got;
  Bytes none;
  REQUIRE(p.b.feed_in_place(wire, none, [&](std::span<std::uint8_t> b, bool is_clear, std::size_t) {
    got.emplace_back(Bytes(b.begin(), b.end()), is_clear);
    return true;
  }));
  REQUIRE(got.size() == 4);
  CHECK((got[0].first == one && !got[0].second));
  CHECK(got[1].second);
  CHECK(got[2].second);
  Bytes joined = got[1].first;
  joined.insert(joined.end(), got[2].first.begin(), got[2].first.end());
  CHECK(joined == tail);
  CHECK((got[3].first == two && !got[3].second));
  // Records after the segments still open: segments use no record counter.
  CHECK(p.b.established());
}

TEST_CASE("the channel does not judge a clear segment's bytes: a tampered one arrives tampered", "[clear-tail]") {
  // What makes that safe is the frame decoder (above) and the end-to-end channel the bytes belong
  // to; this pins that the hop itself authenticates nothing of them, as ext/net.h says.
  ChannelPair p;
  Bytes wire(SecureChannel::clear_size(16));
  SecureChannel::write_clear(pattern(16, 4), wire.data());
  wire[10] ^= 0x01;
  Bytes none, got;
  REQUIRE(p.b.feed_in_place(wire, none, [&](std::span<std::uint8_t> b, bool, std::size_t) {
    got.assign(b.begin(), b.end());
    return true;
  }));
  CHECK(got != pattern(16, 4));
  CHECK(got.size() == 16);
}

TEST_CASE("a clear segment of no bytes or over a record is refused, and feed() takes none", "[clear-tail]") {
  for (std::uint32_t n : {0u, static_cast<std::uint32_t>(SecureChannel::kMaxRecordPlaintext + 1)}) {
    ChannelPair p;
    Bytes wire(4);
    butter::wire::put_u32(wire.data(), SecureChannel::kClearSegmentBit | n);
    Bytes none;
    CHECK_FALSE(p.b.feed_in_place(wire, none, [](std::span<std::uint8_t>, bool, std::size_t) { return true; }));
    CHECK(p.b.error() == "clear segment length " + std::to_string(n) + " out of bounds");
  }
  ChannelPair p;
  Bytes wire(SecureChannel::clear_size(5));
  SecureChannel::write_clear(pattern(5, 1), wire.data());
  Bytes out, plain_bytes;
  CHECK_FALSE(p.b.feed(wire, out, plain_bytes));
  CHECK(p.b.error() == "a clear segment where only records are taken");
}

// ---- over real connections ------------------------------------------------------------------

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
  const std::size_t at = wire.size();
  wire.resize(at + SecureChannel::clear_size(tail.size()));
  SecureChannel::write_clear(tail, wire.data() + at);
  peer.write(wire);
  REQUIRE(n.wait([](TestNode& x) { return !x.messages.empty(); }));
  std::string want(head.begin(), head.end());
  want.append(tail.begin(), tail.end());
  CHECK(n.on([&] { return n.messages[0].payload; }) == want);
  CHECK(n.stats().clear_tail_bytes_in == tail.size());
  CHECK(n.stats().malformed_frames == 0);
}
