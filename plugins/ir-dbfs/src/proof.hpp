// Content proofs: how a holder shows that it really holds an object a hit names, and how the
// searcher checks that without having the object.
//
// An object id of butter.storage/1 is the SHA-256 of the object's block manifest (iface/storage.h);
// the standard provider's manifest (pcg-storage, "PCGM" version 1) lists the size, the block size,
// the SHA-256 of every block and the keywords given at put time:
//   "PCGM" u8 1, u64 size, u32 block_size, u32 n, n x 32-byte block hash, u16 k, k x str16 keyword
// So a proof is the manifest (its hash must equal the object id: this also proves the object's
// keywords) plus the block a nonce of the searcher picks (its hash must be the manifest's entry: the
// manifest alone is public, anyone who asked storage for it has it; the block is only held by a
// holder). Nothing in a proof is taken on trust: the checker needs only the object id and the nonce.
//
// The format is the one butter.storage/2 defines (iface/storage2.h). A holder whose storage serves
// /2 hands out the stored manifest and reads the challenged block. With a /1-only provider it
// derives the manifest from the object's bytes and keywords (/1 has no call that returns one): it
// tries the provider's default block size first, then every power of two in its range, and keeps
// the one whose hash is the id.
#pragma once
#include "messages.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace butter::dbfs {

inline constexpr std::uint32_t kDefaultBlockSize = 64 * 1024;
inline constexpr std::uint32_t kMinBlockSize = 1024;
inline constexpr std::uint32_t kMaxBlockSize = 4u * 1024 * 1024;

using Digest = std::array<std::uint8_t, 32>;
Digest sha256(std::span<const std::uint8_t> bytes);  // as an id: butter::wire::to_hex(sha256(...))

// An id storage can hold: 64 lowercase hex digits. Any other id (an annotation's name) has no
// manifest, so no hit for it can be proven.
bool is_content_id(std::string_view id);

struct ManifestInfo {
  std::uint64_t size = 0;
  std::uint32_t block_size = 0;
  std::vector<Digest> blocks;
  std::vector<std::string> keywords;
  std::size_t block_len(std::size_t i) const;
};
std::optional<ManifestInfo> decode_manifest(std::span<const std::uint8_t> bytes, std::string& why);
// The manifest of `data` cut into `block_size` blocks (used by the holder and the simulation).
std::vector<std::uint8_t> build_manifest(std::span<const std::uint8_t> data, std::uint32_t block_size,
                                         const std::vector<std::string>& keywords);

// The block a challenge asks for: chosen by the searcher's nonce, so it cannot be prepared.
std::size_t challenged_block(const QueryId& nonce, std::size_t block_count);

// Holder: the manifest of `data` whose hash is `object_id`, trying `first` (the size that matched
// last time: a node's objects mostly share one), then the block sizes described above; nullopt
// when none matches (the provider uses another format).
struct DerivedManifest {
  std::vector<std::uint8_t> bytes;
  std::uint32_t block_size = 0;
};
std::optional<DerivedManifest> derive_manifest(std::string_view object_id, std::span<const std::uint8_t> data,
                                               const std::vector<std::string>& keywords,
                                               std::uint32_t first = kDefaultBlockSize);
// Holder: the block the nonce picks (empty for an empty object).
std::vector<std::uint8_t> challenged_bytes(std::span<const std::uint8_t> data, std::uint32_t block_size,
                                           const QueryId& nonce);

// Searcher: checks a proof for `object_id` against the challenge `nonce`. On success `keywords`
// are the object's proven keywords (case-folded).
struct ProofCheck {
  bool ok = false;
  std::string why;
  std::vector<std::string> keywords;
};
ProofCheck check_proof(std::string_view object_id, const QueryId& nonce, std::span<const std::uint8_t> manifest,
                       std::span<const std::uint8_t> block);

}  // namespace butter::dbfs
