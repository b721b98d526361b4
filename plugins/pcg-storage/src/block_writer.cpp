// BlockWriter: incremental splitting and hashing for streamed puts.
#include "block_writer.hpp"

#include <algorithm>

namespace butter::pcg {

bool BlockWriter::write(std::span<const std::uint8_t> data, std::string& why) {
  if (data.size() > limit_ - std::min(limit_, written_)) {
    why = "put: " + std::to_string(written_ + data.size()) + " bytes would exceed the limit of " +
          std::to_string(limit_) + " bytes (expected size or free storage budget)";
    return false;
  }
  const std::uint64_t blocks_after = (written_ + data.size() + block_size_ - 1) / block_size_;
  if (blocks_after > kMaxBlocks) {
    why = "put: object too large (more than " + std::to_string(kMaxBlocks) + " blocks)";
    return false;
  }
  written_ += data.size();
  while (!data.empty()) {
    if (partial_.empty()) partial_.reserve(block_size_);
    const std::size_t n = std::min<std::size_t>(block_size_ - partial_.size(), data.size());
    partial_.insert(partial_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    data = data.subspan(n);
    if (partial_.size() == block_size_) {
      manifest_.blocks.push_back(sha256(partial_));
      blocks_.push_back(std::move(partial_));
      partial_ = {};
    }
  }
  return true;
}

std::optional<SplitObject> BlockWriter::finish(const std::vector<std::string>& keywords,
                                               std::optional<std::uint64_t> expected, std::string& why) {
  if (expected && *expected != written_) {
    why = "put: expected " + std::to_string(*expected) + " bytes, got " + std::to_string(written_);
    return std::nullopt;
  }
  if (!keywords_ok(keywords, why)) return std::nullopt;
  if (!partial_.empty()) {
    manifest_.blocks.push_back(sha256(partial_));
    blocks_.push_back(std::move(partial_));
    partial_ = {};
  }
  SplitObject out;
  out.manifest = std::move(manifest_);
  out.manifest.size = written_;
  out.manifest.block_size = block_size_;
  out.manifest.keywords = keywords;
  out.blocks = std::move(blocks_);
  out.manifest_bytes = encode_manifest(out.manifest);
  out.id = sha256(out.manifest_bytes);
  manifest_ = {};
  blocks_.clear();
  written_ = 0;
  return out;
}

}  // namespace butter::pcg
