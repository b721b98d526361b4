// Deadlines that grow with the work they wait for (deadlines.hpp, issue 18): the rules on their
// own, and the engine on virtual time with a node squeezed off the CPU while its recruits fill
// their copies, and recruits whose fill takes longer than complete_timeout_ms at a steady pace.
#include "deadlines.hpp"
#include "sim_helpers.hpp"

#include <catch2/catch.hpp>

using namespace butter::pcg;
using namespace butter::pcg::test;

TEST_CASE("transfer_ms is the time bytes take at the slowest rate allowed and never overflows") {
  CHECK(transfer_ms(0, 1024) == 0);
  CHECK(transfer_ms(1024 * 1024, 1024 * 1024) == 1000);
  CHECK(transfer_ms(48ull << 20, 1024 * 1024) == 48000);
  CHECK(transfer_ms(1536, 1024) == 1500);
  CHECK(transfer_ms(12345, 0) == 0);  // no allowance
  CHECK(transfer_ms(UINT64_MAX, UINT64_MAX) == 1000);
  CHECK(transfer_ms(UINT64_MAX / 1000, 1) == UINT64_MAX / 1000 * 1000);
}

TEST_CASE("a block request moves on while its member answers others and stops at its bound") {
  const std::uint64_t t = 500, issued = 10000;
  // An answer at 10400 to a request due at 10500: due a full timeout after the answer.
  CHECK(extended_deadline(issued + t, issued, issued + 400, t) == issued + 400 + t);
  // Never earlier than it was.
  CHECK(extended_deadline(issued + 3000, issued, issued + 100, t) == issued + 3000);
  // However often the member answers other requests, this one is due kMaxFetchStretch timeouts
  // after it was sent: a member cannot hold it for ever by serving the rest.
  std::uint64_t d = issued + t;
  for (std::uint64_t now = issued; now < issued + 100 * t; now += t / 2) d = extended_deadline(d, issued, now, t);
  CHECK(d == issued + kMaxFetchStretch * t);
}

TEST_CASE("only the part of a pause beyond one heartbeat interval is credited") {
  CHECK(pause_credit(0, 5000, 100) == 0);     // the first tick
  CHECK(pause_credit(1000, 1020, 100) == 0);  // on time
  CHECK(pause_credit(1000, 1100, 100) == 0);  // one interval late at most: nothing
  CHECK(pause_credit(1000, 3000, 100) == 1900);
}

namespace {

// 200 blocks of 1 KiB fetched 4 at a time over links of 5-20 ms: about 1.3 s of filling.
std::vector<std::uint8_t> big_object() { return bytes_of(200 * 1024, 18); }

bool put_done_with(SimCluster& sim, std::uint32_t replicas) {
  bool done = false;
  for (auto& [n, e] : sim.take_events())
    done = done || (e.kind == EventKind::PutDone && e.ticket == 1 && e.replicas == replicas);
  return done;
}

}  // namespace

TEST_CASE("a member is asked again after a quarter timeout when busy, doubling per timeout up to 8") {
  CHECK(retry_wait(0, 2000) == 500);  // busy: not a failure, a short wait
  CHECK(retry_wait(1, 2000) == 2000);
  CHECK(retry_wait(2, 2000) == 4000);
  CHECK(retry_wait(4, 2000) == 16000);
  CHECK(retry_wait(40, 2000) == 16000);  // stops at 8 timeouts however long it stays silent
  CHECK(retry_wait(0, 0) == 1);          // never asked again in the same millisecond
  CHECK(retry_wait(0, 3) == 1);
  // Jitter adds at most a quarter.
  CHECK(jittered(400, 0) == 400);
  CHECK(jittered(400, 100) == 500);
  CHECK(jittered(400, 101) == 400);
  CHECK(jittered(400, UINT64_MAX) <= 500);
}

TEST_CASE("a block request queued behind others at its member gets a share of a timeout more, up to two") {
  CHECK(queued_deadline(1000, 400, 0, 4) == 1400);
  CHECK(queued_deadline(1000, 400, 1, 4) == 1500);
  CHECK(queued_deadline(1000, 400, 4, 4) == 1800);
  CHECK(queued_deadline(1000, 400, 100, 4) == 1800);  // never more than twice the timeout
  CHECK(queued_deadline(1000, 400, 3, 0) == 1800);    // a limit of 0 counts as 1, no division by 0
}

TEST_CASE("a node squeezed off the CPU while its recruits fill keeps its group and its put reaches r") {
  // Three nodes, r = 3: the group is all of them, so whichever the leader rule picks, a wrong
  // suspicion shows as a view change. Node 0 is paused for 2 s (ten heartbeats, over three times
  // miss_limit) while nodes 1 and 2 fetch from it. Before issue 18's fix (checked against the
  // old engine) the view was rewritten twice around the pause (version 4): at its first tick
  // node 0 took its recruits for dead (their heartbeats were waiting in its queue), and a recruit
  // leading meanwhile could remove node 0, its only source. In the integration test the same
  // cost a 12 MiB put its replicas; here the fix must leave the recruiting view alone.
  Config cfg = test_config();
  SimCluster sim({.nodes = 3, .cfg = cfg, .seed = 18});
  const Hash id = put_on(sim, 0, big_object());
  auto filling = [&](std::size_t i) { return sim.engine(i).is_member(id) && !sim.engine(i).holds(id); };
  while (!(filling(1) && filling(2)) && sim.now() < 2000) sim.run_until(sim.now() + 5);
  REQUIRE(filling(1));
  REQUIRE(filling(2));
  sim.run_until(sim.now() + 100);  // some blocks in
  REQUIRE(filling(1));
  const std::uint64_t pause = 10 * cfg.heartbeat_ms;
  sim.pause(0, sim.now() + pause);
  sim.run_until(sim.now() + pause + 6000);
  CHECK(holders(sim, id).size() == 3);
  CHECK(put_done_with(sim, 3));
  for (std::size_t i = 0; i < sim.size(); ++i) {
    INFO("node " << i);
    CHECK(sim.engine(i).is_member(id));
    CHECK(sim.engine(i).stats().dropped == 0);               // no partial copy thrown away
    CHECK(sim.engine(i).stats().reservations_expired == 0);  // nor cut off
    REQUIRE(sim.engine(i).view_of(id));
    CHECK(sim.engine(i).view_of(id)->version == 2);  // the recruiting view: nobody removed
  }
}

