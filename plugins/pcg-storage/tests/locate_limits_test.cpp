// LOCATE answers against a peer that pulls manifests, in the simulated cluster. A LOCATE is 42
// bytes; its LOCATED answer carries the manifest (here over 4 KiB, up to kMaxManifestBytes) and
// the view. So it is charged to the asker's serve rate (serve_bytes_per_s, the bucket FETCHes
// draw on): answered until the burst is spent, AGAIN (busy, without manifest) after, again once
// the bucket refills; members are not charged. Gets and streamed reads take AGAIN as "busy": they
// ask that holder again after a back-off and complete, rather than end "not found". The views a
// node sends back to a non-member (behind, or a retiring holder asking) draw on the same bucket.
#include "sim_helpers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

using namespace butter::pcg;
using namespace butter::pcg::test;

namespace {

// 1 KiB blocks, 32 KiB/s served per peer: a 128-block object's LOCATED (over 4 KiB) fits a few
// times in one burst.
Config locate_limits_config() {
  Config c = test_config();
  c.block_size = 1024;
  c.serve_bytes_per_s = 32 * 1024;
  c.complete_timeout_ms = 600000;
  c.put_timeout_ms = 600000;
  c.get_timeout_ms = 20000;
  c.stream_idle_ms = 10000;
  return c;
}

// The answers `holder` gives `n` LOCATEs of `id` from `from`, all at the same instant.
struct LocateFlood {
  std::size_t ok = 0, again = 0, other = 0;
  std::size_t ok_bytes = 0;           // the encoded size of an answer with the manifest
  bool again_carries_nothing = true;  // no view and no manifest in any AGAIN
};

LocateFlood locate_flood(SimCluster& sim, std::size_t holder, const Hash& from, const Hash& id, std::size_t n) {
  LocateFlood f;
  sim.act(holder, [&](Engine& e, Output& out) {
    for (std::size_t i = 0; i < n; ++i) {
      Message loc;
      loc.type = MsgType::Locate;
      loc.object = id;
      loc.number = 1000 + i;
      e.on_message(from, encode(loc), sim.now(), out);
    }
    for (const auto& s : out.sends) {
      std::string why;
      auto m = s.to == from ? decode(s.bytes, why) : std::nullopt;
      if (!m || m->type != MsgType::Located) continue;
      if (m->status == BUTTER_OK) {
        ++f.ok;
        f.ok_bytes = s.bytes.size();
      } else if (m->status == BUTTER_E_AGAIN) {
        ++f.again;
        f.again_carries_nothing = f.again_carries_nothing && m->manifest.empty() && m->view.members.empty();
      } else {
        ++f.other;
      }
    }
  });
  return f;
}

// LOCATED answers sent to node `to` for ticket or read `number`, by status.
struct LocatedSeen {
  std::size_t to = 0;
  std::uint64_t number = 0;
  std::size_t ok = 0, again = 0;
};

// Counts into `watched` from now on (until sim.on_send is reset); `watched` outlives that.
void count_located(SimCluster& sim, std::vector<LocatedSeen>& watched) {
  sim.on_send = [&sim, &watched](std::size_t, Send& s) {
    if (s.type != MsgType::Located) return true;
    std::string why;
    auto m = decode(s.bytes, why);
    for (auto& w : watched) {
      if (!m || s.to != sim.id(w.to) || m->number != w.number) continue;
      w.ok += m->status == BUTTER_OK;
      w.again += m->status == BUTTER_E_AGAIN;
    }
    return true;
  };
}

}  // namespace

