// Messages of the /butter/knownhosts/1 protocol.
//
// A node asks a known (or candidate) host for its quality; the request carries the asker's own
// quality and endpoints, so that one exchange teaches both sides about each other.
//   request:  version u8 = 1 | quality | endpoint count u8 | endpoints (u16 length + URI each)
//   response: version u8 = 1 | quality
//   quality:  uptime_s u64 | free_storage u64 | hosts_known u32
#pragma once
#include "quality_cache.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace butter::knownhosts {

constexpr const char* kProtocol = "/butter/knownhosts/1";

struct QualityRequest {
  Quality quality;
  std::vector<std::string> endpoints;  // at most 16, each at most 255 bytes
};

std::vector<std::uint8_t> encode_request(const QualityRequest& r);
std::optional<QualityRequest> decode_request(const std::uint8_t* data, std::size_t len, std::string& why);
std::vector<std::uint8_t> encode_response(const Quality& q);
std::optional<Quality> decode_response(const std::uint8_t* data, std::size_t len, std::string& why);

}  // namespace butter::knownhosts
