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
//   9 HAVE        32 object, u64 view version              (member -> members: I hold it all)
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
};
inline constexpr int kMsgTypes = 10;  // array size for per-type counters (index = type)
const char* type_name(MsgType t);

struct HeartbeatEntry {
  Hash object{};
  bool complete = false;
  View view;
};

struct Message {
  MsgType type = MsgType::Heartbeat;
  Hash object{};
  std::vector<HeartbeatEntry> entries;  // HEARTBEAT
  View view;                            // VIEW, RECRUIT, LOCATED
  std::vector<std::uint8_t> manifest;   // RECRUIT, LOCATED
  std::uint64_t number = 0;             // LOCATE/LOCATED nonce; RECRUIT_ACK/HAVE view version
  std::int32_t status = 0;              // RECRUIT_ACK, BLOCK, LOCATED
  std::string reason;                   // RECRUIT_ACK
  std::uint32_t index = 0;              // FETCH, BLOCK
  std::optional<Hash> sponsor;          // RECRUIT: whose quota the object counts against
  std::vector<std::uint8_t> data;       // BLOCK
};

std::vector<std::uint8_t> encode(const Message& m);
std::optional<Message> decode(std::span<const std::uint8_t> bytes, std::string& why);

}  // namespace butter::pcg
