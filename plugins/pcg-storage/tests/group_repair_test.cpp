// The leader's repair (group_repair.hpp) without an engine: a fake node names the candidates, who
// is suspected or cooling down, and records what is sent. A leader replaces members gone silent
// with candidates not cooling down (a new view to the old members, a RECRUIT to each new one), a
// member that does not lead only moves the group's repair time on, and nothing happens before it.
#include "group_repair.hpp"
#include "sim_helpers.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace butter::pcg;
using namespace butter::pcg::test;

namespace {

struct RepairTestNode final : RepairNode {
  Hash self{};
  std::vector<Candidate> offered;
  std::set<Hash> silent_ids, cooling_ids;
  std::vector<std::pair<Hash, Message>> sent;  // (to, message), in order sent; never to itself
  std::vector<Hash> learnt;
  std::size_t departures_noted = 0;
  std::vector<Candidate> candidates(std::size_t k) override {
    std::vector<Candidate> out = offered;
    if (out.size() > k) out.resize(k);
    return out;
  }
  std::string observed_address(const Hash&) override { return {}; }
  bool suspected(const Group&, const Hash& m, std::uint64_t) const override { return silent_ids.count(m) != 0; }
  bool cooling(const Hash& id) const override { return cooling_ids.count(id) != 0; }
  void learn(const Candidate& c) override { learnt.push_back(c.id); }
  void send(Output&, const Hash& to, const Message& m) override {
    if (to != self) sent.emplace_back(to, m);
  }
  void note_departures(Group&, const View&, std::uint64_t) override { ++departures_noted; }
  std::vector<Hash> sent_of(MsgType type) const {
    std::vector<Hash> to;
    for (const auto& [t, m] : sent)
      if (m.type == type) to.push_back(t);
    return to;
  }
};

Hash repair_test_id(std::uint8_t n) {
  Hash h{};
  h[0] = n;
  return h;
}

// A complete copy of a small object whose group is `members`, all heard and joined at 0.
Group repair_test_group(std::initializer_list<Hash> members) {
  std::string why;
  auto obj = split(bytes_of(2048, 3), 1024, {}, why);
  REQUIRE(obj);
  Group g;
  g.id = obj->id;
  g.manifest = obj->manifest;
  g.manifest_bytes = obj->manifest_bytes;
  g.data.hold_all(obj->blocks);
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

TEST_CASE("group repair: the leader replaces silent members with candidates not cooling down") {
  const Config cfg = test_config();  // r = 3
  const Hash self = repair_test_id(1), a = repair_test_id(2), b = repair_test_id(3);
  const Hash c1 = repair_test_id(4), c2 = repair_test_id(5), cool = repair_test_id(6);
  RepairTestNode node;
  node.self = self;
  node.offered = {Candidate{cool, {}, -1}, Candidate{c1, {}, -1}, Candidate{a, {}, -1}, Candidate{c2, {}, -1}};
  node.silent_ids = {a, b};
  node.cooling_ids = {cool};
  Stats stats;
  GroupRepair repairs(self, cfg, stats, node);
  Group g = repair_test_group({self, a, b});
  Output out;
  const std::uint64_t now = 10 * cfg.heartbeat_ms;
  repairs.step(g, now, out);  // the only member not suspected leads
  CHECK(stats.repairs == 1);
  CHECK(g.view.version == 2);
  CHECK(g.view.contains(self));
  CHECK(g.view.contains(c1));
  CHECK(g.view.contains(c2));
  CHECK_FALSE(g.view.contains(a));
  CHECK_FALSE(g.view.contains(b));
  CHECK_FALSE(g.view.contains(cool));
  CHECK(node.departures_noted == 1);
  CHECK(g.next_repair == now + cfg.heartbeat_ms / 2);
  // The removed learn they are out; the recruits get the manifest and this node as the sponsor.
  CHECK(node.sent_of(MsgType::ViewUpdate) == std::vector<Hash>{a, b});
  auto recruited = node.sent_of(MsgType::Recruit);
  std::sort(recruited.begin(), recruited.end());
  CHECK(recruited == std::vector<Hash>{c1, c2});
  for (const auto& [to, m] : node.sent) {
    if (m.type != MsgType::Recruit) continue;
    CHECK(m.manifest == g.manifest_bytes);
    CHECK(m.view.version == 2);
    REQUIRE(m.sponsor);
    CHECK(*m.sponsor == self);
    REQUIRE(g.member(to));
    CHECK(g.member(to)->recruited == now);
  }
  CHECK(stats.recruit_requests == 2);
  CHECK(std::find(node.learnt.begin(), node.learnt.end(), c1) != node.learnt.end());
  // Events: the view changed.
  REQUIRE(out.events.size() == 1);
  CHECK(out.events[0].kind == EventKind::ViewChanged);
}

TEST_CASE("group repair: a member that does not lead only moves the repair time on") {
  const Config cfg = test_config();
  const Hash x = repair_test_id(1), y = repair_test_id(2), z = repair_test_id(3);
  Group g = repair_test_group({x, y, z});
  const auto lead = leader(g.id, g.view, [](const Hash&) { return true; });
  REQUIRE(lead);
  const Hash self = *lead == x ? y : x;  // a member that is not the leader
  RepairTestNode node;
  node.self = self;
  node.offered = {Candidate{repair_test_id(9), {}, -1}};
  node.silent_ids = {z == *lead ? (self == x ? y : x) : z};  // a silent member that does not lead
  Stats stats;
  GroupRepair repairs(self, cfg, stats, node);
  g.next_repair = 100;
  Output out;
  repairs.step(g, 99, out);  // not yet time
  CHECK(g.next_repair == 100);
  repairs.step(g, 100, out);
  CHECK(g.next_repair == 100 + cfg.heartbeat_ms / 2);
  CHECK(stats.repairs == 0);
  CHECK(node.sent.empty());
  CHECK(g.view.version == 1);
  CHECK(out.events.empty());
}
