// The transport's zero-copy paths (issue 18): FrameDecoder::consume parses frames where they were
// read and copies only a frame cut by the end of a read; SecureChannel::feed_in_place decrypts
// records in the bytes it is given; seal_into / ChaChaPoly::seal_gather seal a frame given in
// pieces without joining them, to the same bytes as sealing the joined message.
#include "channel_fixture.hpp"
#include "core/identity.hpp"
#include "transport/aead.hpp"
#include "transport/frame.hpp"
#include "transport/read_buffer.hpp"
#include "transport/secure_channel.hpp"

#include <sodium.h>

#include <catch2/catch.hpp>

#include <random>

using namespace butter::host;
using namespace butter::test;

namespace {

bool inside(const void* p, std::size_t n, const Bytes& buf) {
  auto* b = static_cast<const std::uint8_t*>(p);
  return b >= buf.data() && b + n <= buf.data() + buf.size();
}

struct Decoded {
  std::vector<Frame> frames;
  std::size_t in_place = 0;  // frames whose payload pointed into the bytes of that consume() call
};

// Hands `stream` to d.consume() in pieces of the given sizes (cycling), copying each piece into a
// buffer of its own first, as a socket read would.
Decoded consume_in_pieces(FrameDecoder& d, const Bytes& stream, std::vector<std::size_t> sizes) {
  Decoded out;
  std::size_t off = 0, i = 0;
  while (off < stream.size()) {
    const std::size_t n = std::min(sizes[i++ % sizes.size()], stream.size() - off);
    const Bytes read(stream.begin() + static_cast<std::ptrdiff_t>(off),
                     stream.begin() + static_cast<std::ptrdiff_t>(off + n));
    off += n;
    const auto s = d.consume(read, [&](const FrameView& f) {
      if (inside(f.payload.data(), f.payload.size(), read)) ++out.in_place;
      out.frames.push_back(f.to_frame());
      return true;
    });
    REQUIRE(s == FrameDecoder::Status::kNeedMore);
  }
  return out;
}

Bytes joined(const std::vector<Frame>& frames) {
  Bytes b;
  for (const auto& f : frames) {
    auto e = encode_frame(f);
    b.insert(b.end(), e.begin(), e.end());
  }
  return b;
}

}  // namespace

TEST_CASE("consume hands out frames that lie whole in a read without copying them", "[zero-copy]") {
  FrameDecoder d;
  const std::vector<Frame> sent{oneway(10, 1), oneway(0, 2), oneway(3000, 3), oneway(70000, 4), oneway(5, 5)};
  const Bytes stream = joined(sent);
  auto got = consume_in_pieces(d, stream, {stream.size()});  // many frames in one read
  REQUIRE(got.frames == sent);
  CHECK(got.in_place == sent.size());
  CHECK(d.buffered() == 0);
  CHECK(d.buffered_capacity() == 0);  // nothing was ever copied into the decoder
}

TEST_CASE("consume splits reads across frame boundaries at every offset", "[zero-copy]") {
  const std::vector<Frame> sent{oneway(33, 1), oneway(200, 2), oneway(1, 3)};
  const Bytes stream = joined(sent);
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    INFO("first read of " << cut << " bytes");
    FrameDecoder d;
    auto got = consume_in_pieces(d, stream, {cut, stream.size()});
    REQUIRE(got.frames == sent);
    CHECK(d.buffered() == 0);
  }
}

TEST_CASE("consume assembles a frame that arrives in many pieces", "[zero-copy]") {
  const std::vector<Frame> sent{oneway(5000, 7), oneway(300, 8)};
  const Bytes stream = joined(sent);
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{19}, std::size_t{1000}}) {
    INFO("pieces of " << piece);
    FrameDecoder d;
    auto got = consume_in_pieces(d, stream, {piece});
    REQUIRE(got.frames == sent);
    CHECK(d.buffered() == 0);
    CHECK(d.buffered_capacity() <= kIdleBufferKeep);
  }
  // Random cuts, many frames: the same frames in the same order.
  std::mt19937 rng(18);
  std::vector<Frame> many;
  for (unsigned i = 0; i < 200; ++i) many.push_back(oneway(rng() % 3000, i));
  const Bytes all = joined(many);
  std::vector<std::size_t> sizes;
  for (int i = 0; i < 50; ++i) sizes.push_back(1 + rng() % 9000);
  FrameDecoder d;
  CHECK(consume_in_pieces(d, all, sizes).frames == many);
}

