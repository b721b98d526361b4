// Content proofs (see proof.hpp): manifest codec, derivation at the holder, check at the searcher.
#include "proof.hpp"

#include <butter/wire.hpp>
#include <sodium.h>

#include <algorithm>

namespace butter::dbfs {

namespace {
constexpr char kMagic[4] = {'P', 'C', 'G', 'M'};
constexpr std::uint8_t kManifestVersion = 1;
constexpr std::uint32_t kMaxBlocks = 1u << 20;
constexpr std::size_t kMaxManifestKeywords = 64;
constexpr std::size_t kMaxManifestKeywordLen = 255;
}  // namespace

Digest sha256(std::span<const std::uint8_t> bytes) {
  Digest d{};
  crypto_hash_sha256(d.data(), bytes.data(), bytes.size());
  return d;
}

bool is_content_id(std::string_view id) { return wire::is_lower_hex(id, 64); }

std::size_t ManifestInfo::block_len(std::size_t i) const {
  if (i >= blocks.size()) return 0;
  if (i + 1 < blocks.size()) return block_size;
  return static_cast<std::size_t>(size - static_cast<std::uint64_t>(block_size) * (blocks.size() - 1));
}

std::optional<ManifestInfo> decode_manifest(std::span<const std::uint8_t> bytes, std::string& why) {
  wire::Reader r(bytes.data(), bytes.size());
  auto magic = r.bytes(4);
  const std::uint8_t version = r.u8();
  if (!r.ok() || magic != std::string_view(kMagic, 4)) return why = "not a manifest", std::nullopt;
  if (version != kManifestVersion) return why = "unknown manifest version " + std::to_string(version), std::nullopt;
  ManifestInfo m;
  m.size = r.u64();
  m.block_size = r.u32();
  const std::uint32_t n = r.u32();
  if (!r.ok()) return why = "truncated manifest", std::nullopt;
  if (m.block_size < kMinBlockSize || m.block_size > kMaxBlockSize)
    return why = "manifest block size out of range", std::nullopt;
  if (n > kMaxBlocks || static_cast<std::uint64_t>(n) * 32 > r.remaining())
    return why = "bad manifest block count", std::nullopt;
  const std::uint64_t want = (m.size + m.block_size - 1) / m.block_size;
  if (want != n) return why = "manifest block count does not match its size", std::nullopt;
  m.blocks.resize(n);
  for (auto& h : m.blocks) {
    auto b = r.bytes(32);
    if (!r.ok()) return why = "truncated manifest", std::nullopt;
    std::copy(b.begin(), b.end(), h.begin());
  }
  const std::uint16_t k = r.u16();
  if (!r.ok() || k > kMaxManifestKeywords) return why = "bad manifest keyword count", std::nullopt;
  for (std::uint16_t i = 0; i < k; ++i) {
    auto s = r.str16(kMaxManifestKeywordLen);
    if (!r.ok()) return why = "truncated or oversized manifest keyword", std::nullopt;
    m.keywords.emplace_back(s);
  }
  if (!r.at_end()) return why = "trailing bytes after the manifest", std::nullopt;
  return m;
}

std::vector<std::uint8_t> build_manifest(std::span<const std::uint8_t> data, std::uint32_t block_size,
                                         const std::vector<std::string>& keywords) {
  wire::Writer w;
  w.bytes(kMagic, 4);
  w.u8(kManifestVersion);
  w.u64(data.size());
  w.u32(block_size);
  const std::size_t n = (data.size() + block_size - 1) / block_size;
  w.u32(static_cast<std::uint32_t>(n));
  for (std::size_t off = 0; off < data.size(); off += block_size) {
    const Digest h = sha256(data.subspan(off, std::min<std::size_t>(block_size, data.size() - off)));
    w.bytes(h.data(), h.size());
  }
  w.u16(static_cast<std::uint16_t>(keywords.size()));
  for (const auto& k : keywords) w.str16(k);
  return w.take();
}

std::size_t challenged_block(const QueryId& nonce, std::size_t block_count) {
  return block_count == 0 ? 0 : static_cast<std::size_t>((nonce.hi ^ nonce.lo) % block_count);
}

std::optional<DerivedManifest> derive_manifest(std::string_view object_id, std::span<const std::uint8_t> data,
                                               const std::vector<std::string>& keywords, std::uint32_t first) {
  if (!is_content_id(object_id)) return std::nullopt;
  std::vector<std::uint32_t> sizes;
  if (first >= kMinBlockSize && first <= kMaxBlockSize) sizes.push_back(first);
  if (first != kDefaultBlockSize) sizes.push_back(kDefaultBlockSize);
  for (std::uint32_t s = kMinBlockSize; s <= kMaxBlockSize; s *= 2)
    if (s != kDefaultBlockSize && s != first) sizes.push_back(s);
  // At most 13 tries, each hashing the object once: bounded, and cached by the caller.
  for (std::uint32_t s : sizes) {
    auto m = build_manifest(data, s, keywords);
    if (wire::to_hex(sha256(m)) == object_id) return DerivedManifest{std::move(m), s};
  }
  return std::nullopt;
}

std::vector<std::uint8_t> challenged_bytes(std::span<const std::uint8_t> data, std::uint32_t block_size,
                                           const QueryId& nonce) {
  if (data.empty() || block_size == 0) return {};
  const std::size_t n = (data.size() + block_size - 1) / block_size;
  const std::size_t i = challenged_block(nonce, n);
  const std::size_t off = i * block_size;
  auto b = data.subspan(off, std::min<std::size_t>(block_size, data.size() - off));
  return {b.begin(), b.end()};
}

ProofCheck check_proof(std::string_view object_id, const QueryId& nonce, std::span<const std::uint8_t> manifest,
                       std::span<const std::uint8_t> block) {
  ProofCheck c;
  if (!is_content_id(object_id)) return c.why = "not a content id", c;
  if (wire::to_hex(sha256(manifest)) != object_id) return c.why = "manifest does not hash to the object id", c;
  auto m = decode_manifest(manifest, c.why);
  if (!m) return c;
  if (!m->blocks.empty()) {
    const std::size_t i = challenged_block(nonce, m->blocks.size());
    if (block.size() != m->block_len(i)) return c.why = "challenged block has the wrong length", c;
    if (sha256(block) != m->blocks[i]) return c.why = "challenged block does not match the manifest", c;
  } else if (!block.empty()) {
    return c.why = "a block for an empty object", c;
  }
  for (const auto& k : m->keywords) c.keywords.push_back(fold_case(k));
  c.ok = true;
  return c;
}

}  // namespace butter::dbfs
