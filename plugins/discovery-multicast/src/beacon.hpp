// The discovery datagram ("beacon"): who I am and where I listen, in under 1200 bytes.
//
//   "BUTR" | version u8 = 1 | kind u8 | flags u8 | node id (32 bytes) | hosts_known u16 |
//   endpoint count u8 | endpoints (u16 length + UTF-8 URI each)
//
// kind: PING (multicast, "who is there?" — answered), PONG (unicast answer), ANNOUNCE
// (multicast, informational — never answered; used instead of many unicast answers when a crowd
// joins at once). flags bit 0: the sender knows no peer yet (cold), so it wants answers.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace butter::discovery {

constexpr std::size_t kMaxBeaconBytes = 1200;
constexpr std::size_t kMaxEndpointBytes = 255;

enum class BeaconKind : std::uint8_t { Ping = 1, Pong = 2, Announce = 3 };

struct Beacon {
  BeaconKind kind = BeaconKind::Ping;
  bool cold = false;
  std::string node_id;  // 64 hex digits
  std::uint16_t hosts_known = 0;
  std::vector<std::string> endpoints;
};

// Encodes as many endpoints as fit under kMaxBeaconBytes (in order); the rest are left out.
std::vector<std::uint8_t> encode_beacon(const Beacon& b);

// nullopt with `why` set for anything malformed: wrong magic or version, unknown kind, bad id,
// truncated, trailing bytes, an endpoint that is not a URI, over kMaxBeaconBytes.
std::optional<Beacon> decode_beacon(const std::uint8_t* data, std::size_t len, std::string& why);

}  // namespace butter::discovery
