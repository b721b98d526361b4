// Proof of possession in the engine, in a simulated cluster: a recruit that says HAVE without
// fetching is never counted, a member that lost its copy is caught by an audit and replaced, honest
// members always pass, and challenges are answered only for members and retiring holders, within
// a rate. The proof function itself: possession_proof_test.cpp.
#include "sim_helpers.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace butter::pcg;
using namespace butter::pcg::test;

namespace {

Stats total(SimCluster& sim) {
  Stats t;
  for (std::size_t i = 0; i < sim.size(); ++i) {
    const Stats& s = sim.engine(i).stats();
    t.challenges_sent += s.challenges_sent;
    t.proofs_passed += s.proofs_passed;
    t.proofs_failed += s.proofs_failed;
    t.proof_timeouts += s.proof_timeouts;
    t.challenges_answered += s.challenges_answered;
    t.challenges_refused += s.challenges_refused;
  }
  return t;
}

// A sybil that takes replica slots without the data. Nothing sent to it reaches an engine: it
// acknowledges every RECRUIT and says HAVE at once (never fetching a block), claims to hold every
// block in its heartbeats, and answers challenges as `answer` says.
struct Liar {
  enum class Answer { Garbage, Silent, NotHeld };
  SimCluster& sim;
  std::set<std::size_t> nodes;  // the liars' indexes
  Answer answer = Answer::Garbage;
  struct Received {
    std::size_t liar;
    Hash from;
    Message m;
  };
  std::vector<Received> inbox;
  std::set<std::pair<std::size_t, Hash>> joined;  // (liar, object)
  std::uint64_t next_heartbeat = 0;

  Liar(SimCluster& s, std::set<std::size_t> n, Answer a) : sim(s), nodes(std::move(n)), answer(a) {
    sim.on_send = [this](std::size_t from, Send& s) {
      for (auto l : nodes) {
        if (s.to != sim.id(l)) continue;
        std::string why;
        if (auto m = decode(s.bytes, why)) inbox.push_back(Received{l, sim.id(from), std::move(*m)});
        return false;
      }
      return true;
    };
  }
  void tell(std::size_t liar, const Hash& to, const Message& m) {
    sim.act(sim.index_of(to), [&](Engine& e, Output& out) { e.on_message(sim.id(liar), encode(m), sim.now(), out); });
  }
  void step() {
    for (auto& r : std::exchange(inbox, {})) {
      if (r.m.type == MsgType::Recruit) {
        joined.insert({r.liar, r.m.object});
        Message ack;
        ack.type = MsgType::RecruitAck;
        ack.object = r.m.object;
        ack.number = r.m.view.version;
        ack.status = BUTTER_OK;
        tell(r.liar, r.from, ack);
        Message have;
        have.type = MsgType::Have;
        have.object = r.m.object;
        have.number = r.m.view.version;
        for (const auto& mem : r.m.view.members)
          if (!nodes.count(sim.index_of(mem.id))) tell(r.liar, mem.id, have);
      } else if (r.m.type == MsgType::Challenge && answer != Answer::Silent) {
        Message p;
        p.type = MsgType::Proof;
        p.object = r.m.object;
        p.number = r.m.number;
        if (answer == Answer::NotHeld) {
          p.status = BUTTER_E_NOT_FOUND;
        } else {
          p.status = BUTTER_OK;
          p.data = bytes_of(r.m.mode == 0 ? kProofBytes : 1024, static_cast<unsigned>(r.m.number));
        }
        tell(r.liar, r.from, p);
      }
    }
    if (sim.now() < next_heartbeat) return;
    next_heartbeat = sim.now() + 200;
    // "I hold every block", to every honest node whose view names the liar.
    for (const auto& [l, object] : joined) {
      for (std::size_t i = 0; i < sim.size(); ++i) {
        const View* v = nodes.count(i) ? nullptr : sim.engine(i).view_of(object);
        if (!v || !v->contains(sim.id(l))) continue;
        Message hb;
        hb.type = MsgType::Heartbeat;
        hb.entries.push_back(HeartbeatEntry{object, true, *v});
        tell(l, sim.id(i), hb);
      }
    }
  }
};

}  // namespace

