// Messages of /butter/pex/1, the peer exchange (request/response, big-endian):
//
//   request:  u8 version (1) | u8 flags (bit 0: "be my neighbour") | u8 n (<= 16) | n x str16 record
//   response: u8 version (1) | u8 flags (bit 0: "accepted as neighbour") | u8 n (<= 16) | n x str16 record
//
// Version 2 (the default since the membership-traffic work, issue 15): records are length-prefixed
// by a varint and carried in their compact form (peer_record.hpp, version 2); a request may set
// flag bit 1, "send me a sample": see MembershipEngine. A version-1 request is still decoded and
// answered in version 1 (its records in version 1).
//
//   request:  u8 version (2) | u8 flags (bit 0: neighbour, bit 1: want a sample) | u8 n | n x (varint len, record)
//   response: u8 version (2) | u8 flags (bit 0: accepted as neighbour) | u8 n | n x (varint len, record)
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

constexpr std::uint8_t kExchangeV1 = 1, kExchangeV2 = 2;

// What a node of version 1 only (before issue 15) answers a version-2 request: its decoder checks
// the version byte before anything else, so the answer is BUTTER_E_INVALID with this reason (which
// reaches the requester as the response's error text), never a drop or a timeout. Its handler has
// counted the request against the peer before decoding it (its ExchangeLedger entry: the first
// contact is used up, and its one-exchange-per-500-ms interval has started), so a retry in version
// 1 has to wait that interval. See PeerVersions.
constexpr const char* kExchangeRefusesV2 = "exchange version 2";
// What a node answers (BUTTER_E_AGAIN) to a second exchange from one peer within its serve interval:
// nothing of it was taken, and the asker may try again once the interval is over.
constexpr const char* kExchangeBusy = "one exchange per peer per 500 ms";
constexpr std::uint64_t kExchangeServeIntervalMs = 500;

struct Exchange {
  std::uint8_t version = kExchangeV2;  // its records travel in the record form of the same number
  bool neighbour = false;              // request: asks to be a neighbour; response: accepted
  bool want_sample = false;            // request, version 2 only: the asker wants a sample of our records
  std::vector<std::vector<std::uint8_t>> records;
};

std::vector<std::uint8_t> encode_exchange(const Exchange& e);
std::optional<Exchange> decode_exchange(const std::uint8_t* data, std::size_t len, std::string& why);

}  // namespace butter::knownhosts
