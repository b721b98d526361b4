// PossessionChecks (possession_checks.hpp): a member's claim to hold every block (HAVE, the
// heartbeat's complete bit) starts a challenge; only a right answer sets its MemberState::proven,
// the bit everything that counts replicas reads. Proven members are audited again every audit_ms;
// one that answers wrong, says it does not hold the block, or does not answer a challenge and its
// retry stops counting and is treated as refused and suspected, so the leader replaces it (and a
// failing leader is replaced by the next member in leader order).
#include "possession_checks.hpp"

#include "deadlines.hpp"

#include <sodium.h>

#include <algorithm>

namespace butter::pcg {

PossessionChecks::PossessionChecks(Hash self, const Config& cfg, Stats& stats, CheckNode& node)
    : self_(self),
      cfg_(cfg),
      stats_(stats),
      node_(node),
      answers_(cfg.answer_bytes_per_s, std::max<std::uint64_t>(4 * cfg.answer_bytes_per_s, kMaxBlockSize)),
      shared_answers_(cfg.answer_bytes_per_s, std::max<std::uint64_t>(4 * cfg.answer_bytes_per_s, kMaxBlockSize)) {}

void PossessionChecks::prune(std::uint64_t now) {
  answers_.prune(now);
  shared_answers_.prune(now);
}

bool PossessionChecks::leads(const Group& g, std::uint64_t now) const {
  auto lead = leader(g.id, g.view, [&](const Hash& x) { return !node_.suspected(g, x, now); });
  return lead && *lead == self_;
}

std::uint64_t PossessionChecks::next_audit_time(std::uint64_t now) {
  const double u = static_cast<double>(node_.random() % 1000001) / 1000000.0 * 2.0 - 1.0;
  const double next = static_cast<double>(cfg_.audit_ms) * (1.0 + cfg_.jitter * u);
  return now + static_cast<std::uint64_t>(std::max(1.0, next));
}

void PossessionChecks::claim(Group& g, const Hash& m, std::uint64_t now, Output& out) {
  if (m == self_ || g.is_proven(m)) return;  // heartbeats repeat the claim
  Possession& p = g.possession;
  p.claim(m);
  if (p.challenging(m) || p.cooling(m, now)) return;
  if (node_.silent(g, m, now)) return;  // asked once it is heard again (step)
  if (g.manifest.blocks.empty()) {      // an empty object: holding nothing is holding it all
    proven(g, m, now, out);
    return;
  }
  // A member still filling its own copy checks claims once it holds the data (step, next
  // tick after it completes), with a 32-byte proof instead of a whole block — unless it leads the
  // group now: the leader's count drives repair and the put's result, so it asks at once, for a
  // block it lacks in whole (ChallengeMode::WholeBlock).
  if (!g.complete && !leads(g, now)) return;
  if (tokens_ == 0) return;  // this tick's challenges are spent: step() asks later
  --tokens_;
  challenge(g, m, 0, now, out);
}

void PossessionChecks::disclaim(Group& g, const Hash& m) {
  if (auto it = g.members.find(m); it != g.members.end()) {
    it->second.proven = false;
    if (it->second.empty()) g.members.erase(it);
  }
  g.possession.disclaim(m);
}

void PossessionChecks::challenge(Group& g, const Hash& m, std::uint32_t attempt, std::uint64_t now, Output& out) {
  PendingChallenge pc;
  pc.nonce = node_.nonce();
  const std::uint64_t r1 = node_.nonce(), r2 = node_.nonce();
  pc.spec = pick_challenge(g.manifest, g.data.have(), r1, r2);
  if (pc.spec.mode == ChallengeMode::KeyedHash) {
    const auto& block = g.data.blocks()[pc.spec.index];
    pc.expected = possession_proof(g.id, pc.nonce, pc.spec.index, pc.spec.offset, pc.spec.length,
                                   std::span<const std::uint8_t>(block).subspan(pc.spec.offset, pc.spec.length));
  }
  // A whole block (a verifier that lacks it) takes its size at the slowest rate allowed on top;
  // the retry after a timeout gets twice as long (the first may have been lost to a busy link,
  // not to a liar). Both bounded: a prover that never answers fails after the two.
  const std::uint64_t answer_bytes =
      pc.spec.mode == ChallengeMode::WholeBlock ? g.manifest.block_len(pc.spec.index) : 0;
  pc.deadline = now + (cfg_.request_timeout_ms << std::min<std::uint32_t>(attempt, 1)) +
                transfer_ms(answer_bytes, cfg_.min_transfer_bytes_per_s);
  pc.attempt = attempt;
  Message c;
  c.type = MsgType::Challenge;
  c.object = g.id;
  c.number = pc.nonce;
  c.index = pc.spec.index;
  c.offset = pc.spec.offset;
  c.length = pc.spec.length;
  c.mode = static_cast<std::uint8_t>(pc.spec.mode);
  g.possession.start_challenge(m, pc);
  ++stats_.challenges_sent;
  node_.send(out, m, c);
}

void PossessionChecks::proven(Group& g, const Hash& m, std::uint64_t now, Output& out) {
  g.possession.mark_proven(m, next_audit_time(now));
  g.members[m].proven = true;
  ++stats_.proofs_passed;
  node_.replica_proven(g, now, out);
}

void PossessionChecks::disproven(Group& g, const Hash& m, bool timed_out, std::uint64_t now) {
  disclaim(g, m);
  ++(timed_out ? stats_.proof_timeouts : stats_.proofs_failed);
  // A retiring copy's holder only stops counting the member towards "confirmed elsewhere": it
  // does not lead, so it has no say in who is suspected or replaced (and its challenges go
  // unanswered across a partition, which is no lie). Were it recruited back, stale failures
  // would make it remove healthy members.
  const bool suspect = !g.retiring(self_);
  g.possession.mark_failed(m, now + cfg_.refuse_cooldown_ms, suspect);
  if (!suspect) return;
  // Not re-challenged for a while (a liar repeating HAVE costs one challenge per cooldown), not
  // recruited again meanwhile, and — as a refused recruit — removed by the leader at its next
  // repair, which recruits another member in its place.
  g.members[m].refused = true;
  node_.cool_down(m, now + cfg_.refuse_cooldown_ms);
  g.next_repair = now;
}

void PossessionChecks::step(Group& g, std::uint64_t now, Output& out) {
  Possession& p = g.possession;
  auto proven_member = [&](const Hash& m) { return g.is_proven(m); };
  p.prune_to_view(g.view, self_, proven_member, now);
  for (const auto& [m, attempt] : p.expired(now)) {
    // A member that went silent altogether (a stalled or dead machine, not a wrong answer) is
    // already suspected: it neither counts nor leads. Its challenge is dropped, not failed, and
    // asked again once it is heard (its claim stands): a pause must not become a refusal, a
    // cooldown and the loss of a group's only source. A liar that answers heartbeats but not
    // challenges still fails after the retry.
    if (node_.silent(g, m, now)) {
      p.drop_challenge(m);
      continue;
    }
    if (attempt == 0) {
      challenge(g, m, 1, now, out);  // one retry with a fresh nonce: a lost message is not a lie
    } else {
      disproven(g, m, true, now);
    }
  }
  // Claims not challenged yet: heard while this node was still filling its copy, or beyond a
  // tick's challenges (see claim).
  if (g.manifest.blocks.empty()) return;
  if (const auto claimants = p.claimants(); !claimants.empty() && (g.complete || leads(g, now))) {
    for (const auto& m : claimants) {
      if (tokens_ == 0) return;
      if (p.challenging(m) || g.is_proven(m) || node_.silent(g, m, now)) continue;
      if (p.cooling(m, now)) continue;
      --tokens_;
      challenge(g, m, 0, now, out);
    }
  }
  if (!g.complete) return;
  // Periodic audits: by a member that holds the data, of the members that proved it before.
  for (const auto& mem : g.view.members) {
    if (tokens_ == 0) return;
    const Hash& m = mem.id;
    if (m == self_ || !g.is_proven(m) || p.challenging(m) || node_.silent(g, m, now)) continue;
    auto due = p.next_audit(m);
    if (!due) {  // proven elsewhere (a restored view): spread the first audit
      due = next_audit_time(now);
      p.schedule_audit(m, *due);
    }
    if (now < *due) continue;
    --tokens_;
    challenge(g, m, 0, now, out);
  }
}

void PossessionChecks::note_retiring_holder(Group& g, const Hash& from, std::uint64_t now) {
  // As long as a member is heard before it counts as silent; the holder repeats its heartbeat.
  // Refused when the table is full: that holder keeps its copy longer.
  const std::uint64_t until = now + (cfg_.miss_limit + 1) * cfg_.heartbeat_ms + cfg_.request_timeout_ms;
  (void)g.possession.note_retiring_holder(from, until);
}

void PossessionChecks::on_challenge(const Group* g, const Hash& from, const Message& m, std::uint64_t now,
                                    Output& out) {
  // Answered for members of the group, former members this node saw removed (each its own
  // rate), and holders that announced a retiring copy by heartbeat (one rate shared by all of
  // them): a retiring copy is let go only once r members proved themselves to its holder. A
  // stranger that never announced itself cannot make this node hash its data.
  const bool vouched = g && (g->view.contains(from) || g->departed.count(from));
  const bool announced = g && !vouched && g->possession.retiring_holder(from, now);
  if (!vouched && !announced) {
    ++stats_.non_member_messages;
    ++stats_.challenges_refused;
    return;
  }
  ChallengeSpec c;
  c.index = m.index;
  c.offset = m.offset;
  c.length = m.length;
  c.mode = static_cast<ChallengeMode>(m.mode);
  const std::uint64_t cost = c.mode == ChallengeMode::WholeBlock
                                 ? (c.index < g->manifest.blocks.size() ? g->manifest.block_len(c.index) : 0)
                                 : c.length;
  const bool within = vouched ? answers_.take(from, std::max<std::uint64_t>(cost, 1), now)
                              : shared_answers_.take(Hash{}, std::max<std::uint64_t>(cost, 1), now);
  if (!within) {
    ++stats_.challenges_refused;  // over this peer's rate: no answer (it retries once)
    return;
  }
  Message p;
  p.type = MsgType::Proof;
  p.object = m.object;
  p.number = m.number;
  std::string why;
  if (answer_challenge(g->id, g->manifest, g->data.blocks(), g->data.have(), m.number, c, p.data, why)) {
    p.status = BUTTER_OK;
    ++stats_.challenges_answered;
  } else {
    p.status = BUTTER_E_NOT_FOUND;
    p.data.clear();
    ++stats_.challenges_refused;
  }
  node_.send(out, from, p);
}

void PossessionChecks::on_proof(Group& g, const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  const PendingChallenge* awaited = g.possession.pending(from);
  if (!awaited || awaited->nonce != m.number) return;  // late or unasked
  const PendingChallenge pc = *awaited;                // a copy: proven() or disproven() below ends it
  bool ok = m.status == BUTTER_OK;
  if (ok && pc.spec.mode == ChallengeMode::KeyedHash) {
    ok = m.data.size() == kProofBytes && sodium_memcmp(m.data.data(), pc.expected.data(), kProofBytes) == 0;
  } else if (ok) {
    ok = verify_block(g.manifest, pc.spec.index, m.data);
  }
  if (ok) {
    proven(g, from, now, out);
  } else {
    disproven(g, from, false, now);
  }
}

}  // namespace butter::pcg
