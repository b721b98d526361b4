// What an idle connection keeps: after a large frame or record has passed, the frame decoder and the
// secure channel give back the capacity it needed (at most kIdleBufferKeep stays), and a TcpPipe
// reads into the thread's buffer, not one of its own. Properties, not timings.
#include "channel_fixture.hpp"
#include "core/identity.hpp"
#include "transport/frame.hpp"
#include "transport/read_buffer.hpp"
#include "transport/secure_channel.hpp"
#include "transport/secure_pipe.hpp"
#include "transport/tcp_pipe.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <random>

using namespace butter::host;
using namespace butter::test;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Feeds `stream` to `d` in pieces of the given sizes (cycling), collecting every frame.
std::vector<Frame> feed_in_pieces(FrameDecoder& d, const Bytes& stream, std::vector<std::size_t> sizes) {
  std::vector<Frame> out;
  std::size_t off = 0, i = 0;
  while (off < stream.size()) {
    const std::size_t n = std::min(sizes[i++ % sizes.size()], stream.size() - off);
    d.feed(std::span<const std::uint8_t>(stream.data() + off, n));
    off += n;
    FrameView v;
    for (auto s = d.next(v); s != FrameDecoder::Status::kNeedMore; s = d.next(v)) {
      REQUIRE(s == FrameDecoder::Status::kFrame);
      out.push_back(v.to_frame());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the frame decoder gives back a large frame's capacity once nothing is left to decode", "[idle]") {
  FrameDecoder d;
  Bytes stream = encode_frame(oneway(1 << 20, 1));
  auto small = encode_frame(oneway(100, 2));
  stream.insert(stream.end(), small.begin(), small.end());

  auto frames = feed_in_pieces(d, stream, {65536, 1000, 7, 65536 + 13});
  REQUIRE(frames.size() == 2);
  CHECK(frames[0] == oneway(1 << 20, 1));
  CHECK(frames[1] == oneway(100, 2));
  CHECK(d.buffered() == 0);
  CHECK(d.buffered_capacity() <= kIdleBufferKeep);
}

TEST_CASE("a partial frame after a large one is kept in a small buffer and completes intact", "[idle]") {
  FrameDecoder d;
  Bytes big = encode_frame(oneway(300000, 3)), next = encode_frame(oneway(2000, 4));
  Bytes first = big;
  first.insert(first.end(), next.begin(), next.begin() + 10);  // the large frame and 10 bytes more
  auto frames = feed_in_pieces(d, first, {first.size()});
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == oneway(300000, 3));
  CHECK(d.buffered() == 10);
  CHECK(d.buffered_capacity() <= kIdleBufferKeep);

  frames = feed_in_pieces(d, Bytes(next.begin() + 10, next.end()), {500});
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == oneway(2000, 4));
  CHECK(d.buffered_capacity() <= kIdleBufferKeep);
}

TEST_CASE("the secure channel gives back a record's capacity once the record is decrypted", "[idle]") {
  ChannelPair p(true);
  const Bytes msg = pattern(300000, 5);  // several full records and a short one
  Bytes wire;
  REQUIRE(p.a.seal(msg, wire));

  // In pieces that cut records (and their length fields) everywhere.
  Bytes plain, none;
  std::size_t off = 0, i = 0;
  const std::size_t sizes[] = {3, 65536, 1, 40000, 65536 + 21, 2};
  while (off < wire.size()) {
    const std::size_t n = std::min(sizes[i++ % std::size(sizes)], wire.size() - off);
    REQUIRE(p.b.feed(std::span<const std::uint8_t>(wire.data() + off, n), none, plain));
    off += n;
    CHECK(p.b.buffered_capacity() <= SecureChannel::kMaxRecordPlaintext + SecureChannel::kTagBytes + 4);
  }
  CHECK(none.empty());
  CHECK(plain == msg);
  CHECK(p.b.buffered_capacity() <= kIdleBufferKeep);

  // Whole, in one piece: nothing is buffered at all.
  wire.clear();
  plain.clear();
  REQUIRE(p.a.seal(msg, wire));
  REQUIRE(p.b.feed(wire, none, plain));
  CHECK(plain == msg);
  CHECK(p.b.buffered_capacity() <= kIdleBufferKeep);
}

TEST_CASE("records cut at random places decrypt to the same bytes", "[idle]") {
  ChannelPair p(true);
  std::mt19937 rng(12345);
  for (int round = 0; round < 20; ++round) {
    const Bytes msg = pattern(std::uniform_int_distribution<std::size_t>(1, 200000)(rng), round);
    Bytes wire, plain, none;
    REQUIRE(p.a.seal(msg, wire));
    for (std::size_t off = 0; off < wire.size();) {
      const std::size_t n = std::min(wire.size() - off, std::uniform_int_distribution<std::size_t>(1, 70000)(rng));
      REQUIRE(p.b.feed(std::span<const std::uint8_t>(wire.data() + off, n), none, plain));
      off += n;
    }
    REQUIRE(plain == msg);
    CHECK(p.b.buffered_capacity() <= kIdleBufferKeep);
  }
}