TEST_CASE("LOCATEs from outside the group are answered within the serve rate and AGAIN past it") {
  const Config cfg = locate_limits_config();
  SimCluster sim({.nodes = 6, .cfg = cfg});
  const Hash id = stored(sim, bytes_of(128 * 1024, 31), 30000);
  const auto h = holders(sim, id);
  const std::size_t holder = h[0];
  Engine& e = sim.engine(holder);
  const std::size_t manifest = e.manifest_of(id)->size();
  REQUIRE(manifest > 4096);

  const Hash puller = sha256("manifest puller");
  const auto first = locate_flood(sim, holder, puller, id, 100);
  // An answer costs what it carries: the manifest, the view and the header.
  REQUIRE(first.ok_bytes > manifest);
  const std::size_t per_burst = cfg.serve_bytes_per_s / first.ok_bytes;  // the burst is one second
  REQUIRE(per_burst >= 4);
  CHECK(first.ok == per_burst);
  CHECK(first.again == 100 - per_burst);
  CHECK(first.other == 0);
  CHECK(first.again_carries_nothing);
  CHECK(e.stats().locates_busy == 100 - per_burst);

  // Another peer has a bucket of its own; members of the group are not charged.
  CHECK(locate_flood(sim, holder, sha256("another reader"), id, 100).ok == per_burst);
  const auto busy = e.stats().locates_busy;
  CHECK(locate_flood(sim, holder, sim.id(h[1]), id, 100).ok == 100);
  CHECK(e.stats().locates_busy == busy);

  // The bucket refills with the engine's clock: half a second, part of the burst; a whole
  // second more, the whole burst (never more).
  sim.run_until(sim.now() + 500);
  const auto half = locate_flood(sim, holder, puller, id, 100);
  CHECK(half.ok > 0);
  CHECK(half.ok < per_burst);
  sim.run_until(sim.now() + 1000);
  CHECK(locate_flood(sim, holder, puller, id, 100).ok == per_burst);
  sim.run_until(sim.now() + 5000);
  CHECK(locate_flood(sim, holder, puller, id, 100).ok == per_burst);
}

TEST_CASE("a get told AGAIN by every holder asks again and completes and an honest get is not held up") {
  SimCluster sim({.nodes = 6, .cfg = locate_limits_config()});
  const auto data = bytes_of(128 * 1024, 32);
  const Hash id = stored(sim, data, 30000);
  const auto h = holders(sim, id);
  const std::size_t puller = outside_of(h);
  std::size_t honest = puller + 1;
  while (std::find(h.begin(), h.end(), honest) != h.end()) ++honest;
  REQUIRE(honest < sim.size());
  // The puller spent its serve rate at every holder on manifests.
  for (const auto i : h) REQUIRE(locate_flood(sim, i, sim.id(puller), id, 50).again > 0);

  std::vector<LocatedSeen> seen{{puller, 77}, {honest, 78}};
  count_located(sim, seen);
  sim.act(puller, [&](Engine& e, Output& out) { e.get(77, id, everyone(sim), false, sim.now(), out); });
  sim.act(honest, [&](Engine& e, Output& out) { e.get(78, id, everyone(sim), false, sim.now(), out); });
  std::optional<Event> got_puller, got_honest;
  for (int i = 0; i < 1000 && !(got_puller && got_honest); ++i) {
    sim.run_until(sim.now() + 50);
    for (auto& [n, ev] : sim.take_events()) {
      if (ev.kind != EventKind::GetDone) continue;
      if (n == puller && ev.ticket == 77) got_puller = std::move(ev);
      if (n == honest && ev.ticket == 78) got_honest = std::move(ev);
    }
  }
  sim.on_send = nullptr;
  REQUIRE(got_honest);
  INFO(got_honest->message);
  CHECK(got_honest->status == BUTTER_OK);
  CHECK(got_honest->data == data);
  CHECK(seen[1].ok >= 1);
  CHECK(seen[1].again == 0);  // its own bucket was full
  REQUIRE(got_puller);
  INFO(got_puller->message);
  CHECK(got_puller->status == BUTTER_OK);
  CHECK(got_puller->data == data);
  CHECK(seen[0].again > 0);  // it was told "busy" first ...
  CHECK(seen[0].ok >= 1);    // ... and answered once its bucket refilled
}

