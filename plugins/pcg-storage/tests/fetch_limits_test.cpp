// Block serving and fetching against hostile or failing peers (issue 18 review), in the simulated
// cluster: FETCHes from outside a group are charged to a per-peer rate and answered AGAIN (busy)
// past it, which readers take as "another member, or later" and not as a failure; a member that
// timed out is used again once it recovers; timeouts of one burst of requests are staggered; one
// LOCATED answer cannot fill a read's sources with made-up ids.
#include "sim_helpers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using namespace butter::pcg;
using namespace butter::pcg::test;

namespace {

Config limits_config(std::uint32_t block_size) {
  Config c = test_config();
  c.block_size = block_size;
  c.complete_timeout_ms = 600000;
  c.put_timeout_ms = 600000;
  c.get_timeout_ms = 600000;
  c.stream_idle_ms = 3000;
  return c;
}

// A read pulled chunk by chunk until it ends or `budget_ms` of virtual time passed.
struct Pull {
  explicit Pull(std::uint64_t s) : sid(s) {}
  std::uint64_t sid = 0;
  std::vector<std::uint8_t> got;
  std::optional<Event> done;
  Engine::StreamReport last;
};

void open_read(SimCluster& sim, std::size_t node, Pull& p, const Hash& id, std::uint32_t window) {
  sim.act(node, [&](Engine& e, Output& out) {
    std::string why;
    REQUIRE(e.stream_open(p.sid, id, 0, UINT64_MAX, window, everyone(sim), false, sim.now(), out, why) == BUTTER_OK);
    e.stream_credit(p.sid, window);
    e.stream_pump(p.sid, sim.now(), out);
  });
}

void pull(SimCluster& sim, std::size_t node, Pull& p, std::uint64_t budget_ms, const std::function<void()>& each = {}) {
  const std::uint64_t until = sim.now() + budget_ms;
  while (!p.done && sim.now() < until) {
    sim.run_until(sim.now() + 5);
    std::uint32_t consumed = 0;
    for (auto& [n, e] : sim.take_events()) {
      if (n != node || e.ticket != p.sid) continue;
      if (e.kind == EventKind::StreamChunk) {
        p.got.insert(p.got.end(), e.data.begin(), e.data.end());
        ++consumed;
      } else if (e.kind == EventKind::StreamDone) {
        p.done = std::move(e);
      }
    }
    if (auto rep = sim.engine(node).stream_report(p.sid)) p.last = *rep;
    if (each) each();
    if (!p.done && consumed)
      sim.act(node, [&](Engine& e, Output& out) {
        e.stream_credit(p.sid, consumed);
        e.stream_pump(p.sid, sim.now(), out);
      });
  }
}

}  // namespace

TEST_CASE("FETCHes from outside the group are answered at a per-peer rate and AGAIN past it") {
  Config cfg = limits_config(1024);
  cfg.serve_bytes_per_s = 16 * 1024;  // 16 blocks a second per reader, burst 16 blocks
  SimCluster sim({.nodes = 6, .cfg = cfg});
  const Hash id = stored(sim, bytes_of(64 * 1024, 21), 30000);
  const auto h = holders(sim, id);
  const std::size_t holder = h[0], stranger = outside_of(h);
  std::map<butter_status, int> answers;  // status of the BLOCKs the holder sent the stranger
  sim.on_send = [&](std::size_t from, Send& s) {
    if (from == holder && s.type == MsgType::Block && s.to == sim.id(stranger)) {
      std::string why;
      if (auto m = decode(s.bytes, why)) ++answers[m->status];
    }
    return true;
  };
  const auto served_before = sim.engine(holder).stats().blocks_served;
  // 200 FETCHes at once, far past the burst.
  sim.act(stranger, [&](Engine&, Output& out) {
    for (std::uint32_t i = 0; i < 200; ++i) {
      Message f;
      f.type = MsgType::Fetch;
      f.object = id;
      f.index = i % 64;
      out.sends.push_back(Send{sim.id(holder), {}, MsgType::Fetch, encode(f)});
    }
  });
  sim.run_until(sim.now() + 200);
  CHECK(answers[BUTTER_OK] == 16);  // the burst: one second of the rate, nothing more at once
  CHECK(answers[BUTTER_E_AGAIN] == 184);
  CHECK(sim.engine(holder).stats().blocks_served - served_before == 16);
  CHECK(sim.engine(holder).stats().fetches_busy == 184);
  // The members of the group are not charged: repair traffic is not throttled by readers.
  const auto busy_before = sim.engine(holder).stats().fetches_busy;
  sim.act(h[1], [&](Engine&, Output& out) {
    for (std::uint32_t i = 0; i < 64; ++i) {
      Message f;
      f.type = MsgType::Fetch;
      f.object = id;
      f.index = i;
      out.sends.push_back(Send{sim.id(holder), {}, MsgType::Fetch, encode(f)});
    }
  });
  sim.run_until(sim.now() + 200);
  CHECK(sim.engine(holder).stats().fetches_busy == busy_before);
}

