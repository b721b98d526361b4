// The discovery datagram ("beacon"): who I am and where I listen, in under 1200 bytes.
//
//   "BUTR" | version u8 = 1 | kind u8 | flags u8 | node id (32 bytes) | hosts_known u16 |
//   endpoint count u8 | endpoints (u16 length + UTF-8 URI each)
//
// kind: PING (multicast, "who is there?" — answered), PONG (unicast answer), ANNOUNCE
// (multicast, informational — never answered; used instead of many unicast answers when a crowd
// joins at once). flags bit 0: the sender knows no peer yet (cold), so it wants answers.
//
// A PONG is at most kAnswerFactor times the size of the PING it answers. A PING's source address
// can be forged, so a PONG goes wherever the sender says; were it larger than the PING (all our
// endpoints, up to 1200 bytes, for a 42-byte PING) every node would multiply what the forger
// sends at a victim. Twice, not once: a newcomer's PING carries its own endpoints, and ours may be
// a few bytes longer than its (a longer address, more digits in a port) without being worth an
// ANNOUNCE to the whole LAN.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace butter::discovery {

constexpr std::size_t kMaxBeaconBytes = 1200;
constexpr std::size_t kMaxEndpointBytes = 255;
constexpr std::size_t kAnswerFactor = 2;  // a PONG is at most this many times the PING's size

enum class BeaconKind : std::uint8_t { Ping = 1, Pong = 2, Announce = 3 };

struct Beacon {
  BeaconKind kind = BeaconKind::Ping;
  bool cold = false;
  std::string node_id;  // 64 hex digits
  std::uint16_t hosts_known = 0;
  std::vector<std::string> endpoints;
};

// The endpoints of `b` that fit in a beacon of at most `max_bytes` (and kMaxBeaconBytes), in
// order: one that would pass the limit is left out, and a later, shorter one may still fit;
// endpoints over kMaxEndpointBytes never do.
std::vector<std::string> endpoints_within(const Beacon& b, std::size_t max_bytes);

// Encodes `b` with endpoints_within(b, kMaxBeaconBytes).
std::vector<std::uint8_t> encode_beacon(const Beacon& b);

// nullopt with `why` set for anything malformed: wrong magic or version, unknown kind, bad id,
// truncated, trailing bytes, an endpoint that is not a URI, over kMaxBeaconBytes.
std::optional<Beacon> decode_beacon(const std::uint8_t* data, std::size_t len, std::string& why);

}  // namespace butter::discovery
