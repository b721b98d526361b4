// Possession checks (possession_checks.hpp) without an engine: a fake node records what is sent
// and says who is silent. A claim is challenged and a right proof (computed by another node's
// checks from its own copy) makes the member count; a wrong one makes it refused, cooled down and
// failed; an unanswered challenge is retried once, then fails, unless its member went silent;
// challenges are answered only for members and former members; new challenges per tick are capped.
#include "possession_checks.hpp"
#include "sim_helpers.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace butter::pcg;
using namespace butter::pcg::test;

namespace {

struct ChecksTestNode final : CheckNode {
  std::uint64_t draws = 0;
  std::vector<std::pair<Hash, Message>> sent;  // (to, message), in order sent
  std::set<Hash> silent_ids;
  std::size_t replicas_proven = 0;
  std::map<Hash, std::uint64_t> cooldowns;
  std::uint64_t random() override { return ++draws * 7919; }
  std::uint64_t nonce() override { return ++draws * 104729; }
  void send(Output&, const Hash& to, const Message& m) override { sent.emplace_back(to, m); }
  bool silent(const Group&, const Hash& m, std::uint64_t) const override { return silent_ids.count(m) != 0; }
  bool suspected(const Group& g, const Hash& m, std::uint64_t now) const override {
    return g.possession.failed(m) || silent(g, m, now);
  }
  void replica_proven(Group&, std::uint64_t, Output&) override { ++replicas_proven; }
  void cool_down(const Hash& m, std::uint64_t until) override { cooldowns[m] = until; }
  Message take_one(MsgType type) {
    REQUIRE(sent.size() == 1);
    REQUIRE(sent[0].second.type == type);
    Message m = sent[0].second;
    sent.clear();
    return m;
  }
};

Hash checks_test_id(std::uint8_t n) {
  Hash h{};
  h[0] = n;
  return h;
}

SplitObject checks_test_object() {
  std::string why;
  auto obj = split(bytes_of(4 * 1024, 5), 1024, {}, why);
  REQUIRE(obj);
  return std::move(*obj);
}

// A complete copy of `obj` on a node whose view of the group is `members`, all heard at 0.
Group checks_test_group(const SplitObject& obj, std::initializer_list<Hash> members) {
  Group g;
  g.id = obj.id;
  g.manifest = obj.manifest;
  g.manifest_bytes = obj.manifest_bytes;
  g.data.hold_all(obj.blocks);
  g.complete = true;
  g.view.version = 1;
  for (const auto& m : members) {
    g.view.add(Member{m, {}});
    g.members[m].heard = 0;
    g.members[m].joined = 0;
  }
  return g;
}

}  // namespace

TEST_CASE("possession checks: a claim is challenged and the prover's right answer makes it count") {
  const auto obj = checks_test_object();
  const Config cfg = test_config();
  const Hash v = checks_test_id(1), a = checks_test_id(2);
  ChecksTestNode vnode, anode;
  Stats vstats, astats;
  PossessionChecks verifier(v, cfg, vstats, vnode), prover(a, cfg, astats, anode);
  Group gv = checks_test_group(obj, {v, a}), ga = checks_test_group(obj, {v, a});
  Output out;
  verifier.new_tick();
  verifier.claim(gv, a, 0, out);
  const Message challenge = vnode.take_one(MsgType::Challenge);
  CHECK(vstats.challenges_sent == 1);
  CHECK(gv.possession.challenging(a));
  CHECK_FALSE(gv.is_proven(a));
  // A repeated claim while the challenge is pending asks nothing more.
  verifier.claim(gv, a, 1, out);
  CHECK(vnode.sent.empty());

  prover.on_challenge(&ga, v, challenge, 2, out);
  const Message proof = anode.take_one(MsgType::Proof);
  CHECK(proof.status == BUTTER_OK);
  CHECK(astats.challenges_answered == 1);

  verifier.on_proof(gv, a, proof, 3, out);
  CHECK(gv.is_proven(a));
  CHECK_FALSE(gv.possession.challenging(a));
  CHECK(vstats.proofs_passed == 1);
  CHECK(vnode.replicas_proven == 1);
  // Once proven, its claims are not challenged again (audits are, every audit_ms).
  verifier.claim(gv, a, 4, out);
  CHECK(vnode.sent.empty());
}

TEST_CASE("possession checks: a wrong answer makes the member refused and failed and cools it down") {
  const auto obj = checks_test_object();
  const Config cfg = test_config();
  const Hash v = checks_test_id(1), a = checks_test_id(2);
  ChecksTestNode node;
  Stats stats;
  PossessionChecks checks(v, cfg, stats, node);
  Group g = checks_test_group(obj, {v, a});
  Output out;
  checks.new_tick();
  checks.claim(g, a, 0, out);
  const Message challenge = node.take_one(MsgType::Challenge);
  Message proof;
  proof.type = MsgType::Proof;
  proof.object = obj.id;
  proof.status = BUTTER_OK;
  proof.data.assign(kProofBytes, 0);
  // An answer to another nonce is late or unasked: ignored.
  proof.number = challenge.number + 1;
  checks.on_proof(g, a, proof, 10, out);
  CHECK(g.possession.challenging(a));
  CHECK(stats.proofs_failed == 0);
  proof.number = challenge.number;
  checks.on_proof(g, a, proof, 10, out);
  CHECK(stats.proofs_failed == 1);
  CHECK_FALSE(g.is_proven(a));
  CHECK(g.is_refused(a));
  CHECK(g.possession.failed(a));
  CHECK(g.next_repair == 10);
  CHECK(node.cooldowns.at(a) == 10 + cfg.refuse_cooldown_ms);
  CHECK(node.replicas_proven == 0);
  // Not challenged again while cooling down, however often it claims.
  checks.claim(g, a, 20, out);
  CHECK(node.sent.empty());
}