TEST_CASE("readers treat AGAIN as busy: a streamed read and a get through rate-limited members still complete") {
  Config cfg = limits_config(1024);
  cfg.serve_bytes_per_s = 8 * 1024;  // 8 blocks a second per reader and member
  SimCluster sim({.nodes = 6, .cfg = cfg});
  const auto data = bytes_of(100 * 1024, 22);  // 100 blocks: many seconds of every member's rate
  const Hash id = stored(sim, data, 30000);
  const auto h = holders(sim, id);
  const std::size_t outside = outside_of(h);
  Pull p(50);
  open_read(sim, outside, p, id, 8);
  pull(sim, outside, p, 120000);
  REQUIRE(p.done);
  INFO(p.done->message);
  CHECK(p.done->status == BUTTER_OK);
  CHECK(p.got == data);
  CHECK(p.last.busy > 0);         // it was told "busy" ...
  CHECK(p.last.bad_blocks == 0);  // ... and nobody was taken for a liar
  CHECK(p.last.sources == 3);     // nor dropped
  std::size_t serving = 0;
  for (const auto& [m, n] : p.last.served_by) serving += n > 0;
  CHECK(serving == 3);  // all three members served within their rate
  // A butter.storage/1 get (the BlockTransfer path) from another outsider completes as well.
  std::size_t other = outside + 1;
  while (std::find(h.begin(), h.end(), other) != h.end()) ++other;
  REQUIRE(other < sim.size());
  sim.act(other, [&](Engine& e, Output& out) { e.get(77, id, everyone(sim), false, sim.now(), out); });
  std::optional<Event> got;
  for (int i = 0; i < 2000 && !got; ++i) {
    sim.run_until(sim.now() + 50);
    for (auto& [n, e] : sim.take_events())
      if (n == other && e.kind == EventKind::GetDone && e.ticket == 77) got = std::move(e);
  }
  REQUIRE(got);
  INFO(got->message);
  CHECK(got->status == BUTTER_OK);
  CHECK(got->data == data);
  std::uint64_t busy_answers = 0;
  for (const auto i : h) busy_answers += sim.engine(i).stats().fetches_busy;
  CHECK(busy_answers > 0);
}

TEST_CASE("a streamed read uses a member again once it recovers from timeouts") {
  SimCluster sim({.nodes = 6, .cfg = limits_config(4096)});
  const auto data = bytes_of(400 * 4096, 23);  // 400 blocks
  const Hash id = stored(sim, data, 30000);
  const auto h = holders(sim, id);
  const std::size_t outside = outside_of(h);
  const std::size_t flaky = h[1];
  // The flaky member's blocks to the reader are lost for 600 ms once the read is under way.
  std::uint64_t cut_from = 0, cut_until = 0;
  sim.on_send = [&](std::size_t from, Send& s) {
    const bool cut = sim.now() >= cut_from && sim.now() < cut_until;
    return !(cut && from == flaky && s.type == MsgType::Block && s.to == sim.id(outside));
  };
  Pull p(60);
  open_read(sim, outside, p, id, 6);
  std::uint64_t served_at_recovery = 0;
  bool recovered = false;
  pull(sim, outside, p, 120000, [&] {
    if (cut_from == 0 && p.got.size() >= 40 * 4096) {
      cut_from = sim.now();
      cut_until = sim.now() + 600;
    }
    if (!recovered && cut_until && sim.now() >= cut_until) {
      recovered = true;
      served_at_recovery = p.last.served_by[sim.id(flaky)];
    }
  });
  REQUIRE(recovered);
  REQUIRE(p.done);
  CHECK(p.done->status == BUTTER_OK);
  CHECK(p.got == data);
  CHECK(p.last.timeouts >= 1);  // it did time out ...
  INFO("blocks from the flaky member before recovery " << served_at_recovery << ", at the end "
                                                       << p.last.served_by[sim.id(flaky)]);
  CHECK(p.last.served_by[sim.id(flaky)] > served_at_recovery);  // ... and was asked again after
}

