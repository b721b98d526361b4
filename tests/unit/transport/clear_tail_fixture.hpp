// What the clear-tail tests (clear_tail_test.cpp, clear_tail_connection_test.cpp) share: their
// protocol, a flagged frame's sealed part, and a tail written as clear segments after it.
#pragma once
#include "channel_fixture.hpp"
#include "transport/frame.hpp"
#include "transport/secure_channel.hpp"

#include <string>

namespace butter::test {

inline const std::string kProto = "/test/relay/1";

// The bytes of a flagged one-way frame that travel in the plain (sealed) stream: its head, the
// tail's length and the authenticated head of the payload.
inline Bytes sealed_part(const Bytes& head, std::size_t tail) {
  Bytes b = host::encode_frame_head(host::FrameType::kOneway, 0, 0, kProto, head.size() + tail, tail);
  b.insert(b.end(), head.begin(), head.end());
  return b;
}

// Appends `tail` to `wire` as the clear segments a hop writes for a frame's clear tail.
inline void append_clear(Bytes& wire, const Bytes& tail) {
  const std::size_t at = wire.size();
  wire.resize(at + host::SecureChannel::clear_size(tail.size()));
  host::SecureChannel::write_clear(tail, wire.data() + at);
}

}  // namespace butter::test