TEST_CASE("a recruit that says HAVE without fetching a block is never counted as a replica") {
  // Node 0 puts; node 1 is honest; nodes 2 and 3 acknowledge recruits and say HAVE at once.
  const auto answer = GENERATE(Liar::Answer::Garbage, Liar::Answer::Silent, Liar::Answer::NotHeld);
  INFO("liar answers " << static_cast<int>(answer));
  SimCluster sim({.nodes = 4, .cfg = test_config()});
  Liar liar(sim, {2, 3}, answer);
  auto data = bytes_of(6000, 7);
  Hash id = put_on(sim, 0, data, 5);
  std::optional<Event> done;
  for (std::uint64_t t = 50; t <= 6000; t += 50) {
    sim.run_until(t);
    liar.step();
    for (auto& [n, e] : sim.take_events())
      if (e.kind == EventKind::PutDone && e.ticket == 5) done = e;
    // At no moment does any honest node count a liar.
    for (std::size_t i : {0, 1}) {
      for (const auto& m : sim.engine(i).proven_members(id)) {
        CHECK(m != sim.id(2));
        CHECK(m != sim.id(3));
      }
    }
  }
  REQUIRE(done);
  CHECK(done->status == BUTTER_OK);
  CHECK(done->replicas == 2);  // node 0 and node 1: only the honest copies
  CHECK(sim.engine(1).holds(id));
  CHECK(sim.engine(0).proven_members(id).size() == 2);
  const Stats& s = sim.engine(0).stats();
  CHECK(s.challenges_sent >= 1);
  if (answer == Liar::Answer::Silent) {
    CHECK(s.proof_timeouts >= 1);
  } else {
    CHECK(s.proofs_failed >= 1);
  }
  CHECK(s.proofs_passed >= 1);  // node 1's
  // The liars were dropped from the group: the leader treated them as refusals.
  const View* v = sim.engine(0).view_of(id);
  REQUIRE(v);
  CHECK(v->contains(sim.id(1)));
  CHECK_FALSE(v->contains(sim.id(2)));
  CHECK_FALSE(v->contains(sim.id(3)));
}

TEST_CASE("with liars among the candidates a put still reaches r honest replicas") {
  // Half of the nodes are liars: the group ends with three honest holders, every one proven.
  SimCluster sim({.nodes = 10, .cfg = test_config()});
  Liar liar(sim, {1, 3, 5, 7, 9}, Liar::Answer::Garbage);
  Hash id = put_on(sim, 0, bytes_of(5000, 8), 6);
  std::optional<Event> done;
  for (std::uint64_t t = 50; t <= 8000; t += 50) {
    sim.run_until(t);
    liar.step();
    for (auto& [n, e] : sim.take_events())
      if (e.kind == EventKind::PutDone && e.ticket == 6) done = e;
  }
  REQUIRE(done);
  CHECK(done->replicas <= 3);
  auto proven = sim.engine(0).proven_members(id);
  CHECK(proven.size() == 3);
  for (const auto& m : proven) CHECK(sim.index_of(m) % 2 == 0);
  CHECK(holders(sim, id).size() == 3);
}

TEST_CASE("a member that lost its copy is caught by an audit and replaced") {
  Config cfg = test_config();
  cfg.audit_ms = 1000;
  SimCluster sim({.nodes = 8, .cfg = cfg});
  auto data = bytes_of(7000, 9);
  Hash id = put_on(sim, 0, data);
  sim.run_until(2000);
  auto h = holders(sim, id);
  REQUIRE(h.size() == 3);
  const Hash lead = *sim.engine(h[0]).leader_of(id, sim.now());
  std::size_t victim = h[0];
  for (auto i : h)
    if (sim.id(i) != lead) victim = i;
  // From now on the victim answers challenges as a node that no longer has the bytes would: it
  // still claims to hold everything (its heartbeats say so), but its proofs are wrong.
  sim.on_send = [&](std::size_t from, Send& s) {
    if (from == victim && s.type == MsgType::Proof) {
      std::string why;
      auto m = decode(s.bytes, why);
      if (m && !m->data.empty()) {
        std::fill(m->data.begin(), m->data.end(), std::uint8_t{0});
        s.bytes = encode(*m);
      }
    }
    return true;
  };
  const auto failed_before = total(sim).proofs_failed;
  sim.run_until(sim.now() + 5000);
  CHECK(total(sim).proofs_failed > failed_before);
  auto after = holders(sim, id);
  CHECK(after.size() == 3);
  CHECK(std::find(after.begin(), after.end(), victim) == after.end());
  for (auto i : after) {
    CHECK_FALSE(sim.engine(i).view_of(id)->contains(sim.id(victim)));
    CHECK(sim.engine(i).view_of(id)->size() == 3);
  }
}

