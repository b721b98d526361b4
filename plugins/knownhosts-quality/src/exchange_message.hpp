// Messages of /butter/pex/1, the peer exchange (request/response, big-endian):
//
//   request:  u8 version (1) | u8 flags (bit 0: "be my neighbour") | u8 n (<= 16) | n x str16 record
//   response: u8 version (1) | u8 flags (bit 0: "accepted as neighbour") | u8 n (<= 16) | n x str16 record
//
// Each side sends a bounded sample of the signed records it holds (its own first), so one
// exchange teaches both sides: a shuffle in the spirit of HyParView and BitTorrent PEX. Records
// are carried as opaque bytes here and checked by decode_record().
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace butter::knownhosts {

constexpr const char* kExchangeProtocol = "/butter/pex/1";
constexpr std::size_t kMaxExchangeRecords = 16;

struct Exchange {
  bool neighbour = false;  // request: asks to be a neighbour; response: accepted
  std::vector<std::vector<std::uint8_t>> records;
};

std::vector<std::uint8_t> encode_exchange(const Exchange& e);
std::optional<Exchange> decode_exchange(const std::uint8_t* data, std::size_t len, std::string& why);

}  // namespace butter::knownhosts
