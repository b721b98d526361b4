// HELLO: the first frame each side sends on a new connection. Its payload, big-endian:
//   u16 protocol version (1)
//   32  node id
//   u8  endpoint count (<= 16)
//   per endpoint: u16 length (<= 255) + UTF-8 URI (where the sender listens)
// Nothing may follow the last endpoint; a new field means a new version.
#pragma once
#include "core/node_id.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace butter::host {

inline constexpr std::uint16_t kTransportProtocolVersion = 1;
inline constexpr std::size_t kMaxHelloEndpoints = 16;
inline constexpr std::size_t kMaxEndpointBytes = 255;

struct Hello {
  std::uint16_t version = kTransportProtocolVersion;
  NodeId id;
  std::vector<std::string> endpoints;

  friend bool operator==(const Hello&, const Hello&) = default;
};

// Encodes a HELLO payload. Endpoints beyond the limits (too many, too long, not text) are
// dropped rather than failing: our own advertisement must never stop us from connecting.
std::vector<std::uint8_t> encode_hello(const Hello& h);

struct HelloDecode {
  std::optional<Hello> hello;  // set on success
  std::string error;           // why not, on failure
  // The peer speaks another version: the rest of the payload was not parsed. Told apart from a
  // malformed HELLO because it is a legitimate peer we cannot talk to, not a broken one.
  bool version_mismatch = false;
};
HelloDecode decode_hello(std::span<const std::uint8_t> payload);

}  // namespace butter::host
