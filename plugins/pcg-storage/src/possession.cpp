// Proof of possession: the proof function, the choice of challenges, the prover's answer and the
// per-peer answer budget (see possession.hpp for the design and why).
#include "possession.hpp"

#include <butter/wire.hpp>
#include <sodium.h>

#include <algorithm>

namespace butter::pcg {

Hash possession_proof(const Hash& object, std::uint64_t nonce, std::uint32_t index, std::uint32_t offset,
                      std::uint32_t length, std::span<const std::uint8_t> range) {
  static_assert(crypto_generichash_KEYBYTES_MIN == 16);
  wire::Writer key;  // 16 bytes: the nonce, big-endian, then the object id's first 8 bytes
  key.u64(nonce);
  key.bytes(object.data(), 8);
  wire::Writer head;  // index, offset, length: 4 bytes each, big-endian
  head.u32(index);
  head.u32(offset);
  head.u32(length);
  crypto_generichash_state st;
  crypto_generichash_init(&st, key.data().data(), key.size(), kProofBytes);
  crypto_generichash_update(&st, object.data(), object.size());
  crypto_generichash_update(&st, head.data().data(), head.size());
  crypto_generichash_update(&st, range.data(), range.size());
  Hash out{};
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

ChallengeSpec pick_challenge(const Manifest& m, const std::vector<bool>& have, std::uint64_t r1, std::uint64_t r2) {
  ChallengeSpec c;
  c.index = static_cast<std::uint32_t>(r1 % m.blocks.size());
  if (c.index >= have.size() || !have[c.index]) {
    c.mode = ChallengeMode::WholeBlock;
    return c;
  }
  const auto len = static_cast<std::uint32_t>(m.block_len(c.index));
  const std::uint32_t half = len / 2;
  c.offset = static_cast<std::uint32_t>(r2 % (half + 1));
  const std::uint32_t min_len = len - half;      // at least half the block (len >= 1)
  const std::uint32_t max_len = len - c.offset;  // >= min_len since offset <= half
  c.length = min_len + static_cast<std::uint32_t>((r2 >> 32) % (max_len - min_len + 1));
  return c;
}

bool answer_challenge(const Hash& object, const Manifest& m, const std::vector<std::vector<std::uint8_t>>& blocks,
                      const std::vector<bool>& have, std::uint64_t nonce, const ChallengeSpec& c,
                      std::vector<std::uint8_t>& proof, std::string& why) {
  if (c.index >= m.blocks.size() || c.index >= have.size() || c.index >= blocks.size()) {
    why = "no such block";
    return false;
  }
  if (!have[c.index]) {
    why = "block not held";
    return false;
  }
  const auto& block = blocks[c.index];
  if (c.mode == ChallengeMode::WholeBlock) {
    proof = block;
    return true;
  }
  if (c.length == 0 || c.offset > block.size() || c.length > block.size() - c.offset) {
    why = "range outside the block";
    return false;
  }
  const Hash p = possession_proof(object, nonce, c.index, c.offset, c.length,
                                  std::span<const std::uint8_t>(block).subspan(c.offset, c.length));
  proof.assign(p.begin(), p.end());
  return true;
}

bool AnswerBudget::take(const Hash& peer, std::uint64_t bytes, std::uint64_t now) {
  auto it = buckets_.find(peer);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxPeers) prune(now);
    if (buckets_.size() >= kMaxPeers) return false;
    it =
        buckets_.emplace(peer, butter::TokenBucket(static_cast<double>(rate_), static_cast<double>(burst_), now)).first;
  }
  return it->second.take(now, static_cast<double>(bytes));
}

void AnswerBudget::prune(std::uint64_t now) {
  // A bucket refilled to its burst carries no state: forgetting it changes nothing.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = it->second.available(now) >= static_cast<double>(burst_) ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace butter::pcg
