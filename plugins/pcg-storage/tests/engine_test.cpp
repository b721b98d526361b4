// The engine in a simulated cluster (virtual time, in-memory links): puts reach r members, gets
// from outside the group, repair after a holder dies, budget refusals, bad blocks, non-members.
#include "sim_helpers.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace butter::pcg;
using namespace butter::pcg::test;

namespace {

std::optional<Event> find_event(std::vector<std::pair<std::size_t, Event>>& evs, EventKind kind, std::uint64_t ticket) {
  for (auto& [n, e] : evs)
    if (e.kind == kind && e.ticket == ticket) return e;
  return std::nullopt;
}

}  // namespace

TEST_CASE("a put reaches r members and is readable from a node outside the group") {
  SimCluster sim({.nodes = 8, .cfg = test_config()});
  auto data = bytes_of(5000, 1);
  Hash id = put_on(sim, 0, data);
  sim.run_until(2000);
  auto evs = sim.take_events();
  auto done = find_event(evs, EventKind::PutDone, 1);
  REQUIRE(done);
  CHECK(done->status == BUTTER_OK);
  CHECK(done->replicas == 3);
  auto h = holders(sim, id);
  REQUIRE(h.size() == 3);
  std::size_t outside = 0;
  while (std::find(h.begin(), h.end(), outside) != h.end()) ++outside;
  sim.act(outside, [&](Engine& e, Output& out) { e.get(9, id, everyone(sim), false, sim.now(), out); });
  sim.run_until(sim.now() + 2000);
  evs = sim.take_events();
  auto got = find_event(evs, EventKind::GetDone, 9);
  REQUIRE(got);
  CHECK(got->status == BUTTER_OK);
  CHECK(got->data == data);
  // Every member sees the same view and the same leader.
  const View* v0 = sim.engine(h[0]).view_of(id);
  for (auto i : h) {
    CHECK(sim.engine(i).view_of(id)->version == v0->version);
    CHECK(sim.engine(i).leader_of(id, sim.now()) == sim.engine(h[0]).leader_of(id, sim.now()));
  }
}

TEST_CASE("when a holder dies the group is back to r members within a bound") {
  SimCluster sim({.nodes = 10, .cfg = test_config()});
  auto data = bytes_of(3000, 2);
  Hash id = put_on(sim, 0, data);
  sim.run_until(2000);
  auto h = holders(sim, id);
  REQUIRE(h.size() == 3);
  // Kill the leader itself (the hardest case: someone else must take over).
  const std::size_t victim = sim.index_of(*sim.engine(h[0]).leader_of(id, sim.now()));
  sim.kill(victim);
  // Bound: detection (miss_limit x heartbeat = 600 ms) + a repair round + transfer.
  sim.run_until(sim.now() + 2000);
  auto after = holders(sim, id);
  CHECK(after.size() == 3);
  for (auto i : after) {
    CHECK(sim.engine(i).view_of(id)->size() == 3);
    CHECK_FALSE(sim.engine(i).view_of(id)->contains(sim.id(victim)));
  }
  // Still readable, from a node that never held it.
  std::size_t outside = 0;
  while (outside == victim || sim.engine(outside).holds(id)) ++outside;
  sim.act(outside, [&](Engine& e, Output& out) { e.get(5, id, everyone(sim), false, sim.now(), out); });
  sim.run_until(sim.now() + 2000);
  auto evs = sim.take_events();
  auto got = find_event(evs, EventKind::GetDone, 5);
  REQUIRE(got);
  CHECK(got->data == data);
}

TEST_CASE("a put beyond the budget is refused with BUTTER_E_NOMEM") {
  SimCluster sim({.nodes = 2, .cfg = test_config(), .capacity = 4000});
  Hash id{};
  std::string why;
  Output out;
  auto big = bytes_of(5000, 3);
  CHECK(sim.engine(0).put(1, big, {}, 0, id, why, out) == BUTTER_E_NOMEM);
  CHECK(why.find("storage budget exceeded") != std::string::npos);
  CHECK(out.events.empty());
  CHECK(sim.engine(0).budget().used() == 0);
  CHECK(sim.engine(0).put(2, bytes_of(1000, 4), {}, 0, id, why, out) == BUTTER_OK);
}

