// The per-group proof state (possession_state.hpp) without an engine: one pending challenge per
// member, what a proof and a failure clear, pruning to the view, expiries and pauses, the
// claimants' order, and the bounded table of retiring holders.
#include "possession_state.hpp"

#include <catch2/catch.hpp>

using namespace butter::pcg;

namespace {

Hash proof_state_id(std::uint8_t n) {
  Hash h{};
  h[0] = n;
  return h;
}

PendingChallenge proof_state_challenge(std::uint64_t nonce, std::uint64_t deadline, std::uint32_t attempt = 0) {
  PendingChallenge pc;
  pc.nonce = nonce;
  pc.deadline = deadline;
  pc.attempt = attempt;
  return pc;
}

View proof_state_view(std::initializer_list<std::uint8_t> ids) {
  View v;
  for (auto n : ids) v.add(Member{proof_state_id(n), {}});
  return v;
}

}  // namespace

TEST_CASE("possession state: one pending challenge per member, a new one replaces the old") {
  Possession p;
  const Hash a = proof_state_id(1), b = proof_state_id(2);
  CHECK_FALSE(p.proving());
  CHECK(p.pending(a) == nullptr);
  p.start_challenge(a, proof_state_challenge(11, 100));
  p.start_challenge(a, proof_state_challenge(12, 200, 1));
  REQUIRE(p.pending(a) != nullptr);
  CHECK(p.pending(a)->nonce == 12);  // the first one's answer is no longer awaited
  CHECK(p.pending(a)->attempt == 1);
  CHECK(p.challenging(a));
  CHECK_FALSE(p.challenging(b));
  CHECK(p.proving());
  CHECK(p.size() == 1);
  // Dropped without a verdict: nothing else was known, so the entry goes.
  p.drop_challenge(a);
  CHECK_FALSE(p.challenging(a));
  CHECK_FALSE(p.proving());
  CHECK(p.size() == 0);
  // Dropping what is not there creates nothing.
  p.drop_challenge(b);
  CHECK(p.find(b) == nullptr);
}

TEST_CASE("possession state: a proof clears the claim, the challenge, the cooldown and the failure") {
  Possession p;
  const Hash a = proof_state_id(1);
  p.claim(a);
  p.mark_failed(a, 500, true);
  p.claim(a);
  p.start_challenge(a, proof_state_challenge(7, 100));
  REQUIRE(p.failed(a));
  REQUIRE(p.cooling(a, 0));
  p.mark_proven(a, 1000);
  CHECK_FALSE(p.claimed(a));
  CHECK_FALSE(p.failed(a));
  CHECK_FALSE(p.challenging(a));
  CHECK_FALSE(p.cooling(a, 0));
  CHECK(p.next_audit(a) == std::optional<std::uint64_t>(1000));
  CHECK(p.claimants().empty());
  p.schedule_audit(a, 2000);
  CHECK(p.next_audit(a) == std::optional<std::uint64_t>(2000));
}

TEST_CASE("possession state: a failure disclaims and cools down, and suspects only when told to") {
  Possession p;
  const Hash a = proof_state_id(1);
  p.claim(a);
  p.start_challenge(a, proof_state_challenge(7, 100));
  p.schedule_audit(a, 300);
  // As a retiring holder sees it: stops counting, not suspected.
  p.mark_failed(a, 100, false);
  CHECK_FALSE(p.claimed(a));
  CHECK_FALSE(p.challenging(a));
  CHECK_FALSE(p.next_audit(a));
  CHECK_FALSE(p.failed(a));
  CHECK(p.cooling(a, 99));
  CHECK_FALSE(p.cooling(a, 100));
  // As a member sees it: suspected; a later unsuspecting failure does not clear that.
  p.mark_failed(a, 200, true);
  CHECK(p.failed(a));
  p.mark_failed(a, 300, false);
  CHECK(p.failed(a));
  CHECK(p.cooling(a, 299));
}

TEST_CASE("possession state: disclaim keeps the cooldown and the failure, and creates nothing") {
  Possession p;
  const Hash a = proof_state_id(1), b = proof_state_id(2);
  p.mark_failed(a, 100, true);
  p.claim(a);
  p.disclaim(a);
  CHECK_FALSE(p.claimed(a));
  CHECK(p.failed(a));
  CHECK(p.cooling(a, 50));
  p.disclaim(b);
  CHECK(p.find(b) == nullptr);
  // An entry with only a claim is gone once the claim is.
  p.claim(b);
  p.disclaim(b);
  CHECK(p.find(b) == nullptr);
  CHECK(p.size() == 1);
}