TEST_CASE("consume takes a frame of exactly the maximum size and refuses one byte more with the reason",
          "[zero-copy]") {
  const std::size_t max = 100000;
  Frame at_max = oneway(0, 1);
  at_max.payload = pattern(max - kFrameHeaderRest - at_max.protocol.size(), 9);
  FrameDecoder d(max);
  auto got = consume_in_pieces(d, encode_frame(at_max), {65536});
  REQUIRE(got.frames.size() == 1);
  CHECK(got.frames[0] == at_max);

  Frame over = at_max;
  over.payload.push_back(0);
  FrameDecoder e(max);
  const Bytes bytes = encode_frame(over);
  bool called = false;
  // The length prefix alone is enough to refuse it: nothing of the frame is buffered.
  CHECK(e.consume(std::span<const std::uint8_t>(bytes.data(), 4), [&](const FrameView&) { return called = true; }) ==
        FrameDecoder::Status::kError);
  CHECK_FALSE(called);
  CHECK(e.error() == "frame of 100001 bytes exceeds the 100000-byte limit");
  CHECK(e.buffered_capacity() == 0);
  CHECK(e.consume(bytes, [&](const FrameView&) { return called = true; }) == FrameDecoder::Status::kError);
  CHECK_FALSE(called);
}

TEST_CASE("consume gives back a large frame's buffer once it is handed out and holds a declared frame lazily",
          "[zero-copy]") {
  FrameDecoder d;
  const Frame big = oneway(1 << 20, 3);
  const Frame small = oneway(100, 4);
  Bytes stream = encode_frame(big);
  const Bytes tail = encode_frame(small);
  stream.insert(stream.end(), tail.begin(), tail.end());
  auto got = consume_in_pieces(d, stream, {65536, 7, 65536 + 21});
  REQUIRE(got.frames == std::vector<Frame>{big, small});
  CHECK(d.buffered() == 0);
  CHECK(d.buffered_capacity() <= kIdleBufferKeep);

  // A peer that declares a 16 MiB frame and sends 30 bytes of it makes this node hold 30 bytes.
  Bytes liar = encode_frame_head(FrameType::kOneway, 0, 0, "/x", 16 * 1024 * 1024 - 100);
  liar.resize(30, 0);
  FrameDecoder e;
  CHECK(e.consume(liar, [](const FrameView&) { return true; }) == FrameDecoder::Status::kNeedMore);
  CHECK(e.buffered() == 30);
  CHECK(e.buffered_capacity() < 64);
}

TEST_CASE("consume stops where on_frame says the connection closed", "[zero-copy]") {
  FrameDecoder d;
  const Bytes stream = joined({oneway(1, 1), oneway(2, 2), oneway(3, 3)});
  int seen = 0;
  CHECK(d.consume(stream, [&](const FrameView&) { return ++seen < 2; }) == FrameDecoder::Status::kFrame);
  CHECK(seen == 2);
}

