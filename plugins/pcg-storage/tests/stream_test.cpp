// Streamed reads (stream_reads.cpp) in the simulated cluster: a consumer that pulls chunk by
// chunk reads objects of 64 KiB + 1 B, 1 MiB and 200 MiB from a node outside the group with memory
// bounded by the window, blocks come from several members, a dead or lying member is failed
// over, a read that lost every member resumes at the offset it reached, cancel forgets the read,
// a read of an object nobody holds ends NOT_FOUND only once every answer is in (TIMEOUT before).
#include "sim_helpers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace butter::pcg;
using namespace butter::pcg::test;

namespace {

Config stream_config(std::uint32_t block_size) {
  Config c = test_config();
  c.block_size = block_size;
  c.complete_timeout_ms = 600000;
  c.put_timeout_ms = 600000;
  c.stream_idle_ms = 3000;
  return c;
}

// A consumer pulling chunks: it grants one chunk of credit per chunk it received (and `initial`
// at the start), checks order and contiguity, and records the provider's peak buffered bytes.
struct Reader {
  explicit Reader(std::uint64_t s, bool k = true) : sid(s), keep(k) {}
  std::uint64_t sid = 0;
  std::uint64_t next = 0;  // the offset the next chunk must start at
  std::vector<std::uint8_t> got;
  bool keep = true;                                   // keep the bytes (small objects), else only count them
  const std::vector<std::uint8_t>* expect = nullptr;  // when not keeping: compared chunk by chunk
  bool matches = true;
  std::uint64_t count = 0;  // bytes received
  std::uint64_t peak = 0;
  std::optional<Event> done;
  bool in_order = true;
  Engine::StreamReport last;  // the report as last seen before the read ended
};

// Runs the cluster in 5 ms steps until `r` is done or `budget_ms` of virtual time passed; after
// each step the reader consumes what arrived and gives the same amount of credit back.
void pump(SimCluster& sim, std::size_t node, Reader& r, std::uint64_t budget_ms,
          const std::function<void(Reader&)>& each_step = {}) {
  const std::uint64_t until = sim.now() + budget_ms;
  while (!r.done && sim.now() < until) {
    sim.run_until(sim.now() + 5);
    std::uint32_t consumed = 0;
    for (auto& [n, e] : sim.take_events()) {
      if (n != node || e.ticket != r.sid) continue;
      if (e.kind == EventKind::StreamChunk) {
        r.in_order = r.in_order && e.offset == r.next;
        r.next = e.offset + e.data.size();
        r.count += e.data.size();
        if (r.keep) r.got.insert(r.got.end(), e.data.begin(), e.data.end());
        if (r.expect) {
          r.matches =
              r.matches && e.offset + e.data.size() <= r.expect->size() &&
              std::equal(e.data.begin(), e.data.end(), r.expect->begin() + static_cast<std::ptrdiff_t>(e.offset));
        }
        ++consumed;
      } else if (e.kind == EventKind::StreamDone) {
        r.done = std::move(e);
      }
    }
    if (auto rep = sim.engine(node).stream_report(r.sid)) {
      r.peak = std::max(r.peak, rep->peak_buffered_bytes);
      r.last = *rep;
    }
    if (each_step) each_step(r);
    if (!r.done && consumed)
      sim.act(node, [&](Engine& e, Output& out) {
        e.stream_credit(r.sid, consumed);
        e.stream_pump(r.sid, sim.now(), out);
      });
  }
}

void open(SimCluster& sim, std::size_t node, Reader& r, const Hash& id, std::uint64_t offset, std::uint64_t length,
          std::uint32_t window, std::uint32_t initial_credit) {
  sim.act(node, [&](Engine& e, Output& out) {
    std::string why;
    REQUIRE(e.stream_open(r.sid, id, offset, length, window, everyone(sim), false, sim.now(), out, why) == BUTTER_OK);
    e.stream_credit(r.sid, initial_credit);
    e.stream_pump(r.sid, sim.now(), out);
  });
  r.next = offset;
}

std::size_t members_that_served(const Engine::StreamReport& rep) {
  std::size_t n = 0;
  for (const auto& [h, blocks] : rep.served_by) n += blocks > 0;
  return n;
}

}  // namespace

