// Gets (gets.hpp) without an engine: a fake node records the LOCATEs and FETCHes sent and the
// addresses learnt. A get located by a candidate's answer fetches from the members it names and
// assembles the object; one nobody locates ends NOT_FOUND (only once no more candidates are
// coming); a holder that answers AGAIN (busy) is asked again; a member filling its own copy
// fetches without asking; answers for nobody are left to the caller; and a bad manifest is
// counted.
#include "gets.hpp"
#include "sim_helpers.hpp"
#include "sources.hpp"

#include <catch2/catch.hpp>

using namespace butter::pcg;
using namespace butter::pcg::test;

namespace {

struct GetsTestNode final : GetNode {
  Config cfg = test_config();
  std::vector<std::pair<Hash, Message>> sent;  // (to, message), in order sent
  std::vector<Hash> learnt;                    // ids whose endpoints were noted
  std::size_t bad_blocks = 0;
  std::uint64_t random() override { return 0; }
  void send(Output&, const Hash& to, const Message& m) override { sent.emplace_back(to, m); }
  const Config& config() const override { return cfg; }
  void count_bad_block() override { ++bad_blocks; }
  void learn(const View& v) override {
    for (const auto& m : v.members) learnt.push_back(m.id);
  }
  void learn(const Candidate& c) override { learnt.push_back(c.id); }
  std::vector<std::pair<Hash, Message>> take_sent(MsgType type) {
    std::vector<std::pair<Hash, Message>> out, rest;
    for (auto& s : sent) (s.second.type == type ? out : rest).push_back(std::move(s));
    sent = std::move(rest);
    return out;
  }
};

Hash gets_test_node_id(std::uint8_t n) {
  Hash h{};
  h[0] = n;
  return h;
}

SplitObject gets_test_object(std::size_t blocks) {
  std::string why;
  auto obj = split(bytes_of(blocks * 1024, 11), 1024, {}, why);
  REQUIRE(obj);
  REQUIRE(obj->blocks.size() == blocks);
  return std::move(*obj);
}

Message gets_test_located(const SplitObject& obj, std::uint64_t ticket, const View& view) {
  Message m;
  m.type = MsgType::Located;
  m.object = obj.id;
  m.number = ticket;
  m.status = BUTTER_OK;
  m.view = view;
  m.manifest = obj.manifest_bytes;
  return m;
}

Message gets_test_block(const SplitObject& obj, std::uint32_t i) {
  Message m;
  m.type = MsgType::Block;
  m.object = obj.id;
  m.index = i;
  m.status = BUTTER_OK;
  m.data = obj.blocks[i];
  return m;
}

std::vector<std::uint8_t> gets_test_bytes(const SplitObject& obj) {
  std::vector<std::uint8_t> all;
  for (const auto& b : obj.blocks) all.insert(all.end(), b.begin(), b.end());
  return all;
}

}  // namespace

TEST_CASE("gets: located by a candidate then fetched from the members it names and assembled once") {
  const auto obj = gets_test_object(3);
  GetsTestNode node;
  Stats stats;
  const Hash self = gets_test_node_id(9), a = gets_test_node_id(1), b = gets_test_node_id(2);
  Gets gets(self, node.cfg, stats, node);
  Output out;
  // Itself and a repeated candidate are not asked.
  gets.start(7, obj.id, nullptr, {Candidate{a, {}, -1}, Candidate{self, {}, -1}, Candidate{a, {}, -1}}, false,
             kAnyGetSize, 0, out);
  CHECK(gets.pending(7));
  auto locates = node.take_sent(MsgType::Locate);
  REQUIRE(locates.size() == 1);
  CHECK(locates[0].first == a);
  CHECK(locates[0].second.object == obj.id);
  CHECK(locates[0].second.number == 7);
  CHECK(out.events.empty());

  View v;
  v.version = 1;
  v.add(Member{a, {}});
  v.add(Member{b, {}});
  CHECK(gets.on_located(a, gets_test_located(obj, 7, v), 10, out));
  CHECK(std::find(node.learnt.begin(), node.learnt.end(), b) != node.learnt.end());
  auto fetches = node.take_sent(MsgType::Fetch);
  REQUIRE(fetches.size() == 3);  // within the window of 4
  for (const auto& [to, m] : fetches) {
    CHECK((to == a || to == b));
    CHECK(out.events.empty());
    CHECK(gets.on_block(to, gets_test_block(obj, m.index), 20, out));
  }
  REQUIRE(out.events.size() == 1);
  const Event& done = out.events[0];
  CHECK(done.kind == EventKind::GetDone);
  CHECK(done.ticket == 7);
  CHECK(done.status == BUTTER_OK);
  CHECK(done.object == obj.id);
  CHECK(done.data == gets_test_bytes(obj));
  CHECK_FALSE(gets.pending(7));
  CHECK(node.bad_blocks == 0);
  CHECK(stats.bad_messages == 0);
}

