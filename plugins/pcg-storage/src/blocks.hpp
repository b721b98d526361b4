// Blocks and manifests: an object is split into fixed-size blocks addressed by SHA-256; the
// manifest lists the object's size, block size, block hashes and keywords; the object id is the
// SHA-256 of the encoded manifest. Every read is verified against these hashes, and reassembly
// checks every length, so nothing is silently truncated.
//
// Manifest encoding (big-endian):
//   "PCGM" u8 version(1) u64 size u32 block_size u32 block_count block_count x 32-byte hash
//   u16 keyword_count keyword_count x str16 keyword
#pragma once
#include "hash.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace butter::pcg {

inline constexpr std::uint32_t kMinBlockSize = 1024;
inline constexpr std::uint32_t kMaxBlockSize = 4u * 1024 * 1024;
inline constexpr std::uint32_t kMaxBlocks = 1u << 20;
inline constexpr std::size_t kMaxKeywords = 64;
inline constexpr std::size_t kMaxKeywordLen = 255;

struct Manifest {
  std::uint64_t size = 0;
  std::uint32_t block_size = 0;
  std::vector<Hash> blocks;
  std::vector<std::string> keywords;

  // The expected length of block `i` (the last one may be short; an empty object has none).
  std::size_t block_len(std::size_t i) const;
};

struct SplitObject {
  Manifest manifest;
  std::vector<std::uint8_t> manifest_bytes;
  Hash id{};
  std::vector<std::vector<std::uint8_t>> blocks;
};

// Splits `data` into blocks of `block_size` (REQUIRES: kMinBlockSize <= block_size <= kMaxBlockSize).
// Keywords longer than kMaxKeywordLen or beyond kMaxKeywords are refused (returns nullopt, `why` set).
std::optional<SplitObject> split(std::span<const std::uint8_t> data, std::uint32_t block_size,
                                 const std::vector<std::string>& keywords, std::string& why);

// At most kMaxKeywords keywords of at most kMaxKeywordLen bytes each; false with `why` otherwise.
bool keywords_ok(const std::vector<std::string>& keywords, std::string& why);

std::vector<std::uint8_t> encode_manifest(const Manifest& m);
// Decodes and checks a manifest: sizes consistent with the block count, limits respected.
std::optional<Manifest> decode_manifest(std::span<const std::uint8_t> bytes, std::string& why);
// Decodes `bytes` and checks that they hash to `id`.
std::optional<Manifest> verify_manifest(const Hash& id, std::span<const std::uint8_t> bytes, std::string& why);

// True when `block` is block `i` of `m`: right length and right hash.
bool verify_block(const Manifest& m, std::size_t i, std::span<const std::uint8_t> block);

// Concatenates verified blocks; nullopt (with `why`) if any is missing, of the wrong length or
// hash, or the total is not the manifest's size.
std::optional<std::vector<std::uint8_t>> assemble(const Manifest& m,
                                                  const std::vector<std::vector<std::uint8_t>>& blocks,
                                                  std::string& why);

}  // namespace butter::pcg