TEST_CASE("a recruit squeezed off the CPU while it fills is not removed and a dead one is replaced") {
  // Node 1, filling its copy from node 0, is paused for 1.5 s (over twice miss_limit heartbeats).
  // Before, the complete leader removed it for the silence: its partial copy went, a new recruit
  // started over, and under a steady squeeze the group never reached r (the 12 MiB put).
  // A recruit still filling is now given reservation_idle_ms of silence, as its own reservation
  // is; a dead one is replaced at that bound.
  Config cfg = test_config();
  cfg.reservation_idle_ms = 3000;
  SimCluster sim({.nodes = 3, .cfg = cfg, .seed = 21});
  const Hash id = put_on(sim, 0, big_object());
  while (!(sim.engine(1).is_member(id) && sim.engine(2).is_member(id)) && sim.now() < 2000)
    sim.run_until(sim.now() + 5);
  sim.run_until(sim.now() + 100);
  REQUIRE(sim.engine(1).is_member(id));
  REQUIRE_FALSE(sim.engine(1).holds(id));
  sim.pause(1, sim.now() + 1500);
  sim.run_until(sim.now() + 1500 + 5000);
  CHECK(holders(sim, id).size() == 3);
  CHECK(put_done_with(sim, 3));
  for (std::size_t i = 0; i < sim.size(); ++i) {
    INFO("node " << i);
    CHECK(sim.engine(i).stats().dropped == 0);
    REQUIRE(sim.engine(i).view_of(id));
    CHECK(sim.engine(i).view_of(id)->version == 2);
  }

  // Five nodes: a recruit that dies while filling is replaced once reservation_idle_ms passed.
  SimCluster dead({.nodes = 5, .cfg = cfg, .seed = 22});
  const Hash id2 = put_on(dead, 0, big_object());
  std::size_t victim = 0;
  while (victim == 0 && dead.now() < 2000) {
    dead.run_until(dead.now() + 5);
    for (std::size_t i = 1; i < dead.size(); ++i)
      if (dead.engine(i).is_member(id2) && !dead.engine(i).holds(id2)) victim = i;
  }
  REQUIRE(victim != 0);
  dead.kill(victim);
  const std::uint64_t killed = dead.now();
  dead.run_until(killed + cfg.reservation_idle_ms - 500);
  CHECK(dead.engine(0).view_of(id2)->contains(dead.id(victim)));  // not before the bound
  dead.run_until(killed + cfg.reservation_idle_ms + 5000);
  CHECK_FALSE(dead.engine(0).view_of(id2)->contains(dead.id(victim)));
  CHECK(holders(dead, id2).size() == 3);
}

TEST_CASE("recruits filling at a steady pace past complete_timeout_ms are not cut off and a stalled one is") {
  // One block at a time: 200 round trips of 10-40 ms, and about as many again for the blocks first
  // asked of the other recruit (it has not got them yet): about 8 s, four times complete_timeout_ms
  // (2 s). With 20 KiB/s as the slowest rate allowed, the 200 KiB object gets 10 s more: 12 s.
  // Before issue 18's fix each recruit gave its reservation back at 2 s and the leader removed
  // it as stalled; their replacements started over and hit the same wall.
  Config cfg = test_config();
  cfg.fetch_window = 1;
  cfg.complete_timeout_ms = 2000;
  cfg.reservation_idle_ms = 1000;
  cfg.min_transfer_bytes_per_s = 20 * 1024;
  cfg.put_timeout_ms = 2000;
  SimCluster sim({.nodes = 3, .cfg = cfg, .seed = 19});
  const Hash id = put_on(sim, 0, big_object());
  sim.run_until(sim.now() + 1000);
  REQUIRE(sim.engine(1).is_member(id));
  REQUIRE(sim.engine(2).is_member(id));
  CHECK_FALSE(sim.engine(1).holds(id));  // still filling: the test is about the pace
  sim.run_until(sim.now() + 11000);
  CHECK(holders(sim, id).size() == 3);
  CHECK(put_done_with(sim, 3));
  for (std::size_t i = 0; i < sim.size(); ++i) {
    INFO("node " << i);
    CHECK(sim.engine(i).stats().reservations_expired == 0);
    CHECK(sim.engine(i).stats().dropped == 0);
    REQUIRE(sim.engine(i).view_of(id));
    CHECK(sim.engine(i).view_of(id)->version == 2);
  }

  // A recruit that gets no block any more is still cut off: at reservation_idle_ms, not at the
  // size-scaled deadline. No node of a second cluster receives a block.
  SimCluster stalled({.nodes = 3, .cfg = cfg, .seed = 20});
  stalled.on_send = [](std::size_t, Send& s) { return s.type != MsgType::Block; };
  const Hash id2 = put_on(stalled, 0, big_object());
  stalled.run_until(stalled.now() + 100);
  REQUIRE(stalled.engine(1).is_member(id2));
  stalled.run_until(stalled.now() + cfg.reservation_idle_ms + 200);
  CHECK(stalled.engine(1).stats().reservations_expired == 1);
  CHECK(stalled.engine(1).group_count() == 0);
}
