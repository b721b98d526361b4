// What one node knows, per group, of the other members' proofs of possession (the protocol and
// why it is sound are in possession.hpp): one entry per member holding its pending challenge, its
// next audit, its cooldown after a failure, and whether it claims the data or failed to prove it,
// plus the non-members that announced a retiring copy. The invariants live here, not with the
// callers:
//  - at most one pending challenge per member (starting one replaces the one before);
//  - entries only for other members of the group's view: prune_to_view, called every tick, drops
//    the rest, and an entry left with nothing in it is erased at once, so the table is bounded by
//    the view (kMaxMembers);
//  - a proof clears the claim, the cooldown and the failure; a failure clears the claim, the
//    pending challenge and the audit.
#pragma once
#include "possession.hpp"
#include "view.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace butter::pcg {

// A challenge this node sent and waits for.
struct PendingChallenge {
  std::uint64_t nonce = 0;
  ChallengeSpec spec;
  Hash expected{};  // KeyedHash: the proof computed from our copy
  std::uint64_t deadline = 0;
  std::uint32_t attempt = 0;  // 0: first try, 1: the retry after a timeout
};

// One other member's proof state, as this node knows it.
struct MemberProof {
  std::optional<PendingChallenge> pending;  // a challenge sent, its answer awaited
  std::optional<std::uint64_t> next_audit;  // proven: when to audit it again
  std::optional<std::uint64_t> not_before;  // failed: no new challenge before this time
  bool claimed = false;                     // said it holds every block: a preferred fetch source
  bool failed = false;                      // failed a challenge since its last proof: suspected
  bool empty() const { return !pending && !next_audit && !not_before && !claimed && !failed; }
};

// Per group: the members' proof states and the retiring holders whose challenges are answered.
class Possession {
 public:
  // --- reading ----------------------------------------------------------------------------------
  // Nullptr when nothing is known of `m`.
  const MemberProof* find(const Hash& m) const;
  bool claimed(const Hash& m) const { return test(m, &MemberProof::claimed); }
  bool failed(const Hash& m) const { return test(m, &MemberProof::failed); }
  // A challenge to `m` is pending (nullptr: none).
  const PendingChallenge* pending(const Hash& m) const;
  bool challenging(const Hash& m) const { return pending(m) != nullptr; }
  // `m` failed a challenge and is not challenged again before its cooldown ends.
  bool cooling(const Hash& m, std::uint64_t now) const;
  std::optional<std::uint64_t> next_audit(const Hash& m) const;
  // Any challenge of this group pending (the leader does not shed meanwhile).
  bool proving() const;
  // The members that claim the data and did not prove it since, in id order.
  std::vector<Hash> claimants() const;
  // Pending challenges whose deadline passed at `now`: (member, attempt), in id order.
  std::vector<std::pair<Hash, std::uint32_t>> expired(std::uint64_t now) const;
  std::size_t size() const { return members_.size(); }

  // --- what the engine does ---------------------------------------------------------------------
  // `m` says it holds every block (HAVE, a heartbeat's complete bit, the recruiter).
  void claim(const Hash& m);
  // `m` says it does not (or stopped counting): no claim, no challenge awaited, no audit due.
  void disclaim(const Hash& m);
  // A challenge sent to `m`; replaces the one pending, if any (its answer is no longer awaited).
  void start_challenge(const Hash& m, const PendingChallenge& pc);
  // The challenge to `m` is dropped without a verdict (it went silent; asked again later).
  void drop_challenge(const Hash& m);
  // `m` proved it: audited again at `next_audit`; its claim, cooldown and failure are cleared.
  void mark_proven(const Hash& m, std::uint64_t next_audit);
  // `m` failed or did not answer: disclaimed, not challenged again before `not_before`, and
  // suspected when `suspect` (a retiring holder only stops counting it: it suspects nobody).
  void mark_failed(const Hash& m, std::uint64_t not_before, bool suspect);
  // When to audit `m`, a proven member, next.
  void schedule_audit(const Hash& m, std::uint64_t at);
  // A pause of this node: every pending challenge's deadline moves on by `ms`.
  void delay_challenges(std::uint64_t ms);
  // Every tick: forgets whatever is known of `self` and of ids not in `view`, the audits of
  // members no longer `proven`, cooldowns that ended, and retiring holders whose announcement
  // expired or that are members again.
  void prune_to_view(const View& view, const Hash& self, const std::function<bool(const Hash&)>& proven,
                     std::uint64_t now);

  // --- retiring holders -------------------------------------------------------------------------
  // Non-members that announced, by heartbeat, a retiring copy of this group (a view naming this
  // node but not themselves, holding every block): their challenges are answered until `until`.
  // False, and nothing noted, when kMaxMembers holders are known and `from` is not one of them.
  bool note_retiring_holder(const Hash& from, std::uint64_t until);
  bool retiring_holder(const Hash& from, std::uint64_t now) const;
  std::size_t retiring_holders() const { return retiring_holders_.size(); }

 private:
  using Entries = std::map<Hash, MemberProof>;
  bool test(const Hash& m, bool MemberProof::*flag) const;
  // Erases `it` when nothing is left in it (the table holds only what matters).
  void erase_if_empty(Entries::iterator it);

  Entries members_;
  std::map<Hash, std::uint64_t> retiring_holders_;  // holder -> announcement good until
};

}  // namespace butter::pcg
