// Clear tails (issue 18: a relay must not encrypt relayed ciphertext a second time): a frame may
// end in bytes its sender's plugin protects end to end, which cross an encrypted hop as the secure
// channel's clear segments (frame.hpp, secure_channel.hpp). These tests pin what makes that safe:
// the decoder takes clear bytes only as the tail a sealed frame head declared, nowhere else and no
// more, and joins a whole tail to its head where it was read; the channel hands segments on marked.
// Over real connections: clear_tail_connection_test.cpp.
#include "clear_tail_fixture.hpp"
#include "transport/read_buffer.hpp"

#include <butter/wire.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace butter::host;
using namespace butter::test;

namespace {

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
  const std::size_t at = wire.size();  // where the tail's segment begins
  append_clear(wire, tail);
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
  append_clear(wire, tail);
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