TEST_CASE("records are decrypted where they were read and sealed from pieces to the same plaintext", "[zero-copy]") {
  ChannelPair p;
  const Bytes head = pattern(37, 1), payload = pattern(200000, 2), small = pattern(5, 3);
  const std::span<const std::uint8_t> pieces[] = {head, payload, {}, small};
  const std::size_t total = head.size() + payload.size() + small.size();
  Bytes wire(p.a.sealed_size(total));
  REQUIRE(p.a.seal_into(pieces, wire.data()));
  CHECK(wire.size() == total + 4 * (4 + SecureChannel::kTagBytes));  // four records: 64 KiB x3 + rest

  Bytes expect = head;
  expect.insert(expect.end(), payload.begin(), payload.end());
  expect.insert(expect.end(), small.begin(), small.end());

  // Whole records in one read: every record's plaintext points into the read itself. The last,
  // small one (3 434 bytes) comes joined to the one before it (SecureChannel::kJoinRatio); the
  // three records of 64 KiB come one by one (records of similar size are never moved).
  Bytes read = wire, plain, none;
  std::size_t records = 0, in_place = 0;
  REQUIRE(p.b.feed_in_place(read, none, [&](std::span<std::uint8_t> pt, bool, std::size_t) {
    ++records;
    if (inside(pt.data(), pt.size(), read)) ++in_place;
    plain.insert(plain.end(), pt.begin(), pt.end());
    return true;
  }));
  CHECK(none.empty());
  CHECK(records == 3);
  CHECK(in_place == 3);
  CHECK(plain == expect);
  CHECK(p.b.buffered_capacity() == 0);

  // The other way, cut everywhere: records cut by a read are completed in the channel's buffer.
  Bytes back(p.b.sealed_size(total));
  REQUIRE(p.b.seal_into(pieces, back.data()));
  plain.clear();
  for (std::size_t off = 0; off < back.size();) {
    const std::size_t n = std::min<std::size_t>(40001, back.size() - off);
    Bytes piece(back.begin() + static_cast<std::ptrdiff_t>(off), back.begin() + static_cast<std::ptrdiff_t>(off + n));
    off += n;
    REQUIRE(p.a.feed_in_place(piece, none, [&](std::span<std::uint8_t> pt, bool, std::size_t) {
      plain.insert(plain.end(), pt.begin(), pt.end());
      return true;
    }));
  }
  CHECK(plain == expect);
  CHECK(p.a.buffered_capacity() <= kIdleBufferKeep);
}

TEST_CASE("a frame a little larger than a record is parsed where it was read and not copied", "[zero-copy]") {
  // The 64 KiB echo's frame: a payload of 64 KiB and its head do not fit in one record, so they
  // cross as 64 KiB and then the head's few bytes. The channel hands the two records on as one
  // span, and the decoder finds the frame whole in it.
  ChannelPair p;
  const Frame f{FrameType::kRequest, 0, 7, 0, "/echo/1", pattern(64 * 1024, 5)};
  const Bytes frame = encode_frame(f);
  const Bytes after = encode_frame(Frame{FrameType::kOneway, 0, 0, 0, "/next/1", pattern(300, 6)});
  const std::span<const std::uint8_t> pieces[] = {frame, after};
  Bytes read(p.a.sealed_size(frame.size() + after.size()));
  REQUIRE(p.a.seal_into(pieces, read.data()));
  REQUIRE(read.size() == frame.size() + after.size() + 2 * (4 + SecureChannel::kTagBytes));  // two records

  FrameDecoder d;
  Decoded got;
  std::size_t calls = 0;
  Bytes none;
  REQUIRE(p.b.feed_in_place(read, none, [&](std::span<std::uint8_t> pt, bool clear, std::size_t) {
    ++calls;
    CHECK_FALSE(clear);
    CHECK(inside(pt.data(), pt.size(), read));
    return d.consume(pt, [&](const FrameView& v) {
      if (inside(v.payload.data(), v.payload.size(), read)) ++got.in_place;
      got.frames.push_back(v.to_frame());
      return true;
    }) == FrameDecoder::Status::kNeedMore;
  }));
  CHECK(calls == 1);
  REQUIRE(got.frames.size() == 2);
  CHECK(got.frames[0] == f);
  CHECK(got.frames[1].protocol == "/next/1");
  CHECK(got.in_place == 2);           // both parsed in the read
  CHECK(d.buffered_capacity() == 0);  // nothing was kept to join

  // Cut between the two records, the second arrives in a read of its own: no join, the decoder
  // completes the frame in its buffer, to the same frame.
  ChannelPair q;
  Bytes wire(q.a.sealed_size(frame.size()));
  const std::span<const std::uint8_t> one[] = {frame};
  REQUIRE(q.a.seal_into(one, wire.data()));
  const std::size_t first = 4 + 64 * 1024 + SecureChannel::kTagBytes;
  Bytes r1(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(first));
  Bytes r2(wire.begin() + static_cast<std::ptrdiff_t>(first), wire.end());
  FrameDecoder d2;
  std::vector<Frame> frames;
  for (Bytes* r : {&r1, &r2})
    REQUIRE(q.b.feed_in_place(*r, none, [&](std::span<std::uint8_t> pt, bool, std::size_t) {
      return d2.consume(pt, [&](const FrameView& v) {
        frames.push_back(v.to_frame());
        return true;
      }) == FrameDecoder::Status::kNeedMore;
    }));
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == f);
}