TEST_CASE("a streamed read of 64 KiB + 1 B and of 1 MiB from outside the group comes whole from several members") {
  for (const std::size_t size : {std::size_t{64 * 1024 + 1}, std::size_t{1024 * 1024}}) {
    SimCluster sim({.nodes = 6, .cfg = stream_config(16 * 1024)});
    const auto data = bytes_of(size, 3);
    const Hash id = stored(sim, data);
    const std::size_t outside = outside_of(holders(sim, id));
    Reader r(100);
    const std::uint32_t window = 6;
    open(sim, outside, r, id, 0, UINT64_MAX, window, window);
    pump(sim, outside, r, 30000);
    INFO("size " << size);
    REQUIRE(r.done);
    CHECK(r.done->status == BUTTER_OK);
    CHECK(r.done->offset == size);
    CHECK(r.in_order);
    CHECK(r.got == data);
    CHECK(r.peak <= std::uint64_t{window} * 16 * 1024);
    CHECK(members_that_served(r.last) >= 2);  // spread over the group, not one member
    CHECK(sim.engine(outside).stream_count() == 0);
  }
}

TEST_CASE("a streamed read of 200 MiB stays within its window of buffered bytes") {
#if defined(BUTTER_TEST_SANITIZED)
  // Under ASan/UBSan or TSan (CI runs them on 2 cores): 16 MiB in 64 blocks shows the same bound.
  const std::uint32_t bs = 256 * 1024;
  const std::size_t size = 16u * 1024 * 1024;
#else
  const std::uint32_t bs = 1024 * 1024;
  const std::size_t size = 200u * 1024 * 1024;
#endif
  SimCluster sim(
      {.nodes = 5, .cfg = stream_config(bs), .capacity = 4ull << 30});  // peer quota = capacity / 8 >= 200 MiB
  const auto data = bytes_of(size, 4);
  const Hash id = stored(sim, data, 120000);
  const std::size_t outside = outside_of(holders(sim, id));
  // The consumer compares each chunk where it belongs instead of keeping a second copy.
  Reader r(7, false);
  r.expect = &data;
  const std::uint32_t window = 8;
  open(sim, outside, r, id, 0, UINT64_MAX, window, window);
  pump(sim, outside, r, 600000);
  REQUIRE(r.done);
  CHECK(r.done->status == BUTTER_OK);
  CHECK(r.count == size);
  CHECK(r.in_order);
  CHECK(r.matches);
  // Bounded by the window, not the object (200 blocks); and the read did fill its window at
  // some point (a consumer that returns credit at once never lets it go empty for long).
  CHECK(r.peak > 0);
  CHECK(r.peak <= std::uint64_t{window} * bs);
  CHECK(r.peak >= std::uint64_t{bs});
  CHECK(members_that_served(r.last) >= 2);
}

TEST_CASE("a streamed read fails over from a member that dies mid-transfer and from one sending corrupt blocks") {
  SimCluster sim({.nodes = 6, .cfg = stream_config(4096)});
  const auto data = bytes_of(400 * 1024, 5);  // 100 blocks
  const Hash id = stored(sim, data);
  const auto h = holders(sim, id);
  const std::size_t outside = outside_of(h);
  const std::size_t liar = h[1], victim = h[2];
  sim.on_send = [&](std::size_t from, Send& s) {
    if (from == liar && s.type == MsgType::Block) {
      std::string why;
      auto m = decode(s.bytes, why);
      if (m && !m->data.empty()) {
        m->data.back() ^= 0x5a;
        s.bytes = encode(*m);
      }
    }
    return true;
  };
  const auto bad_before = sim.engine(outside).stats().bad_blocks;
  Reader r(9);
  open(sim, outside, r, id, 0, UINT64_MAX, 4, 4);
  // Read slowly (one chunk per step), and kill the victim once a quarter is delivered.
  bool killed = false;
  pump(sim, outside, r, 60000, [&](Reader& rd) {
    if (!killed && rd.count >= data.size() / 4) {
      sim.kill(victim);
      killed = true;
    }
  });
  REQUIRE(killed);
  REQUIRE(r.done);
  CHECK(r.done->status == BUTTER_OK);
  CHECK(r.got == data);
  CHECK(sim.engine(outside).stats().bad_blocks > bad_before);  // the liar's blocks were refused
  CHECK(sim.engine(outside).stats().stream_failovers > 0);
  CHECK(r.last.bad_blocks >= 1);
  CHECK(r.last.served_by.count(sim.id(liar)) == 0);  // nothing of the liar's reached the consumer
}

