// PossessionChecks: this node's side of proof of possession (the protocol and why it is sound:
// possession.hpp) over all the groups it is in. It starts challenges when a member claims to hold
// every block (HAVE, a heartbeat's complete bit), checks the answers, and records the verdict in
// the group (MemberState::proven; a failure marks the member refused so that the leader replaces
// it), audits proven members again every audit_ms, and answers other nodes' challenges within
// their rate. It owns what is not per group: the new challenges left this tick (audit_per_tick)
// and the answer budgets per peer; the per-group proof state is the group's (Group::possession,
// possession_state.hpp). The Engine composes one and routes CHALLENGE, PROOF and the claims to it;
// it reaches the rest of the node only through CheckNode. How the checks run: possession_checks.cpp.
#pragma once
#include "engine_types.hpp"
#include "group.hpp"
#include "messages.hpp"
#include "possession.hpp"

#include <cstdint>

namespace butter::pcg {

// What the possession checks need from the node they run on (the Engine implements it).
class CheckNode {
 public:
  virtual std::uint64_t random() = 0;  // spreads the audits
  // Randomness an attacker must not predict: a challenge's nonce, block and range (Env::nonce).
  virtual std::uint64_t nonce() = 0;
  virtual void send(Output& out, const Hash& to, const Message& m) = 0;
  // Nothing heard from `m` for miss_limit heartbeats.
  virtual bool silent(const Group& g, const Hash& m, std::uint64_t now) const = 0;
  // Silent, or failed a challenge: it neither counts nor leads.
  virtual bool suspected(const Group& g, const Hash& m, std::uint64_t now) const = 0;
  // A member of `g` just proved it holds every block: a put waiting for replicas may be done.
  virtual void replica_proven(Group& g, std::uint64_t now, Output& out) = 0;
  // `m` failed a challenge: it is not recruited again before `until`.
  virtual void cool_down(const Hash& m, std::uint64_t until) = 0;

 protected:
  ~CheckNode() = default;  // not owned through this interface
};

class PossessionChecks {
 public:
  // `cfg` and `stats` are the node's (read and counted into); all three outlive this object.
  PossessionChecks(Hash self, const Config& cfg, Stats& stats, CheckNode& node);
  PossessionChecks(const PossessionChecks&) = delete;  // holds references into its owner
  PossessionChecks& operator=(const PossessionChecks&) = delete;

  // A new tick: audit_per_tick new challenges (claims and periodic audits; not retries) may go
  // out during it, so that a burst of claims (a restart with many groups) is spread out.
  void new_tick() { tokens_ = cfg_.audit_per_tick; }
  // Answer budgets left idle go (once per heartbeat round, not every tick).
  void prune(std::uint64_t now);

  // Member `m` of `g` says it holds every block: challenged (it counts once it answers right).
  void claim(Group& g, const Hash& m, std::uint64_t now, Output& out);
  // `m` says it does not: it stops counting.
  void disclaim(Group& g, const Hash& m);
  // Per tick and group: challenge timeouts (one retry, then failed), claims not yet challenged,
  // periodic audits, state of members no longer in the view forgotten.
  void step(Group& g, std::uint64_t now, Output& out);
  // Registers `from`, which announced a retiring copy of `g` by heartbeat, as a holder whose
  // challenges are answered; not when the table is full.
  void note_retiring_holder(Group& g, const Hash& from, std::uint64_t now);

  // A CHALLENGE from `from` about the object of `g` (nullptr: a group this node is not in).
  void on_challenge(const Group* g, const Hash& from, const Message& m, std::uint64_t now, Output& out);
  // A PROOF from `from` answering a challenge about the object of `g`.
  void on_proof(Group& g, const Hash& from, const Message& m, std::uint64_t now, Output& out);

 private:
  void challenge(Group& g, const Hash& m, std::uint32_t attempt, std::uint64_t now, Output& out);
  void proven(Group& g, const Hash& m, std::uint64_t now, Output& out);
  void disproven(Group& g, const Hash& m, bool timed_out, std::uint64_t now);
  bool leads(const Group& g, std::uint64_t now) const;
  std::uint64_t next_audit_time(std::uint64_t now);

  Hash self_;
  const Config& cfg_;
  Stats& stats_;
  CheckNode& node_;
  std::uint32_t tokens_ = 0;  // new challenges left this tick
  AnswerBudget answers_;      // challenges answered per peer (members, former members)
  // Challenges answered for retiring holders this node never had in its view: one bucket for all
  // of them (key: the zero id), so many ids posing as such get no more than one peer's rate.
  AnswerBudget shared_answers_;
};

}  // namespace butter::pcg