TEST_CASE("records before a tampered one are handed on before the channel fails", "[zero-copy]") {
  ChannelPair p;
  const Bytes big = pattern(64 * 1024, 7), small = pattern(50, 8);
  Bytes wire;
  REQUIRE(p.a.seal(big, wire));
  REQUIRE(p.a.seal(small, wire));
  wire[wire.size() - 3] ^= 1;  // the small record's tag: it would have joined the big one
  Bytes none, plain;
  CHECK_FALSE(p.b.feed_in_place(wire, none, [&](std::span<std::uint8_t> pt, bool, std::size_t) {
    plain.insert(plain.end(), pt.begin(), pt.end());
    return true;
  }));
  CHECK(plain == big);
  CHECK(p.b.auth_failure());
}

TEST_CASE("a tampered record fails in place and the channel stays failed", "[zero-copy]") {
  ChannelPair p;
  const Bytes msg = pattern(3000, 4);
  Bytes wire;
  REQUIRE(p.a.seal(msg, wire));
  wire[100] ^= 1;
  Bytes none;
  bool delivered = false;
  CHECK_FALSE(
      p.b.feed_in_place(wire, none, [&](std::span<std::uint8_t>, bool, std::size_t) { return delivered = true; }));
  CHECK_FALSE(delivered);
  CHECK(p.b.auth_failure());
}

TEST_CASE("seal_gather gives the bytes of sealing the joined message on every AEAD implementation", "[zero-copy]") {
  REQUIRE(sodium_init() >= 0);
  std::uint8_t key[noise::kAeadKeyLen], nonce[noise::kAeadNonceLen] = {0, 0, 0, 0, 3};
  for (std::size_t i = 0; i < sizeof key; ++i) key[i] = static_cast<std::uint8_t>(i * 7 + 2);
  std::mt19937 rng(7);
  for (const auto path :
       {noise::AeadPath::kSodium, noise::AeadPath::kOpenSsl, noise::AeadPath::kGcrypt, noise::AeadPath::kChosen}) {
    for (const std::size_t n :
         {std::size_t{0}, std::size_t{20}, std::size_t{1023}, std::size_t{1024}, std::size_t{65536}}) {
      INFO("path " << static_cast<int>(path) << ", " << n << " bytes");
      const Bytes msg = pattern(n, static_cast<unsigned>(n));
      noise::ChaChaPoly one(path), gathered(path);
      one.set_key(key);
      gathered.set_key(key);
      Bytes a(n + noise::kAeadTagLen), b(a.size());
      one.seal(nonce, {}, msg, a.data());
      // Cut at random places, with empty pieces among them.
      std::vector<std::span<const std::uint8_t>> pieces;
      for (std::size_t off = 0; off < n;) {
        const std::size_t k = std::min<std::size_t>(rng() % 3000, n - off);
        pieces.emplace_back(msg.data() + off, k);
        off += k;
      }
      gathered.seal_gather(nonce, {}, pieces, b.data());
      CHECK(a == b);
    }
  }
}