TEST_CASE("a streamed read that lost every member resumes at the offset it reached without refetching") {
  SimCluster sim({.nodes = 6, .cfg = stream_config(4096)});
  const auto data = bytes_of(200 * 1024 + 123, 6);  // 51 blocks
  const Hash id = stored(sim, data);
  const std::size_t outside = outside_of(holders(sim, id));
  // Once 60 KiB are delivered every BLOCK to the reader is lost (the holders are cut off from it).
  bool cut = false;
  sim.on_send = [&](std::size_t, Send& s) { return !(cut && s.type == MsgType::Block && s.to == sim.id(outside)); };
  Reader r(11);
  open(sim, outside, r, id, 0, UINT64_MAX, 4, 4);
  pump(sim, outside, r, 60000, [&](Reader& rd) { cut = cut || rd.count >= 60 * 1024; });
  REQUIRE(r.done);
  CHECK(r.done->status != BUTTER_OK);
  const std::uint64_t reached = r.done->offset;
  CHECK(reached == r.count);
  CHECK(reached >= 60 * 1024);
  CHECK(reached < data.size());
  INFO(r.done->message);
  CHECK(r.done->message.find("resume") != std::string::npos);
  // The link is back: a new read at `reached` delivers exactly the rest, fetching only blocks
  // from the one holding `reached` on.
  cut = false;
  const auto fetched_before = sim.engine(outside).stats().stream_blocks;
  Reader rest(12);
  open(sim, outside, rest, id, reached, UINT64_MAX, 4, 4);
  pump(sim, outside, rest, 60000);
  REQUIRE(rest.done);
  CHECK(rest.done->status == BUTTER_OK);
  std::vector<std::uint8_t> whole(r.got);
  whole.insert(whole.end(), rest.got.begin(), rest.got.end());
  CHECK(whole == data);
  const std::uint64_t blocks_left = (data.size() + 4095) / 4096 - reached / 4096;
  CHECK(sim.engine(outside).stats().stream_blocks - fetched_before == blocks_left);
}

TEST_CASE("a read nobody can locate ends NOT_FOUND once every answer is in and TIMEOUT while the search is out") {
  SimCluster sim({.nodes = 4, .cfg = stream_config(1024)});
  Hash nobody{};
  nobody.fill(0xab);  // held by no node
  auto open_unknown = [&](Reader& r, bool search_out) {
    sim.act(0, [&](Engine& e, Output& out) {
      std::string why;
      REQUIRE(e.stream_open(r.sid, nobody, 0, UINT64_MAX, 4, everyone(sim), search_out, sim.now(), out, why) ==
              BUTTER_OK);
      e.stream_credit(r.sid, 4);
    });
  };
  // Every node asked says it does not hold it and no search is out: the read knows at once
  // (one LOCATE round trip), long before stream_idle_ms (3 s of the simulation's clock).
  Reader answered(21);
  std::uint64_t opened = sim.now();
  open_unknown(answered, false);
  pump(sim, 0, answered, 60000);
  REQUIRE(answered.done);
  CHECK(answered.done->status == BUTTER_E_NOT_FOUND);
  CHECK(sim.now() - opened < 1000);

  // The search has not reported when stream_idle_ms is over: not known, so not NOT_FOUND (over
  // HTTP a 504, which butter get does not take for "no such object").
  Reader still_searching(22);
  opened = sim.now();
  open_unknown(still_searching, true);
  pump(sim, 0, still_searching, 60000);
  REQUIRE(still_searching.done);
  CHECK(still_searching.done->status == BUTTER_E_TIMEOUT);
  CHECK(still_searching.done->message.find("search") != std::string::npos);
  CHECK(sim.now() - opened >= 3000);

  // The search ends without a holder before the deadline: NOT_FOUND then, not at the deadline.
  Reader searched(23);
  open_unknown(searched, true);
  pump(sim, 0, searched, 1000);
  CHECK_FALSE(searched.done);
  sim.act(0, [&](Engine& e, Output& out) { e.stream_add_candidates(searched.sid, {}, false, sim.now(), out); });
  opened = sim.now();
  pump(sim, 0, searched, 60000);
  REQUIRE(searched.done);
  CHECK(searched.done->status == BUTTER_E_NOT_FOUND);
  CHECK(sim.now() - opened < 100);
}