TEST_CASE("gets: nobody locates it: NOT_FOUND once the candidates time out and no more are coming") {
  const auto obj = gets_test_object(1);
  GetsTestNode node;
  Stats stats;
  const Hash a = gets_test_node_id(1), b = gets_test_node_id(2);
  Gets gets(gets_test_node_id(9), node.cfg, stats, node);
  Output out;
  gets.start(3, obj.id, nullptr, {Candidate{a, {}, -1}}, true, kAnyGetSize, 0, out);
  // A's LOCATE times out, but more candidates are coming: the get waits for them.
  gets.tick(node.cfg.request_timeout_ms, out);
  CHECK(gets.pending(3));
  CHECK(out.events.empty());
  // B answers it does not hold the object; no more candidates come.
  gets.add_candidates(3, {Candidate{b, {}, -1}}, false, node.cfg.request_timeout_ms + 1, out);
  REQUIRE(node.take_sent(MsgType::Locate).size() == 2);
  Message no;
  no.type = MsgType::Located;
  no.object = obj.id;
  no.number = 3;
  no.status = BUTTER_E_NOT_FOUND;
  CHECK(gets.on_located(b, no, node.cfg.request_timeout_ms + 2, out));
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].kind == EventKind::GetDone);
  CHECK(out.events[0].ticket == 3);
  CHECK(out.events[0].status == BUTTER_E_NOT_FOUND);
  CHECK(out.events[0].message == "no reachable node holds the object");
  CHECK_FALSE(gets.pending(3));
  // Late answers for the ended get are nobody's.
  CHECK_FALSE(gets.on_located(b, no, node.cfg.request_timeout_ms + 3, out));
}

TEST_CASE("gets: a holder that answers AGAIN is asked again after a back-off and the get completes") {
  const auto obj = gets_test_object(2);
  GetsTestNode node;  // random() is 0: the back-off is a quarter of the request timeout exactly
  Stats stats;
  const Hash a = gets_test_node_id(1);
  Gets gets(gets_test_node_id(9), node.cfg, stats, node);
  Output out;
  gets.start(4, obj.id, nullptr, {Candidate{a, {}, -1}}, false, kAnyGetSize, 0, out);
  REQUIRE(node.take_sent(MsgType::Locate).size() == 1);
  // A is over this node's serve rate there: busy, which says nothing of whether it holds it.
  Message busy;
  busy.type = MsgType::Located;
  busy.object = obj.id;
  busy.number = 4;
  busy.status = BUTTER_E_AGAIN;
  CHECK(gets.on_located(a, busy, 10, out));
  CHECK(gets.pending(4));
  CHECK(out.events.empty());
  const std::uint64_t wait = node.cfg.request_timeout_ms / 4;
  gets.tick(10 + wait - 1, out);
  CHECK(node.take_sent(MsgType::Locate).empty());
  gets.tick(10 + wait, out);
  auto again = node.take_sent(MsgType::Locate);
  REQUIRE(again.size() == 1);
  CHECK(again[0].first == a);
  CHECK(again[0].second.number == 4);
  // Answered this time: the get goes on as any other.
  View v;
  v.version = 1;
  v.add(Member{a, {}});
  CHECK(gets.on_located(a, gets_test_located(obj, 4, v), 20 + wait, out));
  for (const auto& [to, m] : node.take_sent(MsgType::Fetch))
    CHECK(gets.on_block(to, gets_test_block(obj, m.index), 30 + wait, out));
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].status == BUTTER_OK);
  CHECK(out.events[0].data == gets_test_bytes(obj));
  // A holder busy until the get's deadline ends it there, timed out: busy is not "nobody holds it"
  // (NOT_FOUND would tell the caller not to try again).
  gets.start(5, obj.id, nullptr, {Candidate{a, {}, -1}}, false, kAnyGetSize, 1000, out);
  busy.number = 5;
  for (std::uint64_t t = 1000; gets.pending(5) && t <= 1000 + node.cfg.get_timeout_ms; t += wait) {
    for (const auto& [to, m] : node.take_sent(MsgType::Locate)) CHECK(gets.on_located(to, busy, t, out));
    gets.tick(t + wait, out);
  }
  CHECK_FALSE(gets.pending(5));
  REQUIRE(out.events.size() == 2);
  CHECK(out.events[1].ticket == 5);
  CHECK(out.events[1].status == BUTTER_E_TIMEOUT);
  CHECK(out.events[1].message == "not located in time: the nodes asked were busy or had not answered");
}

