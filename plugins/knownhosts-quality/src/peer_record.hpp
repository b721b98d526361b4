// PeerRecord: a node's signed statement of where it can be reached (DESIGN.md §8: addresses travel
// only inside records signed by the node they describe, so no peer can redirect another's traffic).
//
//   u8  version (1)
//   32  node id (its Ed25519 public key)
//   u64 seq          strictly increasing per node (the signer uses max(previous + 1, unix ms))
//   u64 issued_ms    unix time of signing
//   u8  n (<= 8)     endpoints, each either
//         u8 0, str16 uri (1..255 bytes, contains "://")      visible
//         u8 1, 16 bytes BLAKE2b-128(uri)                     redacted by a forwarder
//   64  Ed25519 signature (butter.identity/1, context "butter.peer-record/1") over
//       version | id | seq | issued_ms | n | n x BLAKE2b-128(uri)
//
// Version 2, the compact wire form of the same signed statement (what /butter/pex/1 exchanges of
// version 2 carry; compact_wire.hpp):
//   u8 version (2) | 32 node id | varint issued_ms | varint zigzag(seq - issued_ms) | u8 n (<= 8) |
//   n x (u8 1, 16 bytes hash | a packed or literal endpoint) | 64 signature
// The signature is the same in both forms: it covers the version-1 layout above (with version 1),
// so a forwarder may re-encode a record in either form.
//
// Because the signature covers only the hashes of the endpoints, a forwarder may hide an endpoint
// its receiver cannot route to (a private address across networks, loopback to another host)
// without breaking it, and cannot add, change or reorder one.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace butter::knownhosts {

constexpr const char* kRecordContext = "butter.peer-record/1";
constexpr std::size_t kMaxRecordEndpoints = 8;
constexpr std::size_t kMaxRecordBytes = 1 + 32 + 8 + 8 + 1 + kMaxRecordEndpoints * (1 + 2 + 255) + 64;  // v2 is smaller
constexpr std::uint8_t kRecordV1 = 1, kRecordV2 = 2;

using EndpointHash = std::array<std::uint8_t, 16>;
EndpointHash endpoint_hash(std::string_view uri);

struct PeerRecord {
  std::array<std::uint8_t, 32> id{};
  std::uint64_t seq = 0;
  std::uint64_t issued_ms = 0;
  // Each endpoint: the URI when visible, or only its hash when redacted.
  struct Endpoint {
    std::optional<std::string> uri;
    EndpointHash hash{};
  };
  std::vector<Endpoint> endpoints;
  std::array<std::uint8_t, 64> signature{};

  std::string id_hex() const;
  std::vector<std::string> visible_endpoints() const;
  // The bytes the signature covers.
  std::vector<std::uint8_t> signed_bytes() const;
  // The wire form (kRecordV1 or kRecordV2), with every endpoint for which `keep(uri)` is false
  // redacted (null: keep all).
  std::vector<std::uint8_t> encode(const std::function<bool(std::string_view uri)>& keep = {},
                                   std::uint8_t version = kRecordV1) const;
};

using SignFn = std::function<std::array<std::uint8_t, 64>(const std::vector<std::uint8_t>& message)>;
using VerifyFn = std::function<bool(const std::array<std::uint8_t, 32>& key, const std::vector<std::uint8_t>& message,
                                    const std::array<std::uint8_t, 64>& signature)>;

// Makes and signs this node's record. Endpoints beyond 8 or over 255 bytes are left out.
PeerRecord make_record(const std::array<std::uint8_t, 32>& id, std::uint64_t seq, std::uint64_t issued_ms,
                       const std::vector<std::string>& endpoints, const SignFn& sign);

// Parses and checks a record (either version): structure, bounds and signature. nullopt with `why` otherwise.
std::optional<PeerRecord> decode_record(const std::uint8_t* data, std::size_t len, const VerifyFn& verify,
                                        std::string& why);
// The two halves of decode_record, for a caller that first asks whether a record would change
// anything (a signature check costs ~0.2 ms; a copy of a record already held needs none):
// structure and bounds only, and the signature only.
std::optional<PeerRecord> parse_record(const std::uint8_t* data, std::size_t len, std::string& why);
bool verify_record(const PeerRecord& rec, const VerifyFn& verify);

}  // namespace butter::knownhosts