TEST_CASE("a record's length is still checked when it arrives byte by byte", "[idle]") {
  ChannelPair p(true);
  const std::uint8_t bad[4] = {0x00, 0x01, 0x00, 0x11};  // 65553: one byte over the record bound
  Bytes wire, plain;
  for (int k = 0; k < 3; ++k) REQUIRE(p.b.feed(std::span<const std::uint8_t>(bad + k, 1), wire, plain));
  CHECK_FALSE(p.b.feed(std::span<const std::uint8_t>(bad + 3, 1), wire, plain));
  CHECK(p.b.error().find("out of bounds") != std::string::npos);
}

TEST_CASE("secure pipes over TCP deliver large and small writes intact and keep no buffer when idle", "[idle]") {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(io), server(io);
  client.connect(acceptor.local_endpoint());
  acceptor.accept(server);

  auto a = std::make_shared<SecurePipe>(std::make_shared<TcpPipe>(std::move(client)), make_identity(), true, false);
  auto b = std::make_shared<SecurePipe>(std::make_shared<TcpPipe>(std::move(server)), make_identity(), false, false);
  Bytes received;
  std::string a_closed, b_closed;
  a->start({[](std::span<const std::uint8_t>) {}, [&](const std::string& why) { a_closed = why; }, nullptr});
  b->start({[&](std::span<const std::uint8_t> bytes) { received.insert(received.end(), bytes.begin(), bytes.end()); },
            [&](const std::string& why) { b_closed = why; }, nullptr});

  const Bytes big = pattern(3 * 1024 * 1024 + 17, 6), small = pattern(50, 7);
  Bytes expected;
  int writes_done = 0;
  // Written before the handshake completes (held, then sealed), then after it.
  a->write({asio::buffer(small)}, [&](const std::string& e) {
    CHECK(e.empty());
    ++writes_done;
  });
  auto run_until = [&](const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
    return done();
  };
  REQUIRE(run_until([&] { return writes_done == 1 && a->established() && b->established(); }));
  a->write({asio::buffer(big), asio::buffer(small)}, [&](const std::string& e) {
    CHECK(e.empty());
    ++writes_done;
  });
  for (const Bytes* part : {&small, &big, &small}) expected.insert(expected.end(), part->begin(), part->end());
  REQUIRE(run_until([&] { return received.size() >= expected.size(); }));
  CHECK(received == expected);
  // The writer's completion is its own handler: the reader may have every byte before it ran.
  CHECK(run_until([&] { return writes_done == 2; }));
  CHECK(b->buffered_capacity() <= kIdleBufferKeep);
  CHECK(a->buffered_capacity() <= kIdleBufferKeep);

  // End of stream still reads as such.
  a->close();
  REQUIRE(run_until([&] { return !b_closed.empty(); }));
  CHECK(b_closed == "closed by peer");
  CHECK(a_closed.empty());
}

// A peer that sends a full record's length (and a few bytes) and then stalls must make this node
// hold about what it sent, not the 64 KiB it declared (the same lazy rule as FrameDecoder).
TEST_CASE("a record's declared length alone does not reserve the record", "[idle]") {
  ChannelPair p(true);
  const Bytes msg = pattern(SecureChannel::kMaxRecordPlaintext, 9);  // exactly one full record
  Bytes wire, plain, none;
  REQUIRE(p.a.seal(msg, wire));
  REQUIRE(wire.size() == 4 + SecureChannel::kMaxRecordPlaintext + SecureChannel::kTagBytes);

  // The length field alone (as its own read), then a few bytes more.
  REQUIRE(p.b.feed(std::span<const std::uint8_t>(wire.data(), 4), none, plain));
  CHECK(p.b.buffered_capacity() < 1024);
  REQUIRE(p.b.feed(std::span<const std::uint8_t>(wire.data() + 4, 60), none, plain));
  CHECK(p.b.buffered_capacity() < 1024);
  // Length and some bytes in one read: also only in proportion.
  ChannelPair q(true);
  Bytes wire2;
  REQUIRE(q.a.seal(msg, wire2));
  REQUIRE(q.b.feed(std::span<const std::uint8_t>(wire2.data(), 100), none, plain));
  CHECK(q.b.buffered_capacity() < 1024);

  // The rest still arrives and decrypts to the same bytes.
  REQUIRE(p.b.feed(std::span<const std::uint8_t>(wire.data() + 64, wire.size() - 64), none, plain));
  CHECK(plain == msg);
  CHECK(p.b.buffered_capacity() <= kIdleBufferKeep);
}