TEST_CASE("a member that stops answering challenges is replaced after a retry") {
  Config cfg = test_config();
  cfg.audit_ms = 1000;
  SimCluster sim({.nodes = 8, .cfg = cfg});
  Hash id = put_on(sim, 0, bytes_of(3000, 10));
  sim.run_until(2000);
  auto h = holders(sim, id);
  REQUIRE(h.size() == 3);
  const std::size_t victim = h.back() == 0 ? h.front() : h.back();
  sim.on_send = [&](std::size_t from, Send& s) { return !(from == victim && s.type == MsgType::Proof); };
  const auto timeouts_before = total(sim).proof_timeouts;
  sim.run_until(sim.now() + 6000);
  CHECK(total(sim).proof_timeouts > timeouts_before);
  auto after = holders(sim, id);
  CHECK(after.size() == 3);
  CHECK(std::find(after.begin(), after.end(), victim) == after.end());
}

TEST_CASE("honest members pass every audit and the group does not change") {
  Config cfg = test_config();
  cfg.audit_ms = 400;
  SimCluster sim({.nodes = 9, .cfg = cfg});
  std::vector<Hash> ids;
  for (unsigned k = 0; k < 4; ++k) ids.push_back(put_on(sim, k, bytes_of(3000 + 500 * k, 20 + k), 10 + k));
  sim.run_until(3000);
  std::map<Hash, std::uint64_t> versions;
  for (const auto& id : ids) {
    auto h = holders(sim, id);
    REQUIRE(h.size() == 3);
    versions[id] = sim.engine(h[0]).view_of(id)->version;
  }
  const Stats before = total(sim);
  sim.run_until(sim.now() + 20000);
  const Stats after = total(sim);
  // Every holder audits the two others of each group about every 400 ms: hundreds of audits.
  CHECK(after.proofs_passed - before.proofs_passed > 4 * 3 * 2 * 20);
  CHECK(after.proofs_failed == 0);
  CHECK(after.proof_timeouts == 0);
  CHECK(after.challenges_refused == 0);
  for (const auto& id : ids) {
    auto h = holders(sim, id);
    REQUIRE(h.size() == 3);
    CHECK(sim.engine(h[0]).view_of(id)->version == versions[id]);
    for (auto i : h) CHECK(sim.engine(i).proven_members(id).size() == 3);
  }
}

TEST_CASE("challenges are answered only for group members and within a rate per peer") {
  Config cfg = test_config();
  cfg.answer_bytes_per_s = 100000;  // burst: max(4 x rate, the largest block) = 4 MiB
  SimCluster sim({.nodes = 5, .cfg = cfg});
  Hash id = put_on(sim, 0, bytes_of(4096, 11));
  sim.run_until(2000);
  auto h = holders(sim, id);
  REQUIRE(h.size() == 3);
  Engine& holder = sim.engine(h[0]);
  Message c;
  c.type = MsgType::Challenge;
  c.object = id;
  c.number = 77;
  c.index = 1;
  c.offset = 0;
  c.length = 1024;
  // A stranger: no answer, counted.
  Output out;
  const auto refused = holder.stats().challenges_refused;
  holder.on_message(sha256("stranger"), encode(c), sim.now(), out);
  CHECK(out.sends.empty());
  CHECK(holder.stats().challenges_refused == refused + 1);
  // A member: answered, until its budget of bytes is spent.
  const Hash member = sim.id(h[1]);
  std::size_t answered = 0;
  for (int i = 0; i < 6000; ++i) {
    Output o;
    holder.on_message(member, encode(c), sim.now(), o);
    answered += o.sends.size();
  }
  CHECK(answered >= 4000);  // the burst: 4 MiB of 1 KiB ranges
  CHECK(answered <= 4200);
  CHECK(holder.stats().challenges_refused > refused + 1);
  // The right proof comes back for a member's challenge.
  Output o;
  holder.on_message(member, encode(c), sim.now() + 1000, o);
  REQUIRE(o.sends.size() == 1);
  std::string why;
  auto p = decode(o.sends[0].bytes, why);
  REQUIRE(p);
  CHECK(p->type == MsgType::Proof);
  CHECK(p->status == BUTTER_OK);
  const auto& block = (*holder.blocks_of(id))[1];
  const Hash expected = possession_proof(id, 77, 1, 0, 1024, block);
  CHECK(std::equal(p->data.begin(), p->data.end(), expected.begin(), expected.end()));
}