TEST_CASE("gets: a member filling its copy fetches from the group without asking and times out") {
  const auto obj = gets_test_object(2);
  GetsTestNode node;
  Stats stats;
  const Hash a = gets_test_node_id(1);
  Gets gets(gets_test_node_id(9), node.cfg, stats, node);
  Output out;
  const Gets::Located located{obj.manifest, {a}};
  gets.start(5, obj.id, &located, {Candidate{gets_test_node_id(2), {}, -1}}, false, kAnyGetSize, 0, out);
  CHECK(node.take_sent(MsgType::Locate).empty());
  auto fetches = node.take_sent(MsgType::Fetch);
  REQUIRE(fetches.size() == 2);
  CHECK(fetches[0].first == a);
  CHECK(gets.on_block(a, gets_test_block(obj, fetches[0].second.index), 10, out));
  CHECK(out.events.empty());
  gets.tick(node.cfg.get_timeout_ms, out);
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].ticket == 5);
  CHECK(out.events[0].status == BUTTER_E_TIMEOUT);
  CHECK(out.events[0].message == "the group did not deliver every block in time");
  CHECK_FALSE(gets.pending(5));
}

TEST_CASE("gets: answers nobody asked for are left to the caller and a bad manifest is counted") {
  const auto obj = gets_test_object(1);
  const auto other = gets_test_object(2);
  GetsTestNode node;
  Stats stats;
  const Hash a = gets_test_node_id(1);
  Gets gets(gets_test_node_id(9), node.cfg, stats, node);
  Output out;
  CHECK_FALSE(gets.on_located(a, gets_test_located(obj, 1, View{}), 0, out));
  CHECK_FALSE(gets.on_block(a, gets_test_block(obj, 0), 0, out));
  gets.start(1, obj.id, nullptr, {Candidate{a, {}, -1}}, false, kAnyGetSize, 0, out);
  node.sent.clear();
  // An answer numbered for the get but about another object: the get's, and stale.
  CHECK(gets.on_located(a, gets_test_located(other, 1, View{}), 1, out));
  CHECK(gets.pending(1));
  // A manifest that does not hash to the id is counted and does not locate the object.
  Message bad = gets_test_located(obj, 1, View{});
  bad.manifest = other.manifest_bytes;
  CHECK(gets.on_located(a, bad, 2, out));
  CHECK(stats.bad_messages == 1);
  CHECK(node.take_sent(MsgType::Fetch).empty());
  // That was A's answer: nobody else is asked, so the get ends NOT_FOUND.
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].status == BUTTER_E_NOT_FOUND);
}