TEST_CASE("a streamed range read delivers exactly the range and a held object streams from this node") {
  SimCluster sim({.nodes = 6, .cfg = stream_config(1024)});
  const auto data = bytes_of(10000, 7);
  const Hash id = stored(sim, data);
  const auto h = holders(sim, id);
  for (const std::size_t node : {outside_of(h), h[0]}) {
    Reader r(20 + node);
    open(sim, node, r, id, 1500, 3000, 2, 2);
    pump(sim, node, r, 20000);
    REQUIRE(r.done);
    CHECK(r.done->status == BUTTER_OK);
    CHECK(r.got == std::vector<std::uint8_t>(data.begin() + 1500, data.begin() + 4500));
  }
  // Past the end: refused with the reason; at the end: empty and OK.
  Reader past(30), at_end(31);
  open(sim, h[0], past, id, data.size() + 1, 10, 2, 2);
  pump(sim, h[0], past, 1000);
  REQUIRE(past.done);
  CHECK(past.done->status == BUTTER_E_INVALID);
  open(sim, h[0], at_end, id, data.size(), 10, 2, 2);
  pump(sim, h[0], at_end, 1000);
  REQUIRE(at_end.done);
  CHECK(at_end.done->status == BUTTER_OK);
  CHECK(at_end.got.empty());
}

TEST_CASE("a read opened with tell_located gets the verified manifest before its chunks and an empty object's too") {
  SimCluster sim({.nodes = 6, .cfg = stream_config(1024)});
  const auto data = bytes_of(3000, 5);
  const Hash id = stored(sim, data);
  const Hash empty = stored(sim, {});
  for (const Hash& object : {id, empty}) {
    const auto h = holders(sim, object);
    REQUIRE_FALSE(h.empty());
    for (const std::size_t node : {outside_of(h), h[0]}) {  // located over the network, and held here
      for (const bool tell : {true, false}) {
        const std::uint64_t sid = 60 + node * 2 + (tell ? 1 : 0) + (object == empty ? 100 : 0);
        sim.act(node, [&](Engine& e, Output& out) {
          std::string why;
          REQUIRE(e.stream_open(sid, object, 0, ~std::uint64_t{0}, 4, everyone(sim), false, sim.now(), out, why,
                                tell) == BUTTER_OK);
          e.stream_credit(sid, 4);
          e.stream_pump(sid, sim.now(), out);
        });
        std::vector<Event> seen;  // this read's events, in order
        for (int step = 0; step < 400 && (seen.empty() || seen.back().kind != EventKind::StreamDone); ++step) {
          sim.run_until(sim.now() + 5);
          for (auto& [n, e] : sim.take_events())
            if (n == node && e.ticket == sid) seen.push_back(std::move(e));
          sim.act(node, [&](Engine& e, Output& out) {
            e.stream_credit(sid, 4);
            e.stream_pump(sid, sim.now(), out);
          });
        }
        INFO("node " << node << (tell ? " told" : " not told") << (object == empty ? ", empty object" : ""));
        REQUIRE_FALSE(seen.empty());
        CHECK(seen.back().kind == EventKind::StreamDone);
        CHECK(seen.back().status == BUTTER_OK);
        const auto located =
            std::count_if(seen.begin(), seen.end(), [](const Event& e) { return e.kind == EventKind::StreamLocated; });
        CHECK(located == (tell ? 1 : 0));
        if (tell) {
          CHECK(seen.front().kind == EventKind::StreamLocated);  // before every chunk and the end
          std::string why;
          const auto m = verify_manifest(object, seen.front().data, why);
          REQUIRE(m);
          CHECK(m->size == (object == empty ? 0 : data.size()));
        }
      }
    }
  }
}