TEST_CASE("nodes past their budget decline recruits and the group recruits elsewhere") {
  // Nodes 1..7 have room for 10 kB, nodes 0, 8 and 9 for 100 kB; the object is 20 kB.
  std::vector<std::uint64_t> caps(10, 10000);
  caps[0] = caps[8] = caps[9] = 100000;
  Config cfg = test_config();
  cfg.peer_quota_bytes = 100000;  // the budget is what this test is about, not per-peer quotas
  SimCluster sim({.nodes = 10, .cfg = cfg, .capacities = caps});
  auto data = bytes_of(20000, 6);
  Hash id = put_on(sim, 0, data, 7);
  sim.run_until(6000);
  auto h = holders(sim, id);
  CHECK(h == std::vector<std::size_t>{0, 8, 9});
  std::uint64_t declined = 0, refused = 0;
  for (std::size_t i = 0; i < sim.size(); ++i) {
    declined += sim.engine(i).stats().recruits_declined;
    refused += sim.engine(i).stats().recruit_refused;
    if (i >= 1 && i <= 7) CHECK(sim.engine(i).budget().used() == 0);
  }
  CHECK(declined > 0);
  CHECK(refused == declined);
}

TEST_CASE("a block whose hash does not match is refused and counted and fetched elsewhere") {
  SimCluster sim({.nodes = 6, .cfg = test_config()});
  // Every node but node 1 (where the object is put) corrupts the blocks it serves.
  sim.on_send = [](std::size_t from, Send& s) {
    if (from != 1 && s.type == MsgType::Block) {
      std::string why;
      auto m = decode(s.bytes, why);
      if (m && !m->data.empty()) {
        m->data[0] ^= 0xff;
        s.bytes = encode(*m);
      }
    }
    return true;
  };
  auto data = bytes_of(8000, 8);
  Hash id = put_on(sim, 1, data);
  sim.run_until(3000);
  auto h = holders(sim, id);
  REQUIRE(h.size() == 3);
  std::size_t outside = 0;
  while (std::find(h.begin(), h.end(), outside) != h.end()) ++outside;
  const auto bad_before = sim.engine(outside).stats().bad_blocks;
  sim.act(outside, [&](Engine& e, Output& out) { e.get(3, id, everyone(sim), false, sim.now(), out); });
  sim.run_until(sim.now() + 3000);
  auto evs = sim.take_events();
  auto got = find_event(evs, EventKind::GetDone, 3);
  REQUIRE(got);
  CHECK(got->status == BUTTER_OK);
  CHECK(got->data == data);
  CHECK(sim.engine(outside).stats().bad_blocks > bad_before);  // the corrupt copies were refused
  // No stored copy is corrupt.
  for (auto i : h) {
    std::string why;
    auto man = decode_manifest(*sim.engine(i).manifest_of(id), why);
    REQUIRE(man);
    CHECK(assemble(*man, *sim.engine(i).blocks_of(id), why));
  }
}

TEST_CASE("group messages from non-members and truncated messages are refused and counted") {
  SimCluster sim({.nodes = 5, .cfg = test_config()});
  Hash id = put_on(sim, 0, bytes_of(2000, 9));
  sim.run_until(2000);
  auto h = holders(sim, id);
  REQUIRE(h.size() == 3);
  Engine& member = sim.engine(h[0]);
  const View before = *member.view_of(id);
  // A stranger claims a newer view without the members.
  Message m;
  m.type = MsgType::ViewUpdate;
  m.object = id;
  m.view.version = 1000;
  m.view.add(Member{sha256("stranger"), {}});
  const auto non_members = member.stats().non_member_messages;
  Output out;
  member.on_message(sha256("stranger"), encode(m), sim.now(), out);
  CHECK(member.stats().non_member_messages == non_members + 1);
  CHECK(member.view_of(id)->version == before.version);
  CHECK(member.holds(id));
  // Truncated and junk messages.
  auto bytes = encode(m);
  bytes.resize(bytes.size() / 2);
  const auto bad = member.stats().bad_messages;
  member.on_message(sim.id(h[1]), bytes, sim.now(), out);
  member.on_message(sim.id(h[1]), std::vector<std::uint8_t>{}, sim.now(), out);
  CHECK(member.stats().bad_messages == bad + 2);
  CHECK(member.holds(id));
}