TEST_CASE(
    "a retiring holder's challenges are answered: a former member at its own rate, others that announce one within one "
    "shared rate") {
  Config cfg = test_config();
  cfg.answer_bytes_per_s = 100000;  // burst: max(4 x rate, the largest block) = 4 MiB
  SimCluster sim({.nodes = 5, .cfg = cfg});
  Hash id = put_on(sim, 0, bytes_of(4096, 12));
  sim.run_until(2000);
  auto h = holders(sim, id);
  REQUIRE(h.size() == 3);
  Engine& holder = sim.engine(h[0]);
  const View members = *holder.view_of(id);
  Message c;
  c.type = MsgType::Challenge;
  c.object = id;
  c.number = 78;
  c.index = 1;
  c.offset = 0;
  c.length = 1024;
  auto answers = [&](const Hash& from, int n) {
    std::size_t k = 0;
    for (int i = 0; i < n; ++i) {
      Output o;
      holder.on_message(from, encode(c), sim.now(), o);
      for (const auto& snd : o.sends) k += snd.type == MsgType::Proof;
    }
    return k;
  };
  // A retiring holder removed before this node joined announces itself with its heartbeat: a
  // view naming this node's group without itself, holding every block. Its ids share one rate.
  View without = members;  // as a retiring holder sees the group
  auto announce = [&](const Hash& from) {
    Message hb;
    hb.type = MsgType::Heartbeat;
    hb.entries.push_back(HeartbeatEntry{id, true, without});
    Output o;
    holder.on_message(from, encode(hb), sim.now(), o);
    REQUIRE(o.sends.size() == 1);  // answered with this node's own entry
  };
  CHECK(answers(sha256("unannounced"), 1) == 0);  // a stranger that never announced one: no answer
  std::size_t shared = 0;
  for (int k = 0; k < 20; ++k) {
    const Hash who = sha256("retiring-" + std::to_string(k));
    announce(who);
    shared += answers(who, 400);
  }
  CHECK(shared >= 4000);  // one burst of 1 KiB ranges, for all twenty ids together
  CHECK(shared <= 4200);
  CHECK_FALSE(holder.view_of(id)->contains(sha256("retiring-0")));  // announcing changes nothing
  CHECK(holder.view_of(id)->version == members.version);
  // A member the group removes (a former member here, in departed) is answered at its own rate
  // even while the shared one is spent: it needs our proof to let its copy go.
  const Hash leaving = sim.id(h[1]);
  Message vm;
  vm.type = MsgType::ViewUpdate;
  vm.object = id;
  vm.view = members;
  vm.view.version += 1;
  vm.view.remove(leaving);
  Output o;
  holder.on_message(sim.id(h[2]), encode(vm), sim.now(), o);
  REQUIRE_FALSE(holder.view_of(id)->contains(leaving));
  CHECK(answers(leaving, 10) == 10);
}

TEST_CASE("with one new challenge per tick every claim is still checked, later") {
  Config cfg = test_config();
  cfg.audit_per_tick = 1;
  SimCluster sim({.nodes = 5, .cfg = cfg});
  std::vector<Hash> ids;
  for (unsigned k = 0; k < 8; ++k) ids.push_back(put_on(sim, 0, bytes_of(2000 + 100 * k, 40 + k), 20 + k));
  sim.run_until(8000);
  std::size_t done = 0;
  for (auto& [n, e] : sim.take_events())
    if (e.kind == EventKind::PutDone && e.replicas == 3) ++done;
  CHECK(done == ids.size());
  for (const auto& id : ids) {
    auto h = holders(sim, id);
    REQUIRE(h.size() == 3);
    for (auto i : h) CHECK(sim.engine(i).proven_members(id).size() == 3);
  }
  CHECK(total(sim).proofs_failed == 0);
  CHECK(total(sim).proof_timeouts == 0);
}