TEST_CASE("possession state: pruning keeps only other view members, audits of the proven, running cooldowns") {
  Possession p;
  const Hash self = proof_state_id(1), a = proof_state_id(2), b = proof_state_id(3), c = proof_state_id(4),
             gone = proof_state_id(9);
  const View view = proof_state_view({1, 2, 3, 4});
  p.claim(self);  // an engine never notes itself; pruning forgets it anyway
  p.schedule_audit(a, 1000);
  p.claim(a);
  p.mark_failed(b, 50, true);
  p.mark_failed(c, 50, false);  // cooldown only: nothing left once it ends
  p.claim(gone);
  p.start_challenge(gone, proof_state_challenge(1, 10));
  p.prune_to_view(
      view, self, [&](const Hash& m) { return m != a; }, 50);
  CHECK(p.find(self) == nullptr);
  CHECK(p.find(gone) == nullptr);
  CHECK_FALSE(p.proving());  // the non-member's challenge went with it
  REQUIRE(p.find(a) != nullptr);
  CHECK_FALSE(p.next_audit(a));  // no longer proven: no audit
  CHECK(p.claimed(a));
  REQUIRE(p.find(b) != nullptr);
  CHECK(p.failed(b));
  CHECK_FALSE(p.find(b)->not_before);  // cooldown over at 50
  CHECK(p.find(c) == nullptr);         // emptied, so erased
  CHECK(p.size() == 2);
  // A proven member keeps its audit; a cooldown still running stays.
  p.schedule_audit(a, 1000);
  p.mark_failed(c, 80, false);
  p.prune_to_view(
      view, self, [](const Hash&) { return true; }, 60);
  CHECK(p.next_audit(a) == std::optional<std::uint64_t>(1000));
  CHECK(p.cooling(c, 60));
}

TEST_CASE("possession state: pruning bounds the table by the view however many ids were noted") {
  Possession p;
  const Hash self = proof_state_id(0);
  for (int n = 0; n < 200; ++n) p.claim(proof_state_id(static_cast<std::uint8_t>(n)));
  CHECK(p.size() == 200);
  View view;
  for (std::size_t n = 0; n < kMaxMembers; ++n) view.add(Member{proof_state_id(static_cast<std::uint8_t>(n)), {}});
  p.prune_to_view(
      view, self, [](const Hash&) { return false; }, 0);
  CHECK(p.size() == kMaxMembers - 1);  // the view's members but self
  for (const Hash& m : p.claimants()) CHECK(view.contains(m));
}

TEST_CASE("possession state: expired challenges in id order with their attempt, moved on by a pause") {
  Possession p;
  const Hash a = proof_state_id(1), b = proof_state_id(2);
  p.start_challenge(b, proof_state_challenge(1, 10, 0));
  p.start_challenge(a, proof_state_challenge(2, 20, 1));
  CHECK(p.expired(9).empty());
  auto due = p.expired(15);
  REQUIRE(due.size() == 1);
  CHECK(due[0] == std::make_pair(b, std::uint32_t{0}));
  p.delay_challenges(10);  // the node was paused 10 ms
  CHECK(p.expired(19).empty());
  CHECK(p.pending(b)->deadline == 20);
  due = p.expired(30);
  REQUIRE(due.size() == 2);
  CHECK(due[0] == std::make_pair(a, std::uint32_t{1}));
  CHECK(due[1] == std::make_pair(b, std::uint32_t{0}));
}

TEST_CASE("possession state: the claimants, in id order, are the members claiming and not proven since") {
  Possession p;
  const Hash a = proof_state_id(1), b = proof_state_id(2), c = proof_state_id(3);
  p.claim(c);
  p.claim(a);
  p.claim(b);
  p.schedule_audit(b, 5);  // an audit alone is no claim
  CHECK(p.claimants() == std::vector<Hash>{a, b, c});
  p.mark_proven(b, 10);
  CHECK(p.claimants() == std::vector<Hash>{a, c});
  CHECK(p.claimed(a));
  CHECK_FALSE(p.claimed(b));
}

TEST_CASE("possession state: retiring holders are bounded, expire, and stop counting once members again") {
  Possession p;
  for (std::size_t n = 0; n < kMaxMembers; ++n)
    CHECK(p.note_retiring_holder(proof_state_id(static_cast<std::uint8_t>(n + 100)), 1000));
  const Hash first = proof_state_id(100), extra = proof_state_id(99);
  CHECK_FALSE(p.note_retiring_holder(extra, 1000));  // full: refused, not evicting anyone
  CHECK_FALSE(p.retiring_holder(extra, 0));
  CHECK(p.note_retiring_holder(first, 2000));  // a known one renews
  CHECK(p.retiring_holders() == kMaxMembers);
  CHECK(p.retiring_holder(first, 1999));
  CHECK_FALSE(p.retiring_holder(first, 2000));
  // Pruned when expired, or when the holder is a member of the view again (101: not expired).
  CHECK(p.note_retiring_holder(proof_state_id(101), 2000));
  View view = proof_state_view({101});
  p.prune_to_view(
      view, proof_state_id(0), [](const Hash&) { return false; }, 1000);
  CHECK(p.retiring_holders() == 1);  // only `first` (until 2000) is left
  CHECK(p.retiring_holder(first, 1500));
  CHECK_FALSE(p.retiring_holder(proof_state_id(101), 500));
  CHECK(p.note_retiring_holder(extra, 3000));  // room again
}