TEST_CASE("after a partition heals the two leaders settle on one view and stop recruiting") {
  SimCluster sim({.nodes = 12, .cfg = test_config()});
  Hash id = put_on(sim, 0, bytes_of(1500, 10));
  sim.run_until(2000);
  auto h = holders(sim, id);
  REQUIRE(h.size() == 3);
  // Cut member h[0] off from the other two both ways for a while: each side thinks the other is
  // dead, and each side's leader repairs.
  const Hash a = sim.id(h[0]);
  std::set<Hash> others = {sim.id(h[1]), sim.id(h[2])};
  bool cut = true;
  sim.on_send = [&](std::size_t from, Send& s) {
    if (!cut) return true;
    const Hash& f = sim.id(from);
    return !((f == a && others.count(s.to)) || (others.count(f) && s.to == a));
  };
  std::uint64_t repairs_before = 0, repairs_during = 0;
  for (std::size_t i = 0; i < sim.size(); ++i) repairs_before += sim.engine(i).stats().repairs;
  sim.run_until(sim.now() + 3000);
  for (std::size_t i = 0; i < sim.size(); ++i) repairs_during += sim.engine(i).stats().repairs;
  // Both sides repaired: the lone member as its own leader, and the pair's leader.
  CHECK(sim.engine(h[0]).stats().repairs > 0);
  CHECK(repairs_during >= repairs_before + 2);
  cut = false;
  sim.run_until(sim.now() + 4000);
  auto after = holders(sim, id);
  REQUIRE_FALSE(after.empty());
  const View* v = sim.engine(after[0]).view_of(id);
  for (auto i : after) {
    CHECK(sim.engine(i).view_of(id)->version == v->version);
    CHECK(sim.engine(i).view_of(id)->same_members(*v));
  }
  CHECK(v->size() == 3);
  CHECK(after.size() == 3);
  // Each member counts the others only once they proved possession to it (members brought back
  // by the heal were challenged), and the removed ones let their copies go only after that.
  for (auto i : after) CHECK(sim.engine(i).proven_members(id).size() == 3);
  // Settled: no more recruiting over a long quiet period.
  std::uint64_t recruits = 0;
  for (std::size_t i = 0; i < sim.size(); ++i) recruits += sim.engine(i).stats().recruit_requests;
  sim.run_until(sim.now() + 10000);
  std::uint64_t later = 0;
  for (std::size_t i = 0; i < sim.size(); ++i) later += sim.engine(i).stats().recruit_requests;
  CHECK(later == recruits);
}

TEST_CASE("a network partition that splits a group into two repaired groups heals into one group of r") {
  SimCluster sim({.nodes = 10, .cfg = test_config()});
  const auto data = bytes_of(2500, 11);
  Hash id = put_on(sim, 0, data);
  sim.run_until(2000);
  auto h = holders(sim, id);
  REQUIRE(h.size() == 3);
  // Side A: the first holder and half of the others; side B: the other two holders and the rest.
  // Nothing crosses while cut, so each side repairs its half back to r with its own nodes.
  std::set<std::size_t> side_a = {h[0]};
  std::size_t others = 0;
  for (std::size_t i = 0; i < sim.size(); ++i)
    if (i != h[0] && i != h[1] && i != h[2] && others++ % 2 == 0) side_a.insert(i);
  bool cut = true;
  sim.on_send = [&](std::size_t from, Send& s) {
    if (!cut) return true;
    std::size_t to = sim.size();
    for (std::size_t i = 0; i < sim.size(); ++i)
      if (sim.id(i) == s.to) to = i;
    return side_a.count(from) == side_a.count(to);
  };
  sim.run_until(sim.now() + 5000);
  // Two groups, with no member in common, each of r members on its own side.
  auto split = holders(sim, id);
  CHECK(split.size() == 6);
  const View* va = sim.engine(h[0]).view_of(id);
  const View* vb = sim.engine(h[1]).view_of(id);
  REQUIRE(va);
  REQUIRE(vb);
  CHECK(va->size() == 3);
  CHECK(vb->size() == 3);
  CHECK(disjoint(*va, *vb));

  cut = false;
  sim.run_until(sim.now() + 30000);
  auto after = holders(sim, id);
  REQUIRE_FALSE(after.empty());
  const View* v = sim.engine(after[0]).view_of(id);
  for (auto i : after) {
    CHECK(sim.engine(i).view_of(id)->version == v->version);
    CHECK(sim.engine(i).view_of(id)->same_members(*v));
  }
  CHECK(v->size() == 3);
  CHECK(after.size() == 3);
  for (auto i : after) CHECK(sim.engine(i).proven_members(id).size() == 3);
  std::uint64_t merged = 0;
  for (std::size_t i = 0; i < sim.size(); ++i) merged += sim.engine(i).stats().groups_merged;
  CHECK(merged >= 1);
  // The object is whole wherever it is still held.
  for (auto i : after) {
    sim.act(i, [&](Engine& e, Output& out) { e.get(100 + i, id, everyone(sim), false, sim.now(), out); });
  }
  sim.run_until(sim.now() + 3000);
  auto evs = sim.take_events();
  for (auto i : after) {
    auto got = find_event(evs, EventKind::GetDone, 100 + i);
    REQUIRE(got);
    CHECK(got->status == BUTTER_OK);
    CHECK(got->data == data);
  }
}