TEST_CASE("a streamed read told AGAIN by every holder asks again and completes") {
  SimCluster sim({.nodes = 6, .cfg = locate_limits_config()});
  const auto data = bytes_of(128 * 1024, 33);
  const Hash id = stored(sim, data, 30000);
  const auto h = holders(sim, id);
  const std::size_t reader = outside_of(h);
  for (const auto i : h) REQUIRE(locate_flood(sim, i, sim.id(reader), id, 50).again > 0);

  std::vector<LocatedSeen> seen{{reader, 90}};
  count_located(sim, seen);
  constexpr std::uint32_t kWindow = 8;
  sim.act(reader, [&](Engine& e, Output& out) {
    std::string why;
    REQUIRE(e.stream_open(90, id, 0, UINT64_MAX, kWindow, everyone(sim), false, sim.now(), out, why) == BUTTER_OK);
    e.stream_credit(90, kWindow);
    e.stream_pump(90, sim.now(), out);
  });
  std::vector<std::uint8_t> got;
  std::optional<Event> end;
  for (int i = 0; i < 4000 && !end; ++i) {
    sim.run_until(sim.now() + 5);
    std::uint32_t consumed = 0;
    for (auto& [n, ev] : sim.take_events()) {
      if (n != reader || ev.ticket != 90) continue;
      if (ev.kind == EventKind::StreamChunk) {
        got.insert(got.end(), ev.data.begin(), ev.data.end());
        ++consumed;
      } else if (ev.kind == EventKind::StreamDone) {
        end = std::move(ev);
      }
    }
    if (!end && consumed)
      sim.act(reader, [&](Engine& e, Output& out) {
        e.stream_credit(90, consumed);
        e.stream_pump(90, sim.now(), out);
      });
  }
  sim.on_send = nullptr;
  REQUIRE(end);
  INFO(end->message);
  CHECK(end->status == BUTTER_OK);
  CHECK(got == data);
  CHECK(seen[0].again > 0);  // told "busy" first ...
  CHECK(seen[0].ok >= 1);    // ... and answered once its bucket refilled
}

TEST_CASE("views sent back to a non-member are charged to its serve rate") {
  const Config cfg = locate_limits_config();
  SimCluster sim({.nodes = 6, .cfg = cfg});
  const Hash id = stored(sim, bytes_of(8 * 1024, 34), 30000);
  const std::size_t holder = holders(sim, id)[0];
  Engine& e = sim.engine(holder);
  const Hash stranger = sha256("view puller");
  // Each view sent back names the 3 members, whatever the one sent names.
  View stale;
  stale.add(Member{stranger, {}});
  View other;  // a retiring holder's view: the group without it
  other.add(Member{sha256("someone else"), {}});
  std::map<MsgType, std::size_t> answered;
  const auto flood = [&](const Message& m, std::size_t n) {
    answered.clear();
    sim.act(holder, [&](Engine& en, Output& out) {
      for (std::size_t i = 0; i < n; ++i) en.on_message(stranger, encode(m), sim.now(), out);
      for (const auto& snd : out.sends)
        if (snd.to == stranger) ++answered[snd.type];
    });
  };
  // An outdated VIEW is told the current view ...
  Message vu;
  vu.type = MsgType::ViewUpdate;
  vu.object = id;
  vu.view = stale;
  Message back;
  back.type = MsgType::ViewUpdate;
  back.object = id;
  back.view = *e.view_of(id);
  const std::size_t per_burst = cfg.serve_bytes_per_s / encoded_size(back);
  REQUIRE(per_burst >= 4);
  REQUIRE(per_burst < 1000);
  flood(vu, 1000);
  CHECK(answered[MsgType::ViewUpdate] == per_burst);
  CHECK(e.stats().view_replies_busy == 1000 - per_burst);
  // ... and so is a heartbeat entry of a retiring holder, from the same bucket: spent.
  Message hb;
  hb.type = MsgType::Heartbeat;
  hb.entries.push_back(HeartbeatEntry{id, true, other});
  flood(hb, 100);
  CHECK(answered[MsgType::Heartbeat] == 0);
  CHECK(e.stats().view_replies_busy == 1000 - per_burst + 100);
  // The bucket refills with the engine's clock.
  sim.run_until(sim.now() + 1000);
  flood(hb, 1000);
  CHECK(answered[MsgType::Heartbeat] > 0);
  CHECK(answered[MsgType::Heartbeat] < 1000);
}