TEST_CASE("the timeouts of one burst of block requests to a dead member are staggered") {
  SimCluster sim({.nodes = 6, .cfg = limits_config(4096)});
  const auto data = bytes_of(200 * 4096, 24);
  const Hash id = stored(sim, data, 30000);
  const auto h = holders(sim, id);
  const std::size_t outside = outside_of(h);
  const std::size_t dead = h[2];
  // Who was asked for each block, and when: a block asked of the dead member and then of another
  // is a failover; the times of the failovers show whether the timeouts fired together.
  std::map<std::uint32_t, std::vector<std::pair<std::size_t, std::uint64_t>>> asked;
  sim.on_send = [&](std::size_t from, Send& s) {
    if (from == outside && s.type == MsgType::Fetch) {
      std::string why;
      if (auto m = decode(s.bytes, why)) asked[m->index].emplace_back(sim.index_of(s.to), sim.now());
    }
    return true;
  };
  Pull p(70);
  bool killed = false;
  open_read(sim, outside, p, id, 16);
  pull(sim, outside, p, 120000, [&] {
    if (!killed && p.got.size() >= 20 * 4096) {
      sim.kill(dead);
      killed = true;
    }
  });
  REQUIRE(killed);
  REQUIRE(p.done);
  CHECK(p.done->status == BUTTER_OK);
  CHECK(p.got == data);
  std::set<std::uint64_t> failover_times;
  for (const auto& [index, asks] : asked)
    for (std::size_t k = 1; k < asks.size(); ++k)
      if (asks[k - 1].first == dead && asks[k].first != dead) failover_times.insert(asks[k].second);
  INFO("failovers at " << failover_times.size() << " distinct times");
  REQUIRE(!failover_times.empty());
  CHECK(failover_times.size() >= 2);
}

TEST_CASE("one LOCATED answer adds at most r sources, so made-up members cannot crowd out the group") {
  SimCluster sim({.nodes = 6, .cfg = limits_config(1024)});
  const auto data = bytes_of(32 * 1024, 25);
  const Hash id = stored(sim, data, 30000);
  const auto h = holders(sim, id);
  const std::size_t outside = outside_of(h);
  const std::size_t forger = h[0];
  // The forger's LOCATED names itself and 63 ids nobody runs (a full view).
  sim.on_send = [&](std::size_t from, Send& s) {
    if (from == forger && s.type == MsgType::Located) {
      std::string why;
      auto m = decode(s.bytes, why);
      if (m && m->status == BUTTER_OK) {
        View v;
        v.version = m->view.version + 100;
        v.add(Member{sim.id(forger), {}});
        for (int i = 0; v.size() < kMaxMembers; ++i) v.add(Member{sha256("fake-" + std::to_string(i)), {}});
        m->view = v;
        s.bytes = encode(*m);
      }
    }
    return true;
  };
  Pull p(80);
  open_read(sim, outside, p, id, 4);
  pull(sim, outside, p, 60000);
  REQUIRE(p.done);
  CHECK(p.done->status == BUTTER_OK);
  CHECK(p.got == data);
  // Three answers (one per holder), each adding at most r = 3.
  CHECK(p.last.sources >= 3);
  CHECK(p.last.sources <= 9);
  std::size_t honest_serving = 0;
  for (const auto i : h) honest_serving += p.last.served_by[sim.id(i)] > 0;
  CHECK(honest_serving == 3);
}