TEST_CASE("gets: a flood of candidates is asked LOCATE at most kMaxLocateAsks times") {
  // Candidates come from search hits, which any peer can claim: one get asks and remembers a
  // bounded number of them, however many arrive.
  const auto obj = gets_test_object(1);
  GetsTestNode node;
  Stats stats;
  Gets gets(gets_test_node_id(0), node.cfg, stats, node);
  Output out;
  std::vector<Candidate> flood;
  for (std::size_t i = 0; i < 3 * kMaxLocateAsks; ++i) {
    Hash h{};
    h[0] = 1;
    h[1] = static_cast<std::uint8_t>(i);
    h[2] = static_cast<std::uint8_t>(i >> 8);
    flood.push_back(Candidate{h, {}, -1});
  }
  gets.start(4, obj.id, nullptr, {flood.begin(), flood.begin() + 10}, true, kAnyGetSize, 0, out);
  CHECK(node.take_sent(MsgType::Locate).size() == 10);
  gets.add_candidates(4, flood, true, 1, out);
  CHECK(node.take_sent(MsgType::Locate).size() == kMaxLocateAsks - 10);  // the first ten are not asked twice
  gets.add_candidates(4, flood, true, 2, out);
  CHECK(node.take_sent(MsgType::Locate).empty());
  CHECK(gets.pending(4));
}

TEST_CASE("gets: an object larger than the get may return fails NOMEM on its manifest and nothing is fetched") {
  // A get answers with the whole object (on the events bus: at most 64 KiB), and a manifest may
  // describe 64 GiB: the get ends as soon as the verified manifest gives the size, not after
  // fetching the object into memory to find it cannot be returned.
  const auto obj = gets_test_object(3);  // 3072 bytes
  GetsTestNode node;
  Stats stats;
  const Hash a = gets_test_node_id(1);
  Gets gets(gets_test_node_id(9), node.cfg, stats, node);
  Output out;
  View v;
  v.version = 1;
  v.add(Member{a, {}});
  gets.start(2, obj.id, nullptr, {Candidate{a, {}, -1}}, false, 3071, 0, out);
  REQUIRE(node.take_sent(MsgType::Locate).size() == 1);
  CHECK(gets.on_located(a, gets_test_located(obj, 2, v), 1, out));
  CHECK(node.take_sent(MsgType::Fetch).empty());
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].status == BUTTER_E_NOMEM);
  CHECK(out.events[0].data.empty());
  CHECK(out.events[0].message == too_large_for_get(3072, 3071));
  CHECK(out.events[0].message.find("butter.storage/3 open_read") != std::string::npos);
  CHECK_FALSE(gets.pending(2));
  CHECK(stats.gets_too_large == 1);

  // Exactly the limit is fetched; a member filling its own copy is held to the limit too.
  out.events.clear();
  gets.start(3, obj.id, nullptr, {Candidate{a, {}, -1}}, false, 3072, 0, out);
  CHECK(gets.on_located(a, gets_test_located(obj, 3, v), 1, out));
  CHECK(node.take_sent(MsgType::Fetch).size() == 3);
  CHECK(out.events.empty());
  const Gets::Located located{obj.manifest, {a}};
  gets.start(4, obj.id, &located, {}, false, 100, 0, out);
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].ticket == 4);
  CHECK(out.events[0].status == BUTTER_E_NOMEM);
  CHECK(stats.gets_too_large == 2);
}

TEST_CASE("gets: only the members a get will ask are learnt from a LOCATED view") {
  // A view is written by its sender and names up to 64 ids with endpoints: noting them all let
  // any answer grow the node's address table by 64 made-up entries.
  const auto obj = gets_test_object(1);
  GetsTestNode node;
  Stats stats;
  const Hash a = gets_test_node_id(1);
  Gets gets(gets_test_node_id(9), node.cfg, stats, node);
  Output out;
  gets.start(6, obj.id, nullptr, {Candidate{a, {"tcp://127.0.0.1:1"}, -1}}, false, kAnyGetSize, 0, out);
  node.learnt.clear();
  View v;
  v.version = 1;
  for (std::uint8_t i = 10; i < 50; ++i) v.add(Member{gets_test_node_id(i), {"tcp://127.0.0.1:2"}});
  CHECK(gets.on_located(a, gets_test_located(obj, 6, v), 1, out));
  CHECK(node.learnt.size() <= node.cfg.r);
  CHECK_FALSE(node.learnt.empty());
  for (const auto& id : node.learnt) CHECK(id != gets_test_node_id(49));
}
