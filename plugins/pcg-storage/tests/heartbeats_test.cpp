// Heartbeat rounds (heartbeats.hpp) without an engine: a fake node records the HEARTBEATs sent.
// One message per peer with an entry per group, more than a batch split over several messages,
// the next round an interval later, and departed members probed ever more rarely, then forgotten.
#include "heartbeats.hpp"
#include "sim_helpers.hpp"

#include <catch2/catch.hpp>

using namespace butter::pcg;
using namespace butter::pcg::test;

namespace {

struct BeatsTestNode final : HeartbeatNode {
  std::vector<std::pair<Hash, Message>> sent;         // (to, message), in order sent
  std::uint64_t random() override { return 500000; }  // no jitter: rounds exactly heartbeat_ms apart
  void send(Output&, const Hash& to, const Message& m) override {
    REQUIRE(m.type == MsgType::Heartbeat);
    sent.emplace_back(to, m);
  }
  // Entries sent to `to`, over all its messages.
  std::size_t entries_to(const Hash& to) const {
    std::size_t n = 0;
    for (const auto& [t, m] : sent)
      if (t == to) n += m.entries.size();
    return n;
  }
};

Hash beats_test_id(std::uint8_t n, std::uint8_t high = 0) {
  Hash h{};
  h[0] = n;
  h[1] = high;
  return h;
}

Group beats_test_group(const Hash& id, std::initializer_list<Hash> members) {
  Group g;
  g.id = id;
  g.view.version = 1;
  for (const auto& m : members) g.view.add(Member{m, {}});
  return g;
}

}  // namespace

TEST_CASE("heartbeats: one message per peer with an entry per group and the next round an interval later") {
  const Config cfg = test_config();
  BeatsTestNode node;
  const Hash self = beats_test_id(1), a = beats_test_id(2), b = beats_test_id(3);
  Heartbeats beats(self, cfg, node);
  std::map<Hash, Group> groups;
  const Hash x = beats_test_id(10, 1), y = beats_test_id(11, 1);
  groups.emplace(x, beats_test_group(x, {self, a, b}));
  groups.emplace(y, beats_test_group(y, {self, a}));
  groups.at(y).complete = true;
  Output out;
  CHECK(beats.due(0));
  beats.round(groups, 0, out);
  REQUIRE(node.sent.size() == 2);  // a and b; never itself
  CHECK(node.sent[0].first == a);
  REQUIRE(node.sent[0].second.entries.size() == 2);
  CHECK(node.sent[0].second.entries[0].object == x);
  CHECK_FALSE(node.sent[0].second.entries[0].complete);
  CHECK(node.sent[0].second.entries[1].object == y);
  CHECK(node.sent[0].second.entries[1].complete);
  CHECK(node.sent[0].second.entries[1].view.size() == 2);
  CHECK(node.sent[1].first == b);
  CHECK(node.sent[1].second.entries.size() == 1);
  CHECK_FALSE(beats.due(cfg.heartbeat_ms - 1));
  CHECK(beats.due(cfg.heartbeat_ms));
}

TEST_CASE("heartbeats: more entries for one peer than a batch go in several messages") {
  const Config cfg = test_config();
  BeatsTestNode node;
  const Hash self = beats_test_id(1), a = beats_test_id(2);
  Heartbeats beats(self, cfg, node);
  std::map<Hash, Group> groups;
  for (std::size_t i = 0; i < Heartbeats::kBatch + 1; ++i) {
    const Hash id = beats_test_id(static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(1 + i / 256));
    groups.emplace(id, beats_test_group(id, {self, a}));
  }
  REQUIRE(groups.size() == Heartbeats::kBatch + 1);
  Output out;
  beats.round(groups, 0, out);
  REQUIRE(node.sent.size() == 2);
  CHECK(node.sent[0].second.entries.size() == Heartbeats::kBatch);
  CHECK(node.sent[1].second.entries.size() == 1);
  CHECK(node.entries_to(a) == Heartbeats::kBatch + 1);
}

TEST_CASE("heartbeats: departed members are probed ever more rarely and then forgotten") {
  Config cfg = test_config();
  cfg.departed_ms = 10 * cfg.heartbeat_ms;
  BeatsTestNode node;
  const Hash self = beats_test_id(1), a = beats_test_id(2), b = beats_test_id(3);
  Heartbeats beats(self, cfg, node);
  std::map<Hash, Group> groups;
  const Hash x = beats_test_id(10, 1);
  Group& g = groups.emplace(x, beats_test_group(x, {self, a})).first->second;
  const View old = beats_test_group(x, {self, a, b}).view;
  beats.note_departures(g, old, 0);
  REQUIRE(g.departed.size() == 1);  // b; not a (still a member) nor this node
  REQUIRE(g.departed.count(b) == 1);
  const std::uint64_t hb = cfg.heartbeat_ms;
  Output out;
  std::vector<std::uint64_t> probes;
  for (std::uint64_t t = 0; t <= 12 * hb; t += hb) {
    node.sent.clear();
    beats.round(groups, t, out);
    CHECK(node.entries_to(a) == 1);
    if (node.entries_to(b)) probes.push_back(t);
  }
  // First after two heartbeats, then the interval doubles; none from departed_ms on.
  CHECK(probes == std::vector<std::uint64_t>{2 * hb, 6 * hb});
  CHECK(g.departed.empty());
  // A departed member that is back in the view is no longer departed.
  beats.note_departures(g, old, 13 * hb);
  REQUIRE(g.departed.count(b) == 1);
  const View before = g.view;
  g.view.add(Member{b, {}});
  beats.note_departures(g, before, 14 * hb);
  CHECK(g.departed.empty());
}
