#include "cli/manifest_check.hpp"

#include <butter/iface/storage2.h>
#include <butter/wire.hpp>

#include <cstring>

namespace butter::host::cli {

std::string sha256_hex(std::string_view bytes) {
  Sha256 s;
  s.update(bytes);
  const auto h = s.finish();
  return wire::to_hex(std::span<const std::uint8_t>(h));
}

// OpenSSL's SHA-256: about 5x libsodium's on a CPU with SHA instructions, and the CLI hashes every
// byte it puts and gets.
Sha256::Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) { reset(); }

void Sha256::reset() { failed_ = !ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1; }

void Sha256::update(std::string_view bytes) {
  if (!failed_ && EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) failed_ = true;
}

std::array<std::uint8_t, 32> Sha256::finish() {
  std::array<std::uint8_t, 32> h{};
  unsigned int len = 0;
  // OpenSSL refused (out of memory, say): a digest of zeros, which matches no block or id, so the
  // command fails on a mismatch rather than passing unverified bytes.
  if (failed_ || EVP_DigestFinal_ex(ctx_.get(), h.data(), &len) != 1 || len != h.size()) h.fill(0);
  reset();
  return h;
}

std::optional<Manifest> parse_manifest(std::string_view bytes, const std::string& id_hex, std::string& why) {
  if (sha256_hex(bytes) != id_hex) {
    why = "the manifest the node sent does not hash to the object id";
    return std::nullopt;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t fixed = 4 + 1 + 8 + 4 + 4;
  if (bytes.size() < fixed || std::memcmp(p, BUTTER_STORAGE_MANIFEST_MAGIC, 4) != 0 ||
      p[4] != BUTTER_STORAGE_MANIFEST_VERSION) {
    why = "the manifest is not of a version this command knows";
    return std::nullopt;
  }
  Manifest m;
  wire::Reader sizes(p + 5, 8 + 4 + 4);  // within `fixed`, checked above
  m.size = sizes.u64();
  m.block_size = sizes.u32();
  const std::uint64_t n = sizes.u32();
  if (m.block_size < BUTTER_STORAGE_MIN_BLOCK_SIZE || m.block_size > BUTTER_STORAGE_MAX_BLOCK_SIZE ||
      n != (m.size + m.block_size - 1) / m.block_size || bytes.size() < fixed + n * 32) {
    why = "the manifest's sizes do not add up";
    return std::nullopt;
  }
  m.blocks.resize(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < n; ++i) std::memcpy(m.blocks[i].data(), p + fixed + i * 32, 32);
  return m;
}

BlockVerifier::BlockVerifier(const Manifest& m, std::uint64_t offset) : m_(m), offset_(offset), verified_(offset) {}

bool BlockVerifier::feed(std::string_view bytes, std::string& why) {
  while (!bytes.empty()) {
    if (offset_ >= m_.size) {
      why = "more bytes than the manifest's " + std::to_string(m_.size);
      return false;
    }
    const std::uint64_t block_end = std::min<std::uint64_t>(m_.size, (offset_ / m_.block_size + 1) * m_.block_size);
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), block_end - offset_));
    st_.update(bytes.substr(0, n));
    offset_ += n;
    bytes.remove_prefix(n);
    if (offset_ == block_end && !close_block(why)) return false;
  }
  return true;
}

bool BlockVerifier::close_block(std::string& why) {
  const auto h = st_.finish();
  const std::size_t index = static_cast<std::size_t>((offset_ - 1) / m_.block_size);
  if (std::memcmp(h.data(), m_.blocks[index].data(), 32) != 0) {
    why = "block " + std::to_string(index) + " does not match the manifest";
    return false;
  }
  verified_ = offset_;
  return true;
}

}  // namespace butter::host::cli