TEST_CASE("a get for an object nobody holds ends NOT_FOUND") {
  SimCluster sim({.nodes = 4, .cfg = test_config()});
  sim.act(0, [&](Engine& e, Output& out) { e.get(1, sha256("nothing"), everyone(sim), false, sim.now(), out); });
  sim.run_until(1000);
  auto evs = sim.take_events();
  auto got = find_event(evs, EventKind::GetDone, 1);
  REQUIRE(got);
  CHECK(got->status == BUTTER_E_NOT_FOUND);
}

TEST_CASE("a get that cannot take the object fails NOMEM from its manifest, held or not, and fetches nothing") {
  SimCluster sim({.nodes = 6, .cfg = test_config()});
  auto data = bytes_of(5000, 4);
  Hash id = put_on(sim, 0, data);
  sim.run_until(2000);
  (void)sim.take_events();
  auto h = holders(sim, id);
  REQUIRE(h.size() == 3);
  std::size_t outside = 0;
  while (std::find(h.begin(), h.end(), outside) != h.end()) ++outside;
  const auto fetches_before = sim.engine(outside).stats().sent[static_cast<std::size_t>(MsgType::Fetch)];
  sim.act(h[0], [&](Engine& e, Output& out) { e.get(21, id, {}, false, sim.now(), out, 4999); });
  sim.act(outside, [&](Engine& e, Output& out) { e.get(22, id, everyone(sim), false, sim.now(), out, 4999); });
  sim.act(outside, [&](Engine& e, Output& out) { e.get(23, id, everyone(sim), false, sim.now(), out, 5000); });
  sim.run_until(sim.now() + 2000);
  auto evs = sim.take_events();
  for (const std::uint64_t ticket : {21, 22}) {
    auto got = find_event(evs, EventKind::GetDone, ticket);
    REQUIRE(got);
    CHECK(got->status == BUTTER_E_NOMEM);
    CHECK(got->data.empty());
    CHECK(got->message == too_large_for_get(5000, 4999));
  }
  CHECK(sim.engine(h[0]).stats().gets_too_large == 1);
  CHECK(sim.engine(outside).stats().gets_too_large == 1);
  // Only get 23, which can take the object, fetched its 5 blocks.
  auto got = find_event(evs, EventKind::GetDone, 23);
  REQUIRE(got);
  CHECK(got->status == BUTTER_OK);
  CHECK(got->data == data);
  CHECK(sim.engine(outside).stats().sent[static_cast<std::size_t>(MsgType::Fetch)] - fetches_before == 5);
}

TEST_CASE("an object stored and restored keeps its group view") {
  SimCluster sim({.nodes = 4, .cfg = test_config()});
  auto data = bytes_of(2500, 11);
  Hash id = put_on(sim, 0, data);
  sim.run_until(1500);
  Engine& e = sim.engine(0);
  REQUIRE(e.holds(id));
  struct NoEnv : Env {
    std::vector<Candidate> candidates(std::size_t) override { return {}; }
    std::uint64_t random() override { return 4; }
  } env;
  Engine fresh(sim.id(0), {}, test_config(), 1 << 20, env);
  std::string why;
  CHECK(fresh.restore(id, *e.manifest_of(id), *e.blocks_of(id), *e.view_of(id), 0, why));
  CHECK(fresh.holds(id));
  CHECK(fresh.view_of(id)->version == e.view_of(id)->version);
  auto blocks = *e.blocks_of(id);
  blocks[0][0] ^= 1;
  Engine other(sim.id(1), {}, test_config(), 1 << 20, env);
  CHECK_FALSE(other.restore(id, *e.manifest_of(id), blocks, *e.view_of(id), 0, why));
  CHECK(why.find("does not match") != std::string::npos);
  CHECK(other.budget().used() == 0);
  // The loaded blocks are kept, not copied: a start held every object twice (loaded, then copied
  // into the engine), so restarting a node near its capacity needed twice its memory.
  auto loaded = *e.blocks_of(id);
  const std::uint8_t* first = loaded[0].data();
  Engine third(sim.id(2), {}, test_config(), 1 << 20, env);
  REQUIRE(third.restore(id, *e.manifest_of(id), std::move(loaded), *e.view_of(id), 0, why));
  CHECK((*third.blocks_of(id))[0].data() == first);
}

