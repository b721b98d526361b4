// BlockWriter: builds a SplitObject (blocks.hpp) from bytes that arrive in pieces of any size, as
// a streamed put (butter.storage/3) delivers them: each block is hashed as soon as it is full, so
// nothing is hashed twice and commit only has to hash the manifest. What it holds: every full
// block (the engine keeps stored objects in memory, so they are kept, not copied again, when the
// object is put) plus at most one partial block.
#pragma once
#include "blocks.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace butter::pcg {

class BlockWriter {
 public:
  // REQUIRES: kMinBlockSize <= block_size <= kMaxBlockSize. `limit`: the most bytes accepted in all
  // (an expected size, or the node's free budget).
  BlockWriter(std::uint32_t block_size, std::uint64_t limit) : block_size_(block_size), limit_(limit) {}

  // Appends `data` (copied). False, with `why`, when that would pass the limit or kMaxBlocks;
  // then nothing of `data` is taken.
  bool write(std::span<const std::uint8_t> data, std::string& why);
  // The object so far, with its manifest and id. Checks the keywords (as split() does) and, when
  // `expected` is set, that exactly that many bytes were written. The writer is empty after.
  std::optional<SplitObject> finish(const std::vector<std::string>& keywords, std::optional<std::uint64_t> expected,
                                    std::string& why);

  // Bytes taken so far, all held until finish (full blocks and the partial one).
  std::uint64_t written() const { return written_; }

 private:
  std::uint32_t block_size_;
  std::uint64_t limit_;
  std::uint64_t written_ = 0;
  Manifest manifest_;
  std::vector<std::vector<std::uint8_t>> blocks_;
  std::vector<std::uint8_t> partial_;
};

}  // namespace butter::pcg