TEST_CASE("a streamed read without credit stops fetching at its window and cancel forgets it") {
  SimCluster sim({.nodes = 6, .cfg = stream_config(1024)});
  const auto data = bytes_of(64 * 1024, 8);
  const Hash id = stored(sim, data);
  const std::size_t outside = outside_of(holders(sim, id));
  Reader r(40);
  open(sim, outside, r, id, 0, UINT64_MAX, 5, 0);  // no credit at all
  sim.run_until(sim.now() + 2000);
  auto rep = sim.engine(outside).stream_report(40);
  REQUIRE(rep);
  CHECK(rep->blocks_fetched == 5);  // the window, then nothing more
  CHECK(rep->buffered_bytes == 5 * 1024);
  // No chunk and no end without credit: counted, so that "none" is an assertion that can fail.
  auto events_of_read = [&] {
    std::size_t n_events = 0;
    for (auto& [n, e] : sim.take_events()) n_events += n == outside && e.ticket == 40;
    return n_events;
  };
  CHECK(events_of_read() == 0);
  CHECK(sim.engine(outside).stream_cancel(40));
  CHECK(sim.engine(outside).stream_count() == 0);
  CHECK_FALSE(sim.engine(outside).stream_report(40));
  CHECK_FALSE(sim.engine(outside).stream_cancel(40));
  const auto delivered_before = sim.delivered();
  sim.run_until(sim.now() + 2000);
  CHECK(sim.delivered() > delivered_before);  // the cluster ran on (heartbeats, late blocks) ...
  CHECK(events_of_read() == 0);               // ... and said nothing more about the cancelled read
  // Bad arguments are refused at once.
  sim.act(outside, [&](Engine& e, Output& out) {
    std::string why;
    CHECK(e.stream_open(41, id, 0, 10, 0, {}, false, sim.now(), out, why) == BUTTER_E_INVALID);
    CHECK(e.stream_open(41, id, 0, 10, Engine::kMaxStreamWindow + 1, {}, false, sim.now(), out, why) ==
          BUTTER_E_INVALID);
  });
}

TEST_CASE("all streamed reads of a node together stay within stream_buffer_bytes, waiting rather than failing") {
  Config cfg = stream_config(1024);
  cfg.stream_buffer_bytes = 6 * 1024;  // six blocks for the whole node
  SimCluster sim({.nodes = 6, .cfg = cfg});
  const auto data = bytes_of(40 * 1024, 9);
  const Hash id = stored(sim, data);
  const std::size_t outside = outside_of(holders(sim, id));
  // Two reads of window 5 with no credit: alone each would hold 5 blocks, 10 together.
  Reader a(90), b(91);
  open(sim, outside, a, id, 0, UINT64_MAX, 5, 0);
  open(sim, outside, b, id, 0, UINT64_MAX, 5, 0);
  std::uint64_t node_peak = 0;
  for (int i = 0; i < 400; ++i) {  // 2 s of virtual time
    sim.run_until(sim.now() + 5);
    node_peak = std::max(node_peak, sim.engine(outside).stream_buffered_bytes());
  }
  CHECK(node_peak <= 6 * 1024);
  CHECK(sim.engine(outside).stream_buffered_bytes() == 6 * 1024);  // the bound is reached, not passed
  CHECK(sim.engine(outside).stats().stream_throttled > 0);
  // Well past stream_idle_ms (3 s) of waiting on the node: neither read failed.
  sim.run_until(sim.now() + 5000);
  CHECK(sim.engine(outside).stream_count() == 2);
  // a reads to the end (its consumer gives credit), then b: both whole, the bound held throughout.
  sim.act(outside, [&](Engine& e, Output& out) {
    e.stream_credit(a.sid, 5);
    e.stream_pump(a.sid, sim.now(), out);
  });
  pump(sim, outside, a, 60000,
       [&](Reader&) { node_peak = std::max(node_peak, sim.engine(outside).stream_buffered_bytes()); });
  REQUIRE(a.done);
  CHECK(a.done->status == BUTTER_OK);
  CHECK(a.got == data);
  sim.act(outside, [&](Engine& e, Output& out) {
    e.stream_credit(b.sid, 5);
    e.stream_pump(b.sid, sim.now(), out);
  });
  pump(sim, outside, b, 60000,
       [&](Reader&) { node_peak = std::max(node_peak, sim.engine(outside).stream_buffered_bytes()); });
  REQUIRE(b.done);
  CHECK(b.done->status == BUTTER_OK);
  CHECK(b.got == data);
  CHECK(node_peak <= 6 * 1024);
}