TEST_CASE("possession checks: an unanswered challenge is retried once then fails but a silent member's is dropped") {
  const auto obj = checks_test_object();
  const Config cfg = test_config();
  const Hash v = checks_test_id(1), a = checks_test_id(2), b = checks_test_id(3);
  ChecksTestNode node;
  Stats stats;
  PossessionChecks checks(v, cfg, stats, node);
  Group g = checks_test_group(obj, {v, a, b});
  Output out;
  checks.new_tick();
  checks.claim(g, a, 0, out);
  const Message first = node.take_one(MsgType::Challenge);
  checks.claim(g, b, 0, out);
  node.take_one(MsgType::Challenge);

  // b goes silent: its challenge is dropped at the deadline, not failed; its claim stands.
  node.silent_ids.insert(b);
  checks.new_tick();
  checks.step(g, cfg.request_timeout_ms, out);
  const Message retry = node.take_one(MsgType::Challenge);  // to a only
  CHECK(retry.number != first.number);                      // a fresh nonce
  CHECK(g.possession.pending(a)->attempt == 1);
  CHECK_FALSE(g.possession.challenging(b));
  CHECK(g.possession.claimed(b));
  CHECK_FALSE(g.is_refused(b));

  // The retry gets twice as long; then a fails.
  checks.new_tick();
  checks.step(g, 3 * cfg.request_timeout_ms - 1, out);
  CHECK(g.possession.challenging(a));
  checks.step(g, 3 * cfg.request_timeout_ms, out);
  CHECK(stats.proof_timeouts == 1);
  CHECK(g.is_refused(a));
  CHECK(g.possession.failed(a));
  CHECK(node.sent.empty());

  // Heard again, b is asked once more.
  node.silent_ids.clear();
  checks.new_tick();
  checks.step(g, 3 * cfg.request_timeout_ms + 1, out);
  CHECK(node.sent.size() == 1);
  CHECK(node.sent[0].first == b);
}

TEST_CASE("possession checks: challenges are answered for members and former members but not strangers") {
  const auto obj = checks_test_object();
  const Config cfg = test_config();
  const Hash a = checks_test_id(2), v = checks_test_id(1), former = checks_test_id(4), stranger = checks_test_id(5);
  ChecksTestNode vnode, anode;
  Stats vstats, astats;
  PossessionChecks verifier(v, cfg, vstats, vnode), prover(a, cfg, astats, anode);
  Group gv = checks_test_group(obj, {v, a});
  Group ga = checks_test_group(obj, {a});
  ga.departed[former] = Departed{1000, 0, 0};
  Output out;
  verifier.new_tick();
  verifier.claim(gv, a, 0, out);
  const Message challenge = vnode.take_one(MsgType::Challenge);

  prover.on_challenge(&ga, stranger, challenge, 1, out);
  prover.on_challenge(nullptr, v, challenge, 1, out);  // a group the prover is not in
  CHECK(anode.sent.empty());
  CHECK(astats.challenges_refused == 2);
  CHECK(astats.non_member_messages == 2);

  prover.on_challenge(&ga, former, challenge, 1, out);
  CHECK(anode.take_one(MsgType::Proof).status == BUTTER_OK);
  // A holder that announced its retiring copy is answered too (within one shared rate).
  prover.note_retiring_holder(ga, stranger, 1);
  prover.on_challenge(&ga, stranger, challenge, 2, out);
  CHECK(anode.take_one(MsgType::Proof).status == BUTTER_OK);
  CHECK(astats.challenges_answered == 2);
}

TEST_CASE("possession checks: new challenges per tick are capped and the rest go out on a later tick") {
  const auto obj = checks_test_object();
  Config cfg = test_config();
  cfg.audit_per_tick = 1;
  const Hash v = checks_test_id(1), a = checks_test_id(2), b = checks_test_id(3);
  ChecksTestNode node;
  Stats stats;
  PossessionChecks checks(v, cfg, stats, node);
  Group g = checks_test_group(obj, {v, a, b});
  Output out;
  checks.new_tick();
  checks.claim(g, a, 0, out);
  checks.claim(g, b, 0, out);
  CHECK(node.take_one(MsgType::Challenge).object == obj.id);
  CHECK(g.possession.challenging(a));
  CHECK_FALSE(g.possession.challenging(b));
  checks.step(g, 1, out);  // still this tick: nothing left
  CHECK(node.sent.empty());
  checks.new_tick();
  checks.step(g, 2, out);
  CHECK(node.take_one(MsgType::Challenge).object == obj.id);
  CHECK(g.possession.challenging(b));
  CHECK(stats.challenges_sent == 2);
}
