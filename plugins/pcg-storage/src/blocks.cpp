// Block splitting, the manifest codec, and verification of blocks and whole objects.
#include "blocks.hpp"

#include <butter/wire.hpp>

#include <algorithm>

namespace butter::pcg {

namespace {
constexpr char kMagic[4] = {'P', 'C', 'G', 'M'};
constexpr std::uint8_t kManifestVersion = 1;
}  // namespace

std::size_t Manifest::block_len(std::size_t i) const {
  if (i >= blocks.size()) return 0;
  if (i + 1 < blocks.size()) return block_size;
  return static_cast<std::size_t>(size - static_cast<std::uint64_t>(block_size) * (blocks.size() - 1));
}

bool keywords_ok(const std::vector<std::string>& keywords, std::string& why) {
  if (keywords.size() > kMaxKeywords) {
    why = "too many keywords (at most " + std::to_string(kMaxKeywords) + ")";
    return false;
  }
  for (const auto& k : keywords) {
    if (k.size() > kMaxKeywordLen) {
      why = "keyword longer than " + std::to_string(kMaxKeywordLen) + " bytes";
      return false;
    }
  }
  return true;
}

std::optional<SplitObject> split(std::span<const std::uint8_t> data, std::uint32_t block_size,
                                 const std::vector<std::string>& keywords, std::string& why) {
  if (block_size < kMinBlockSize || block_size > kMaxBlockSize) {
    why = "block size out of range";
    return std::nullopt;
  }
  if (!keywords_ok(keywords, why)) return std::nullopt;
  const std::uint64_t count = (data.size() + block_size - 1) / block_size;
  if (count > kMaxBlocks) {
    why = "object too large (" + std::to_string(data.size()) + " bytes)";
    return std::nullopt;
  }
  SplitObject out;
  out.manifest.size = data.size();
  out.manifest.block_size = block_size;
  out.manifest.keywords = keywords;
  out.blocks.reserve(count);
  for (std::size_t off = 0; off < data.size(); off += block_size) {
    const std::size_t n = std::min<std::size_t>(block_size, data.size() - off);
    auto piece = data.subspan(off, n);
    out.manifest.blocks.push_back(sha256(piece));
    out.blocks.emplace_back(piece.begin(), piece.end());
  }
  out.manifest_bytes = encode_manifest(out.manifest);
  out.id = sha256(out.manifest_bytes);
  return out;
}

std::vector<std::uint8_t> encode_manifest(const Manifest& m) {
  wire::Writer w;
  w.bytes(kMagic, 4);
  w.u8(kManifestVersion);
  w.u64(m.size);
  w.u32(m.block_size);
  w.u32(static_cast<std::uint32_t>(m.blocks.size()));
  for (const auto& h : m.blocks) w.bytes(h.data(), h.size());
  w.u16(static_cast<std::uint16_t>(m.keywords.size()));
  for (const auto& k : m.keywords) w.str16(k);
  return w.take();
}

std::optional<Manifest> decode_manifest(std::span<const std::uint8_t> bytes, std::string& why) {
  wire::Reader r(bytes.data(), bytes.size());
  auto magic = r.bytes(4);
  const std::uint8_t version = r.u8();
  if (!r.ok() || magic != std::string_view(kMagic, 4)) {
    why = "not a manifest";
    return std::nullopt;
  }
  if (version != kManifestVersion) {
    why = "unknown manifest version " + std::to_string(version);
    return std::nullopt;
  }
  Manifest m;
  m.size = r.u64();
  m.block_size = r.u32();
  const std::uint32_t count = r.u32();
  if (!r.ok() || m.block_size < kMinBlockSize || m.block_size > kMaxBlockSize || count > kMaxBlocks ||
      r.remaining() < static_cast<std::size_t>(count) * 32) {
    why = "manifest header out of range";
    return std::nullopt;
  }
  // The size must need exactly `count` blocks. Rounded up without adding first: size + block_size
  // wraps near 2^64, and a manifest of size 2^64 - 1 and no blocks would pass (then assembling
  // it reserves 2^64 - 1 bytes, and a streamed read of it ends at once "complete").
  const std::uint64_t need = m.size / m.block_size + (m.size % m.block_size != 0 ? 1 : 0);
  if (need != count) {
    why = "manifest size " + std::to_string(m.size) + " does not match " + std::to_string(count) + " blocks";
    return std::nullopt;
  }
  m.blocks.resize(count);
  for (auto& h : m.blocks) {
    auto b = r.bytes(32);
    std::copy(b.begin(), b.end(), h.begin());
  }
  const std::uint16_t kw = r.u16();
  if (kw > kMaxKeywords) {
    why = "too many keywords";
    return std::nullopt;
  }
  for (std::uint16_t i = 0; i < kw && r.ok(); ++i) m.keywords.emplace_back(r.str16(kMaxKeywordLen));
  if (!r.ok() || !r.at_end()) {
    why = "truncated or overlong manifest";
    return std::nullopt;
  }
  return m;
}

std::optional<Manifest> verify_manifest(const Hash& id, std::span<const std::uint8_t> bytes, std::string& why) {
  if (sha256(bytes) != id) {
    why = "manifest does not hash to the object id";
    return std::nullopt;
  }
  return decode_manifest(bytes, why);
}

bool verify_block(const Manifest& m, std::size_t i, std::span<const std::uint8_t> block) {
  return i < m.blocks.size() && block.size() == m.block_len(i) && sha256(block) == m.blocks[i];
}

std::optional<std::vector<std::uint8_t>> assemble(const Manifest& m,
                                                  const std::vector<std::vector<std::uint8_t>>& blocks,
                                                  std::string& why) {
  if (blocks.size() != m.blocks.size()) {
    why = "have " + std::to_string(blocks.size()) + " of " + std::to_string(m.blocks.size()) + " blocks";
    return std::nullopt;
  }
  std::vector<std::uint8_t> out;
  out.reserve(static_cast<std::size_t>(m.size));
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (!verify_block(m, i, blocks[i])) {
      why = "block " + std::to_string(i) + " does not match its hash";
      return std::nullopt;
    }
    out.insert(out.end(), blocks[i].begin(), blocks[i].end());
  }
  if (out.size() != m.size) {
    why = "assembled " + std::to_string(out.size()) + " bytes, manifest says " + std::to_string(m.size);
    return std::nullopt;
  }
  return out;
}

}  // namespace butter::pcg
