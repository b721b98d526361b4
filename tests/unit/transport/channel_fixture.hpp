// What the transport's frame and channel tests share: deterministic payloads, a one-way frame, a
// fresh identity, and two secure channels with their handshake done.
#pragma once
#include "core/identity.hpp"
#include "transport/frame.hpp"
#include "transport/secure_channel.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace butter::test {

using Bytes = std::vector<std::uint8_t>;

// n bytes that differ with the seed and along the buffer (no run of zeros hides a copy bug).
inline Bytes pattern(std::size_t n, unsigned seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>((i * 131 + seed) >> 3);
  return b;
}

inline host::Frame oneway(std::size_t payload, unsigned seed) {
  host::Frame f;
  f.type = host::FrameType::kOneway;
  f.protocol = "/test/frames/1";
  f.payload = pattern(payload, seed);
  return f;
}

inline std::shared_ptr<const host::Identity> make_identity() {
  return std::make_shared<const host::Identity>(host::Identity::generate());
}

// Two channels (a initiates) with the handshake done; with byte_at_a_time every handshake byte is
// fed on its own, as a slow socket would deliver it.
struct ChannelPair {
  host::SecureChannel a{make_identity(), true, false}, b{make_identity(), false, false};
  explicit ChannelPair(bool byte_at_a_time = false) {
    Bytes to_b = a.start(), to_a = b.start(), plain;
    auto feed = [&](host::SecureChannel& c, const Bytes& in, Bytes& reply) {
      if (!byte_at_a_time) {
        if (!in.empty()) REQUIRE(c.feed(in, reply, plain));
        return;
      }
      for (auto byte : in) REQUIRE(c.feed(std::span<const std::uint8_t>(&byte, 1), reply, plain));
    };
    while (!to_a.empty() || !to_b.empty()) {
      Bytes next_a, next_b;
      feed(b, to_b, next_a);
      feed(a, to_a, next_b);
      to_a = std::move(next_a);
      to_b = std::move(next_b);
    }
    REQUIRE(a.established());
    REQUIRE(b.established());
    REQUIRE(plain.empty());
  }
};

}  // namespace butter::test
