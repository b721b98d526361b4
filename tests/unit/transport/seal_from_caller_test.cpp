// Large payloads sealed straight from the sender's buffer (issue 18: "sealed straight into the
// outgoing buffer"). Connection::enqueue_parts lends the caller's bytes to the pipe instead of
// copying them when the frame is first in line and the pipe seals in write() (an established
// encrypted connection); otherwise it copies them, as before. Either way the caller may reuse its
// buffer the moment the send returns: these tests overwrite it at once and check what arrives.
#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace butter::host;
using namespace butter::test;

namespace {

constexpr std::size_t kFrameBytes = 64 * 1024;
constexpr int kFrames = 24;  // 1.5 MiB: more than a connection hands its pipe beside a write in flight (1 MiB)

// Sends kFrames one-way frames in one strand turn, all from one buffer refilled before each send
// and spoilt after the last; returns the sender's payload_bytes_sealed_from_caller.
std::uint64_t send_from_one_buffer(TestNode& a, const TestNode& b) {
  return a.on([&] {
    std::vector<std::uint8_t> buf(kFrameBytes);
    for (int i = 0; i < kFrames; ++i) {
      std::fill(buf.begin(), buf.end(), static_cast<std::uint8_t>('a' + i));
      auto e = a.transport->send(b.id.hex(), "/bulk/1", buf);
      REQUIRE_FALSE(e);
    }
    std::fill(buf.begin(), buf.end(), std::uint8_t{0xEE});
    return a.transport->stats().payload_bytes_sealed_from_caller;
  });
}

void check_arrived_intact(TestNode& b) {
  REQUIRE(b.wait([](TestNode& n) { return n.messages.size() == kFrames; }, std::chrono::seconds(30)));
  for (int i = 0; i < kFrames; ++i) {
    INFO("frame " << i);
    CHECK(b.on([&] { return b.messages.at(static_cast<std::size_t>(i)).payload; }) ==
          std::string(kFrameBytes, static_cast<char>('a' + i)));
  }
}

}  // namespace

TEST_CASE("large payloads are sealed from the sender's buffer and arrive intact though it is reused at once",
          "[transport][zero-copy]") {
  IoThread t;
  TestNode a(t.io), b(t.io);
  connect(a, b);
  const std::uint64_t sealed = send_from_one_buffer(a, b);
  // The first frames went straight from the buffer; once a MiB was handed to the pipe the rest
  // waited in the queue, so they were copied (the buffer is gone before they leave).
  CHECK(sealed >= kFrameBytes);
  CHECK(sealed < kFrames * kFrameBytes);
  CHECK(sealed % kFrameBytes == 0);
  check_arrived_intact(b);
}

TEST_CASE("a plaintext connection copies every payload it queues", "[transport][zero-copy]") {
  IoThread t;
  const auto plaintext = [](TransportOptions& o) { o.plaintext = true; };
  TestNode a(t.io, plaintext), b(t.io, plaintext);
  connect(a, b);
  // In plaintext mode the pipe sends the queue's bytes from where they are, after write() returns:
  // lending the caller's would send whatever the buffer holds by then.
  CHECK(send_from_one_buffer(a, b) == 0);
  check_arrived_intact(b);
}

TEST_CASE("small payloads are copied and not lent", "[transport][zero-copy]") {
  IoThread t;
  TestNode a(t.io), b(t.io);
  connect(a, b);
  a.on([&] {
    std::vector<std::uint8_t> buf(1024, std::uint8_t{'s'});
    REQUIRE_FALSE(a.transport->send(b.id.hex(), "/small/1", buf));
    std::fill(buf.begin(), buf.end(), std::uint8_t{0xEE});
  });
  REQUIRE(b.wait([](TestNode& n) { return n.messages.size() == 1; }));
  CHECK(b.on([&] { return b.messages.at(0).payload; }) == std::string(1024, 's'));
  CHECK(a.stats().payload_bytes_sealed_from_caller == 0);
}
