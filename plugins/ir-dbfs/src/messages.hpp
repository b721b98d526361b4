// The /butter/dbfs/1 messages (QUERY, HITS, EXTEND, LINK) and their bounds-checked codec. Every message
// is one-way and starts with u8 version and u8 type; the 128-bit query id follows. HITS, EXTEND and
// LINK, PROVE and PROOF (search integrity: a holder proves a hit, proof.hpp) are version 1. QUERY is version 2 when it
// carries a message budget (what this code sends) and version 1 without one (what older nodes send; still accepted,
// with a conservative budget chosen by the receiver). Decoding refuses anything truncated, oversized or with trailing
// bytes, with a reason for the counters.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace butter::dbfs {

inline constexpr const char* kProtocol = "/butter/dbfs/1";
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::uint8_t kQueryVersionBudget = 2;  // a QUERY with the u16 budget field

enum class MsgType : std::uint8_t { Query = 1, Hits = 2, Extend = 3, Link = 4, Prove = 5, Proof = 6, Unlink = 7 };
enum class QueryKind : std::uint8_t { Object = 1, Keywords = 2 };

// 128 random bits naming one search everywhere it travels.
struct QueryId {
  std::uint64_t hi = 0, lo = 0;
  bool operator==(const QueryId&) const = default;
  auto operator<=>(const QueryId&) const = default;
  std::string hex() const;
};

// Hard bounds of the codec (what any node accepts at all); the configurable limits (limits.hpp)
// are at most these.
inline constexpr std::size_t kMaxTerms = 16;
inline constexpr std::size_t kMaxTermLen = 128;
inline constexpr std::size_t kMaxHitsPerMessage = 64;
inline constexpr std::size_t kMaxEndpoints = 8;
inline constexpr std::size_t kMaxKeywords = 32;
inline constexpr std::size_t kMaxMessageBytes = 64 * 1024;
// A PROOF carries a manifest and one block, so it may be larger than the other messages.
inline constexpr std::size_t kMaxProofManifest = 64 * 1024;
inline constexpr std::size_t kMaxProofBlock = 256 * 1024;
inline constexpr std::size_t kMaxProofMessageBytes = kMaxProofManifest + kMaxProofBlock + 64;

struct Query {
  QueryId id;
  QueryKind kind = QueryKind::Object;
  std::uint8_t ttl = 0;   // hops the query may still travel beyond its receiver
  std::uint8_t hops = 0;  // hops travelled to reach the receiver (1 for the source's neighbours)
  std::uint16_t max_results = 0;
  // Messages (QUERY forwards and EXTEND relays) this query may still cause beyond the message that
  // carried it, in the whole part of the network its receiver hands it on to. Absent: a version-1
  // QUERY from an older node (encoded as version 1 again, so that a decode re-encodes identically).
  std::optional<std::uint16_t> budget;
  std::vector<std::string> terms;
};

struct Hit {
  std::string object_id;
  std::string node_id;
  std::vector<std::string> endpoints;
  std::vector<std::string> keywords;
};

struct Hits {
  QueryId id;
  std::uint8_t hops = 0;  // the holder's distance from the source
  std::vector<Hit> hits;
};

// Asks the query's tree to go deeper: the receiver treats `ttl` as the query's new remaining TTL.
struct Extend {
  QueryId id;
  std::uint8_t ttl = 0;
};

// PROVE (searcher -> the node a hit names as holder): "show that you hold `object_id`". The header's
// id is the challenge nonce (128 random bits), which also picks the block to show (proof.hpp).
struct Prove {
  QueryId nonce;
  std::string object_id;
};

enum class ProofStatus : std::uint8_t {
  Ok = 0,          // manifest and challenged block follow
  NotHeld = 1,     // this node does not hold the object (storage does not)
  Unprovable = 2,  // held, but no proof can be made (not a content id, other format, block too big)
  Busy = 3         // too many proofs being prepared: ask again later
};
// PROOF (holder -> searcher): the answer to the PROVE with the same nonce.
struct Proof {
  QueryId nonce;
  ProofStatus status = ProofStatus::NotHeld;
  std::vector<std::uint8_t> manifest;  // at most kMaxProofManifest
  std::vector<std::uint8_t> block;     // at most kMaxProofBlock
};

std::vector<std::uint8_t> encode(const Query& q);
std::vector<std::uint8_t> encode(const Prove& p);
std::vector<std::uint8_t> encode(const Proof& p);
std::vector<std::uint8_t> encode(const Hits& h);
std::vector<std::uint8_t> encode(const Extend& e);
// LINK: "I chose you as a neighbour": the receiver forwards queries to the sender too (inbound
// link). Header only, with a zero query id.
std::vector<std::uint8_t> encode_link();
bool decode_link(const std::uint8_t* data, std::size_t len, std::string& why);
// UNLINK: "I did not take your LINK" (no inbound room): the receiver stops counting the sender as a
// neighbour and chooses another, so that a newcomer whose first choices are full still gets a way
// in. Header only, with a zero query id.
// Which link an UNLINK ends, carried in the header's id (older nodes send a zero id and ignore it):
// Refused = "I did not take your LINK"; Withdrawn = "I no longer link to you" (free my slot).
enum class UnlinkKind : std::uint8_t { Refused = 0, Withdrawn = 1 };
std::vector<std::uint8_t> encode_unlink(UnlinkKind kind = UnlinkKind::Refused);
std::optional<UnlinkKind> decode_unlink(const std::uint8_t* data, std::size_t len, std::string& why);

// The type of a message, or nullopt when the header is bad (version, unknown type, short).
std::optional<MsgType> peek_type(const std::uint8_t* data, std::size_t len, std::string& why);
std::optional<Query> decode_query(const std::uint8_t* data, std::size_t len, std::string& why);
std::optional<Hits> decode_hits(const std::uint8_t* data, std::size_t len, std::string& why);
std::optional<Extend> decode_extend(const std::uint8_t* data, std::size_t len, std::string& why);
std::optional<Prove> decode_prove(const std::uint8_t* data, std::size_t len, std::string& why);
std::optional<Proof> decode_proof(const std::uint8_t* data, std::size_t len, std::string& why);

// The plugin's hot-swap state: the annotations of the local index and the chosen neighbours.
struct SavedState {
  std::vector<std::pair<std::string, std::vector<std::string>>> annotations;
  std::vector<std::string> outbound;
};
std::string encode_state(const SavedState& s);
std::optional<SavedState> decode_state(std::string_view bytes, std::string& why);

// Lowercases ASCII letters (keywords match case-insensitively; UTF-8 beyond ASCII is kept as is).
std::string fold_case(std::string_view s);

}  // namespace butter::dbfs