TEST_CASE("a leader still filling its copy asks for a whole block and checks it against the manifest") {
  auto data = bytes_of(4096, 50);
  std::string why;
  auto obj = split(data, 1024, {}, why);
  REQUIRE(obj);
  // Three nodes; the one of lowest rank for the object leads, and is the recruit here.
  std::vector<Hash> ids = {sha256("n1"), sha256("n2"), sha256("n3")};
  std::sort(ids.begin(), ids.end(), [&](const Hash& a, const Hash& b) { return rank(obj->id, a) < rank(obj->id, b); });
  const Hash self = ids[0], l = ids[1], m = ids[2];
  struct CountingEnv : Env {
    std::uint64_t n = 0;
    std::vector<Candidate> candidates(std::size_t) override { return {}; }
    std::uint64_t random() override { return ++n * 0x9e3779b97f4a7c15ull; }
  } env;
  Engine e(self, {}, test_config(), 1 << 20, env);
  View v;
  v.version = 2;
  for (const auto& id : ids) v.add(Member{id, {}});
  Message rec;
  rec.type = MsgType::Recruit;
  rec.object = obj->id;
  rec.view = v;
  rec.manifest = obj->manifest_bytes;
  Output out;
  e.on_message(l, encode(rec), 0, out);
  // The recruiting member is a likely source, not a proven holder: at its first tick the filling
  // leader challenges it (for a block it lacks, so whole).
  Output tick_out;
  e.tick(5, tick_out);
  REQUIRE_FALSE(e.holds(obj->id));
  REQUIRE(e.leader_of(obj->id, 5) == self);
  std::optional<Message> cl;
  for (const auto& s : tick_out.sends) {
    auto d = decode(s.bytes, why);
    if (s.to == l && d && d->type == MsgType::Challenge) cl = *d;
  }
  REQUIRE(cl);
  // A member claims every block: the filling leader asks it for one block whole.
  auto challenge_to = [&](const Hash& who, std::uint64_t now) {
    Message hb;
    hb.type = MsgType::Heartbeat;
    hb.entries.push_back(HeartbeatEntry{obj->id, true, v});
    Output o;
    e.on_message(who, encode(hb), now, o);
    for (const auto& s : o.sends) {
      std::string w;
      auto d = decode(s.bytes, w);
      if (s.to == who && d && d->type == MsgType::Challenge) return *d;
    }
    FAIL("no challenge sent");
    return Message{};
  };
  auto prove = [&](const Hash& who, const Message& c, std::vector<std::uint8_t> bytes, std::uint64_t now) {
    Message p;
    p.type = MsgType::Proof;
    p.object = obj->id;
    p.number = c.number;
    p.status = BUTTER_OK;
    p.data = std::move(bytes);
    Output o;
    e.on_message(who, encode(p), now, o);
  };
  const Message cm = challenge_to(m, 10);
  CHECK(cm.mode == 1);
  REQUIRE(cm.index < obj->blocks.size());
  prove(m, cm, obj->blocks[cm.index], 20);
  auto proven = e.proven_members(obj->id);
  CHECK(std::find(proven.begin(), proven.end(), m) != proven.end());
  CHECK(e.stats().proofs_passed == 1);
  // The recruiting member answers with a block that is not the one asked for: it fails.
  CHECK(cl->mode == 1);
  prove(l, *cl, obj->blocks[(cl->index + 1) % obj->blocks.size()], 40);
  proven = e.proven_members(obj->id);
  CHECK(std::find(proven.begin(), proven.end(), l) == proven.end());
  CHECK(e.stats().proofs_failed == 1);
  // A proof with a stale nonce, or from a member not challenged, changes nothing.
  prove(m, cm, {}, 50);
  CHECK(e.stats().proofs_failed == 1);
}