TEST_CASE("a put whose local copy cannot be written to disk fails and the node does not claim it") {
  SimCluster sim({.nodes = 4, .cfg = test_config()});
  sim.set_disk_full(0, true);
  Hash id{};
  std::string why;
  Output out;
  CHECK(sim.engine(0).put(1, bytes_of(3000, 11), {}, 0, id, why, out) == BUTTER_E_NOMEM);
  CHECK(why.find("disk full") != std::string::npos);
  CHECK(out.events.empty());  // no PutDone, no Stored
  CHECK(out.sends.empty());   // no recruits for a copy that does not exist
  CHECK_FALSE(sim.engine(0).holds(id));
  CHECK(sim.engine(0).group_count() == 0);
  CHECK(sim.engine(0).budget().used() == 0);
  CHECK(sim.engine(0).stats().store_failures == 1);
  sim.set_disk_full(0, false);
  CHECK(sim.engine(0).put(2, bytes_of(3000, 11), {}, 0, id, why, out) == BUTTER_OK);
  CHECK(sim.engine(0).holds(id));
}

TEST_CASE("a recruit that cannot write its copy to disk is never counted as a replica and is replaced") {
  // Nodes 1..5 have full disks: they accept recruits, fetch every block, fail to store them.
  SimCluster sim({.nodes = 9, .cfg = test_config()});
  for (std::size_t i = 1; i <= 5; ++i) sim.set_disk_full(i, true);
  auto data = bytes_of(8000, 12);
  Hash id = put_on(sim, 0, data, 5);
  std::uint64_t max_replicas = 0;
  bool acknowledged_full = false;
  for (std::uint64_t t = 100; t <= 8000; t += 100) {
    sim.run_until(t);
    for (auto& [n, e] : sim.take_events()) {
      if (e.kind == EventKind::PutDone && e.ticket == 5) {
        max_replicas = std::max<std::uint64_t>(max_replicas, e.replicas);
        acknowledged_full = e.replicas == 3;
        // Every member the put counted really holds the object, on a node whose disk took it.
        CHECK(holders(sim, id).size() >= e.replicas);
      }
      if (e.kind == EventKind::Stored) CHECK((n == 0 || n >= 6));
    }
  }
  auto h = holders(sim, id);
  CHECK(h.size() == 3);
  for (auto i : h) CHECK((i == 0 || i >= 6));
  for (std::size_t i = 1; i <= 5; ++i) {
    CHECK_FALSE(sim.engine(i).holds(id));
    CHECK(sim.engine(i).budget().used() == 0);
  }
  std::uint64_t failures = 0;
  for (std::size_t i = 1; i <= 5; ++i) failures += sim.engine(i).stats().store_failures;
  CHECK(failures > 0);  // some recruit did hit a full disk (else this test proves nothing)
  CHECK(acknowledged_full);
  CHECK(max_replicas == 3);
}

TEST_CASE("the endpoints a node learns from peers are bounded and the least recently used are forgotten") {
  SimCluster sim({.nodes = 2, .cfg = test_config()});
  auto made_up = [](std::size_t i) {
    Hash h{};
    h[0] = 0xee;
    h[1] = static_cast<std::uint8_t>(i);
    h[2] = static_cast<std::uint8_t>(i >> 8);
    return h;
  };
  // Candidates (from search hits, which any peer can claim) with endpoints: kMaxLocateAsks per get.
  const std::size_t gets = 2 * kMaxAddresses / kMaxLocateAsks;
  const std::size_t total = gets * kMaxLocateAsks;
  for (std::size_t g = 0; g < gets; ++g) {
    sim.act(0, [&](Engine& e, Output& out) {
      std::vector<Candidate> c;
      for (std::size_t i = g * kMaxLocateAsks; i < (g + 1) * kMaxLocateAsks; ++i)
        c.push_back(Candidate{made_up(i), {"tcp://127.0.0.1:" + std::to_string(1000 + i % 1000)}, -1});
      e.get(100 + g, sha256("x" + std::to_string(g)), c, true, sim.now(), out);
    });
  }
  std::vector<Send> sends;
  sim.act(0, [&](Engine& e, Output& out) {
    CHECK(e.known_addresses() == kMaxAddresses);
    // The newest is known, the oldest forgotten: a LOCATE to each carries endpoints or none.
    e.get(1, sha256("y"), {Candidate{made_up(total - 1), {}, -1}, Candidate{made_up(0), {}, -1}}, false, sim.now(),
          out);
    sends = out.sends;
  });
  REQUIRE(sends.size() == 2);
  for (const auto& s : sends) {
    INFO(to_hex(s.to));
    CHECK(s.endpoints.empty() == (s.to == made_up(0)));
  }
}
