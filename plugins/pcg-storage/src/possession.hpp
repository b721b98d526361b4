// Proof of possession: a group member counts as holding an object (towards r: PutDone's replica
// count, the repair planner, "confirmed elsewhere") only after it answered a challenge that can
// only be answered from the data, checked against the manifest. HAVE and the heartbeat's
// "complete" bit are only claims: they start a challenge, they never count by themselves.
//
// CHALLENGE (object, u64 nonce, block i, offset, length, mode) asks for one of:
//   mode 0  PROOF = BLAKE2b-256 (libsodium crypto_generichash) keyed with
//           (nonce, first 8 bytes of the object id) over
//           object id || u32 i || u32 offset || u32 length || block i [offset, offset + length).
//           The verifier computes the same from its own copy when it sends the challenge.
//   mode 1  PROOF = the whole block i, checked against the manifest's block hash: for a verifier
//           that does not hold block i itself (a recruit still filling its copy).
// Why this is sound: the nonce is fresh and secret until sent (Env::nonce, libsodium's CSPRNG in
// the plugin), 64 bits, so no answer can be computed in advance and kept instead of the data;
// keying (rather than hashing nonce || range) makes the proof a MAC of the range under a fresh
// key. Why these ranges: the block is uniform over the object and the range covers at least half
// of it at a random offset, so a prover that kept a share s of the blocks passes one audit with
// probability at most about s, and one that dropped even a few bytes of each block fails about
// half of the audits that land on a damaged part; audits repeat (every `audit_ms` per member), so
// a partial holder is caught with probability 1 - s^k after k audits.
// What it does not prove: that the prover keeps its own copy rather than fetching the challenged
// range from another holder within the timeout (a relay). That costs the relay a block of traffic
// per audit and still needs an honest copy to exist; placement diversity bounds how many members
// one party controls.
//
// Costs are bounded on both sides: one pending challenge per (group, member) (the per-member
// proof state and its invariants: possession_state.hpp), periodic audits capped per tick, a
// failed member not re-challenged before a cooldown, and challenges answered only for current
// group members and former members this node saw removed (`departed`), each within a per-peer
// byte rate (AnswerBudget), and for other retiring holders (removed before this node joined; they
// announce themselves by heartbeat) within ONE rate shared by all of them, so a stranger cannot
// make a node hash gigabytes however many ids it has.
//
// Who proves to a retiring holder: a member removed from the view keeps its copy until r other
// members are proven holders *to it* (Engine::confirmed_elsewhere). It keeps the proofs it got
// while a member (audited as before), and challenges the members it did not prove yet when their
// heartbeat entries claim the data; the members answer it as a former member or a retiring holder
// (above). A retiring node's failed or unanswered challenge only stops that member counting for
// it: it does not lead, so it marks nobody suspected or refused.
#pragma once
#include "blocks.hpp"

#include <butter/cpp/token_bucket.hpp>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace butter::pcg {

inline constexpr std::size_t kProofBytes = 32;

enum class ChallengeMode : std::uint8_t { KeyedHash = 0, WholeBlock = 1 };

struct ChallengeSpec {
  std::uint32_t index = 0;
  std::uint32_t offset = 0;  // KeyedHash only
  std::uint32_t length = 0;  // KeyedHash only
  ChallengeMode mode = ChallengeMode::KeyedHash;
};

// The mode-0 proof over `range` (the bytes [offset, offset + length) of block `index`).
Hash possession_proof(const Hash& object, std::uint64_t nonce, std::uint32_t index, std::uint32_t offset,
                      std::uint32_t length, std::span<const std::uint8_t> range);

// A challenge for an object of manifest `m` (REQUIRES: at least one block): the block uniform
// from `r1`, the range from `r2` (offset in [0, len/2], length at least half the block). A block
// the verifier does not hold (`have[i]` false) is asked for whole.
ChallengeSpec pick_challenge(const Manifest& m, const std::vector<bool>& have, std::uint64_t r1, std::uint64_t r2);

// The prover's answer from its copy; false (`why` set) when the challenge does not fit the
// manifest or the block is not held.
bool answer_challenge(const Hash& object, const Manifest& m, const std::vector<std::vector<std::uint8_t>>& blocks,
                      const std::vector<bool>& have, std::uint64_t nonce, const ChallengeSpec& c,
                      std::vector<std::uint8_t>& proof, std::string& why);

// Bytes of challenges this node answers per peer: a token bucket per peer, `rate` bytes per
// second up to `burst`. At most kMaxPeers peers are tracked; full buckets idle for a while are
// forgotten, and when the table is full a new peer is refused (only group members get here).
class AnswerBudget {
 public:
  static constexpr std::size_t kMaxPeers = 4096;
  AnswerBudget(std::uint64_t rate_bytes_per_s, std::uint64_t burst_bytes)
      : rate_(rate_bytes_per_s), burst_(burst_bytes) {}
  bool take(const Hash& peer, std::uint64_t bytes, std::uint64_t now);
  void prune(std::uint64_t now);
  std::size_t size() const { return buckets_.size(); }

 private:
  // Full when first seen. A full table refuses new peers rather than evicting one: a partly spent
  // bucket forgotten would hand its peer a fresh burst.
  std::uint64_t rate_, burst_;
  std::map<Hash, butter::TokenBucket> buckets_;
};

}  // namespace butter::pcg
