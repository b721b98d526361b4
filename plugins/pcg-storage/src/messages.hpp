// The /butter/pcg/1 message codec. Every message is one-way (the engine matches answers to its
// own pending state, so the same code runs over the host's transport and in the simulation).
//
// Wire format (big-endian, butter/wire.hpp): u8 wire version (1), u8 type, then per type:
//   1 HEARTBEAT   u16 n, n x { 32 object, u8 flags (bit 0: sender holds every block), View }
//   2 VIEW        32 object, View                         (leader -> members, old and new)
//   3 RECRUIT     32 object, View, u32 len, manifest, u8 has_sponsor, [32 sponsor]
//                                                          (leader -> candidate; sponsor: the peer
//                                                          the object is charged to, see on_recruit)
//   4 RECRUIT_ACK 32 object, u64 view version, i32 status, str16 reason
//   5 FETCH       32 object, u32 block index
//   6 BLOCK       32 object, u32 block index, i32 status, u32 len, bytes
//   7 LOCATE      32 object, u64 nonce                     ("who holds X", from anyone)
//   8 LOCATED     32 object, u64 nonce, i32 status, View, u32 len, manifest
//                 (status AGAIN, empty view and manifest: the asker is over its serve rate here)
//   9 HAVE        32 object, u64 view version              (member -> members: I hold it all)
//  10 CHALLENGE   32 object, u64 nonce, u32 block index, u32 offset, u32 length, u8 mode
//                 (member -> member: prove you hold that range; mode 0: answer the keyed BLAKE2b
//                 of the range, offset/length within the block, length > 0; mode 1: answer the
//                 whole block, offset = length = 0 — asked by a verifier that lacks the block)
//  11 PROOF       32 object, u64 nonce, i32 status, u32 len, bytes (32-byte proof, or the block)
// View = u64 version, u8 n, n x { 32 node id, u8 k, k x str16 endpoint }
// Anything truncated, overlong, out of range or with trailing bytes is refused.
#pragma once
#include "blocks.hpp"
#include "view.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace butter::pcg {

inline constexpr char kProtocol[] = "/butter/pcg/1";
inline constexpr std::uint8_t kWireVersion = 1;
inline constexpr std::size_t kMaxHeartbeatEntries = 4096;
inline constexpr std::size_t kMaxManifestBytes = 64u * 1024 * 1024;
inline constexpr std::size_t kMaxBlockBytes = kMaxBlockSize;

enum class MsgType : std::uint8_t {
  Heartbeat = 1,
  ViewUpdate = 2,
  Recruit = 3,
  RecruitAck = 4,
  Fetch = 5,
  Block = 6,
  Locate = 7,
  Located = 8,
  Have = 9,
  Challenge = 10,
  Proof = 11,
};
inline constexpr int kMsgTypes = 12;  // array size for per-type counters (index = type)
const char* type_name(MsgType t);

struct HeartbeatEntry {
  Hash object{};
  bool complete = false;
  View view;
};

struct Message {
  MsgType type = MsgType::Heartbeat;
  Hash object{};
  std::vector<HeartbeatEntry> entries;   // HEARTBEAT
  View view;                             // VIEW, RECRUIT, LOCATED
  std::vector<std::uint8_t> manifest;    // RECRUIT, LOCATED
  std::uint64_t number = 0;              // LOCATE/LOCATED/CHALLENGE/PROOF nonce; RECRUIT_ACK/HAVE view version
  std::int32_t status = 0;               // RECRUIT_ACK, BLOCK, LOCATED, PROOF
  std::string reason;                    // RECRUIT_ACK
  std::uint32_t index = 0;               // FETCH, BLOCK, CHALLENGE
  std::uint32_t offset = 0, length = 0;  // CHALLENGE: the byte range within the block (mode 0)
  std::uint8_t mode = 0;                 // CHALLENGE: 0 keyed hash of the range, 1 the whole block
  std::optional<Hash> sponsor;           // RECRUIT: whose quota the object counts against
  std::vector<std::uint8_t> data;        // BLOCK; PROOF (the proof or the block)
};

std::vector<std::uint8_t> encode(const Message& m);
// encode(m).size(), without writing (or copying) anything.
std::size_t encoded_size(const Message& m);
std::optional<Message> decode(std::span<const std::uint8_t> bytes, std::string& why);

}  // namespace butter::pcg
