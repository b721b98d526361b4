// Messages of the /butter/knownhosts/1 protocol.
//
// A node asks a known (or candidate) host for its quality; the request carries the asker's own
// quality and endpoints, so that one exchange teaches both sides about each other.
//   request:  version u8 = 1 | quality | endpoint count u8 | endpoints (u16 length + URI each)
//   response: version u8 = 1 | quality
//   quality:  uptime_s u64 | free_storage u64 | hosts_known u32
// Version 2 (issue 15: membership traffic), the same content in compact form (compact_wire.hpp):
//   request:  version u8 = 2 | quality | endpoint count u8 | endpoints (packed or literal)
//   response: version u8 = 2 | quality
//   quality:  varint uptime_s | varint free_storage | varint hosts_known (<= 2^32 - 1)
// A request of either version is answered in its own version.
#pragma once
#include "quality_cache.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace butter::knownhosts {

constexpr const char* kProtocol = "/butter/knownhosts/1";

constexpr std::uint8_t kQualityV1 = 1, kQualityV2 = 2;

// What a node of version 1 only (before issue 15) answers a version-2 request: BUTTER_E_INVALID
// with this reason (its decoder refuses any version byte but 1; nothing else happens there, so a
// retry in version 1 can go at once). See PeerVersions.
constexpr const char* kQualityRefusesV2 = "unsupported version 2";

struct QualityRequest {
  Quality quality;
  std::vector<std::string> endpoints;  // at most 16, each at most 255 bytes
  std::uint8_t version = kQualityV2;
};

std::vector<std::uint8_t> encode_request(const QualityRequest& r);
std::optional<QualityRequest> decode_request(const std::uint8_t* data, std::size_t len, std::string& why);
std::vector<std::uint8_t> encode_response(const Quality& q, std::uint8_t version = kQualityV2);
std::optional<Quality> decode_response(const std::uint8_t* data, std::size_t len, std::string& why);

}  // namespace butter::knownhosts
