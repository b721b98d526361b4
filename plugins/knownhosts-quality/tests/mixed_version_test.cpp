// Mixed versions during a rolling upgrade (issue 15): a node of exchange version 2 and an old node
// that knows version 1 only must still learn each other, whichever of them starts; the table of
// version-1-only peers (PeerVersions) stays bounded.
//
// The old node. Today's engine with wire_version = 1 starts everything in version 1 but still
// decodes (and answers) a version-2 request, so it is not an old node by itself. An old node's
// decoders (before 6ab67e1) refuse any version byte but 1, before reading anything else: a
// /butter/pex/1 request gets BUTTER_E_INVALID "exchange version 2", a /butter/knownhosts/1
// request BUTTER_E_INVALID "unsupported version 2". Its exchange handler touches the sender's
// ledger entry and starts its 500 ms serve interval before decoding. OldNode models that
// faithfully: a request not of version 1 is handed to the engine with its version byte replaced
// by one no version knows (255), which takes the same path through today's handlers (ledger
// touched, serve interval started, E_INVALID from the version check), and the reason is reported
// with the version that was sent, as the old decoder wrote it.
#include "membership_engine.hpp"
#include "record_fixtures.hpp"
#include "quality_message.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>

using namespace butter::knownhosts;
using namespace butter::knownhosts::test_fixtures;

// Named (the unit tests are built as one unity source: other files have helpers of these names).
namespace mixed_version_test {
namespace {

struct Net;

// One node's surroundings: connected to every other node of the Net; requests go into the Net's
// queue and their outcomes come back when the Net delivers them.
class LinkedEnv final : public MembershipEnv {
 public:
  LinkedEnv(Net& net, unsigned self) : net_(net), self_(self) {}
  std::uint64_t now_ms() override;
  std::uint64_t unix_ms() override { return kUnix + now_ms(); }
  std::vector<PeerLink> peers() override;
  ConnLimits conn_limits() override { return {8, 32, 1}; }
  std::vector<std::string> own_endpoints() override { return {endpoint_of(self_)}; }
  Quality own_quality() override { return {}; }
  bool can_sign() override { return true; }
  std::array<std::uint8_t, 32> public_key() override { return key_of(self_); }
  std::array<std::uint8_t, 64> sign(const std::vector<std::uint8_t>&) override { return {}; }
  bool verify(const PeerRecord&) override { return true; }
  bool send_probe(const std::string& id, const std::vector<std::uint8_t>& bytes, std::string&) override;
  bool send_exchange(const std::string& id, const std::vector<std::uint8_t>& bytes, bool want_neighbour,
                     std::string&) override;
  void protect(const std::string&) override {}
  void unprotect(const std::string&) override {}
  void schedule_exchange(std::uint64_t delay_ms) override { exchange_at = now_ms() + delay_ms; }
  void count(Metric m, std::uint64_t n) override { counted[static_cast<std::size_t>(m)] += n; }

  std::uint64_t exchange_at = UINT64_MAX;
  std::vector<std::uint8_t> exchange_versions_sent, probe_versions_sent;
  std::array<std::uint64_t, static_cast<std::size_t>(Metric::Count_)> counted{};
  std::uint64_t of(Metric m) const { return counted[static_cast<std::size_t>(m)]; }

 private:
  Net& net_;
  unsigned self_;
};

struct Node {
  std::unique_ptr<LinkedEnv> env;
  std::unique_ptr<MembershipEngine> engine;
  bool old = false;  // decodes version 1 only (see the top of this file)
  bool runs_timers = true;
};

struct Net {
  struct Request {
    unsigned from, to;
    bool exchange, want_neighbour;
    std::vector<std::uint8_t> bytes;
  };
  std::uint64_t now = 1000;
  std::deque<Request> queue;
  std::vector<Node> nodes;

  // Node i: version 2, or an old node (version 1 only).
  unsigned add(bool old) {
    const unsigned i = static_cast<unsigned>(nodes.size());
    Node n;
    n.env = std::make_unique<LinkedEnv>(*this, i);
    MembershipConfig cfg;
    if (old) cfg.wire_version = 1;
    n.engine = std::make_unique<MembershipEngine>(*n.env, id_of(i), cfg, 100 + i);
    n.old = old;
    nodes.push_back(std::move(n));
    return i;
  }
  MembershipEngine& engine(unsigned i) { return *nodes[i].engine; }
  LinkedEnv& env(unsigned i) { return *nodes[i].env; }
  // Node index of `id`, or nodes.size() when there is none.
  unsigned index_of(const std::string& id) const {
    unsigned i = 0;
    while (i < nodes.size() && id_of(i) != id) ++i;
    return i;
  }

  EngineReply answer(const Request& q) {
    Node& to = nodes[q.to];
    std::vector<std::uint8_t> bytes = q.bytes;
    const bool refused = to.old && !bytes.empty() && bytes[0] != 1;
    if (refused) bytes[0] = 255;  // the same path as the old decoder's version check
    const std::string from = id_of(q.from);
    EngineReply r = q.exchange
                        ? to.engine->handle_exchange(from, bytes.data(), bytes.size())
                        : to.engine->handle_quality_request(from, bytes.data(), bytes.size(), endpoint_of(q.from));
    if (refused) {
      REQUIRE(r.status == BUTTER_E_INVALID);
      r.error = (q.exchange ? "exchange version " : "unsupported version ") + std::to_string(q.bytes[0]);
    }
    return r;
  }

  // Delivers every request queued (and those their outcomes send), answers at once.
  void deliver() {
    for (int guard = 0; !queue.empty(); ++guard) {
      REQUIRE(guard < 10000);
      const Request q = queue.front();
      queue.pop_front();
      const EngineReply r = answer(q);
      const bool ok = r.status == BUTTER_OK;
      const std::string error = ok ? std::string() : (r.error.empty() ? std::string("error") : r.error);
      const std::string to = id_of(q.to);
      if (q.exchange) {
        engine(q.from).on_exchange_result(to, q.want_neighbour, ok, r.bytes.data(), r.bytes.size(), error);
      } else {
        engine(q.from).on_probe_result(to, ok, r.bytes.data(), r.bytes.size(), error);
      }
    }
  }

  // Virtual time up to `until`: each node's exchange timer fires when due (nodes whose timers are
  // stopped only answer), messages are delivered in between.
  void run_until(std::uint64_t until) {
    deliver();
    for (;;) {
      Node* next = nullptr;
      for (auto& n : nodes)
        if (n.runs_timers && n.env->exchange_at <= until && (!next || n.env->exchange_at < next->env->exchange_at))
          next = &n;
      if (!next) break;
      now = next->env->exchange_at;
      next->env->exchange_at = UINT64_MAX;
      next->engine->exchange_timer();
      deliver();
    }
    now = until;
  }
};

std::uint64_t LinkedEnv::now_ms() { return net_.now; }

std::vector<PeerLink> LinkedEnv::peers() {
  std::vector<PeerLink> out;
  for (unsigned i = 0; i < net_.nodes.size(); ++i)
    if (i != self_) out.push_back({id_of(i), endpoint_of(i), {endpoint_of(i)}});
  return out;
}

bool LinkedEnv::send_probe(const std::string& id, const std::vector<std::uint8_t>& bytes, std::string& error) {
  probe_versions_sent.push_back(bytes.empty() ? 0 : bytes[0]);
  const unsigned to = net_.index_of(id);
  if (to == net_.nodes.size()) {
    error = "no such node";
    return false;
  }
  net_.queue.push_back({self_, to, false, false, bytes});
  return true;
}

bool LinkedEnv::send_exchange(const std::string& id, const std::vector<std::uint8_t>& bytes, bool want_neighbour,
                              std::string& error) {
  exchange_versions_sent.push_back(bytes.empty() ? 0 : bytes[0]);
  const unsigned to = net_.index_of(id);
  if (to == net_.nodes.size()) {
    error = "no such node";
    return false;
  }
  net_.queue.push_back({self_, to, true, want_neighbour, bytes});
  return true;
}

bool knows_record(MembershipEngine& e, unsigned i) { return e.records().find(id_of(i)) != nullptr; }

}  // namespace

TEST_CASE(
    "Mixed versions: the old-node model refuses version 2 as the old decoders did, and today's decoders still take "
    "it") {
  Net net;
  const unsigned fresh = net.add(false), old = net.add(true);
  Exchange e;
  e.records.push_back(record_of(7).encode());
  const auto v2 = encode_exchange(e);
  const EngineReply refused = net.answer({fresh, old, true, false, v2});
  CHECK(refused.status == BUTTER_E_INVALID);
  CHECK(refused.error == kExchangeRefusesV2);
  CHECK_FALSE(knows_record(net.engine(old), 7));  // nothing of the request was taken
  QualityRequest q;
  q.endpoints = {endpoint_of(fresh)};
  const EngineReply probe = net.answer({fresh, old, false, false, encode_request(q)});
  CHECK(probe.status == BUTTER_E_INVALID);
  CHECK(probe.error == kQualityRefusesV2);
  // A node of today answers the same requests.
  net.now += 1000;
  CHECK(net.answer({old, fresh, true, false, v2}).status == BUTTER_OK);
  CHECK(net.answer({old, fresh, false, false, encode_request(q)}).status == BUTTER_OK);
}

TEST_CASE(
    "Mixed versions: a new node that starts an exchange with an old node falls back to version 1 and both learn") {
  Net net;
  const unsigned fresh = net.add(false), old = net.add(true);
  net.nodes[old].runs_timers = false;  // the old node only answers: the new one starts everything
  net.engine(fresh).start();
  net.engine(old).start();
  // The new node heard of the old one from its connection only (no HELLO endpoints, so no probe
  // first): its first exchange goes in version 2.
  net.engine(fresh).on_peer_up(id_of(old), nullptr);
  const std::uint64_t t0 = net.now;
  net.run_until(t0 + 1000);
  LinkedEnv& env = net.env(fresh);
  REQUIRE(env.exchange_versions_sent.size() >= 1);
  CHECK(env.exchange_versions_sent[0] == kExchangeV2);
  CHECK(net.engine(fresh).peer_versions().v1_only(id_of(old), net.now));
  CHECK(env.of(Metric::V1Fallbacks) == 1);

  // The retry goes in version 1 once the old node serves this peer again (500 ms), and is answered.
  net.run_until(t0 + 3000);
  REQUIRE(env.exchange_versions_sent.size() >= 2);
  CHECK(env.exchange_versions_sent[1] == kExchangeV1);
  CHECK(net.env(old).of(Metric::ExchangesShed) == 0);
  CHECK(knows_record(net.engine(fresh), old));
  CHECK(knows_record(net.engine(old), fresh));
  CHECK(net.engine(fresh).cache().find(id_of(old)) != nullptr);
  CHECK(net.engine(old).cache().find(id_of(fresh)) != nullptr);

  // It keeps talking version 1 to it: every later exchange and probe, no more refusals.
  const std::size_t sent = env.exchange_versions_sent.size();
  net.engine(fresh).refresh();  // probes the old node (connected)
  net.run_until(t0 + 200'000);
  REQUIRE(env.exchange_versions_sent.size() > sent);
  for (std::size_t i = 1; i < env.exchange_versions_sent.size(); ++i)
    CHECK(env.exchange_versions_sent[i] == kExchangeV1);
  REQUIRE_FALSE(env.probe_versions_sent.empty());
  for (auto v : env.probe_versions_sent) CHECK(v == kQualityV1);
  CHECK(env.of(Metric::V1Fallbacks) == 1);
  CHECK(net.env(old).of(Metric::Malformed) == 1);  // the one refused request
}

TEST_CASE("Mixed versions: a new node's neighbour ask refused in version 2 is retried in version 1 and accepted") {
  Net net;
  const unsigned fresh = net.add(false), old = net.add(true);
  net.nodes[old].runs_timers = false;
  net.engine(fresh).start();
  net.engine(old).start();
  // Known from its record only: the neighbour check dials it (an exchange asking to be neighbours).
  net.engine(fresh).restore(record_of(old));
  net.engine(fresh).neighbour_tick();
  REQUIRE(net.env(fresh).exchange_versions_sent.size() == 1);
  CHECK(net.env(fresh).exchange_versions_sent[0] == kExchangeV2);
  net.deliver();
  CHECK(net.engine(fresh).neighbours().is_dialing(id_of(old)));  // not failed: the retry is pending
  CHECK_FALSE(net.engine(fresh).neighbours().is_neighbour(id_of(old)));
  net.run_until(net.now + 2000);
  CHECK(net.engine(fresh).neighbours().is_neighbour(id_of(old)));
  CHECK(net.engine(old).neighbours().is_neighbour(id_of(fresh)));
  CHECK(knows_record(net.engine(old), fresh));
}

TEST_CASE(
    "Mixed versions: a new node's probe refused in version 2 is asked again in version 1 at once, not counted as a "
    "failure") {
  Net net;
  const unsigned fresh = net.add(false), old = net.add(true);
  net.engine(fresh).start();
  REQUIRE(net.engine(fresh).add_candidate(id_of(old), {endpoint_of(old)}, "test") == BUTTER_OK);
  net.deliver();
  const auto& sent = net.env(fresh).probe_versions_sent;
  REQUIRE(sent.size() == 2);
  CHECK(sent[0] == kQualityV2);
  CHECK(sent[1] == kQualityV1);
  const HostEntry* h = net.engine(fresh).cache().find(id_of(old));
  REQUIRE(h != nullptr);
  CHECK(h->quality_known);
  CHECK(h->failures == 0);
  // The probe told the old node about us (the request carries our quality and endpoints).
  CHECK(net.engine(old).cache().find(id_of(fresh)) != nullptr);
}

TEST_CASE("Mixed versions: an old node that starts the exchange is answered in version 1 and both learn") {
  Net net;
  const unsigned fresh = net.add(false), old = net.add(true);
  net.nodes[fresh].runs_timers = false;  // the new node only answers
  net.engine(fresh).start();
  net.engine(old).start();
  net.engine(old).on_peer_up(id_of(fresh), nullptr);
  net.run_until(net.now + 3000);
  REQUIRE_FALSE(net.env(old).exchange_versions_sent.empty());
  CHECK(net.env(old).exchange_versions_sent[0] == kExchangeV1);
  CHECK(net.env(fresh).of(Metric::Malformed) == 0);
  CHECK(knows_record(net.engine(fresh), old));
  CHECK(knows_record(net.engine(old), fresh));
}

TEST_CASE(
    "Mixed versions: a peer marked version-1-only that sends a version-2 request is talked to in version 2 again") {
  Net net;
  const unsigned fresh = net.add(false), old = net.add(true);
  net.nodes[old].runs_timers = false;
  net.engine(fresh).start();
  net.engine(fresh).on_peer_up(id_of(old), nullptr);
  net.run_until(net.now + 3000);
  REQUIRE(net.engine(fresh).wire_version_for(id_of(old)) == kExchangeV1);

  // It is upgraded (and restarted): its next request to us is of version 2.
  net.nodes[old].old = false;
  Exchange e;
  e.records.push_back(record_of(old).encode());
  const auto bytes = encode_exchange(e);
  net.now += 1000;
  REQUIRE(net.engine(fresh).handle_exchange(id_of(old), bytes.data(), bytes.size()).status == BUTTER_OK);
  CHECK_FALSE(net.engine(fresh).peer_versions().v1_only(id_of(old), net.now));
  CHECK(net.engine(fresh).wire_version_for(id_of(old)) == kExchangeV2);
  const std::size_t before = net.env(fresh).exchange_versions_sent.size();
  net.run_until(net.now + 120'000);
  REQUIRE(net.env(fresh).exchange_versions_sent.size() > before);
  CHECK(net.env(fresh).exchange_versions_sent.back() == kExchangeV2);
  CHECK(net.env(fresh).of(Metric::V1Fallbacks) == 1);  // no new refusal
}

TEST_CASE("Mixed versions: a refusal from a peer already marked is an ordinary failure, not another retry") {
  Net net;
  const unsigned fresh = net.add(false);
  MembershipEngine& e = net.engine(fresh);
  e.start();
  e.on_exchange_result(id_of(9), false, false, nullptr, 0, kExchangeRefusesV2);
  CHECK(net.env(fresh).of(Metric::V1Fallbacks) == 1);
  // A peer that answers our version-1 retry with the same refusal (none honest does) gets no
  // endless retries.
  e.on_exchange_result(id_of(9), false, false, nullptr, 0, kExchangeRefusesV2);
  e.on_probe_result(id_of(9), false, nullptr, 0, kQualityRefusesV2);
  CHECK(net.env(fresh).of(Metric::V1Fallbacks) == 1);
  // Any other error says nothing about its version.
  e.on_exchange_result(id_of(10), false, false, nullptr, 0, "timed out");
  e.on_exchange_result(id_of(11), false, false, nullptr, 0, "exchange version 3");
  CHECK_FALSE(e.peer_versions().v1_only(id_of(10), net.now));
  CHECK_FALSE(e.peer_versions().v1_only(id_of(11), net.now));
}

TEST_CASE("Mixed versions: the table of version-1-only peers stays bounded whatever refuses us, and marks lapse") {
  Net net;
  const unsigned fresh = net.add(false);
  MembershipEngine& e = net.engine(fresh);
  e.start();
  const std::size_t max = e.peer_versions().limits().max_peers;
  for (unsigned i = 1; i <= 3 * max; ++i) {
    ++net.now;  // marks made at one ms would make room in id order, not age order
    e.on_exchange_result(id_of(1000 + i), i % 2 == 0, false, nullptr, 0, kExchangeRefusesV2);
    e.on_probe_result(id_of(100000 + i), false, nullptr, 0, kQualityRefusesV2);
    REQUIRE(e.peer_versions().size() <= max);
  }
  CHECK(e.peer_versions().size() == max);
  CHECK(e.peer_versions().v1_only(id_of(100000 + 3 * max), net.now));  // the newest are kept
  CHECK_FALSE(e.peer_versions().v1_only(id_of(1001), net.now));        // the oldest made room
  // Each lapses after expiry_ms: version 2 is tried again.
  net.now += e.peer_versions().limits().expiry_ms;
  CHECK_FALSE(e.peer_versions().v1_only(id_of(100000 + 3 * max), net.now));
  CHECK(e.wire_version_for(id_of(100000 + 3 * max)) == kExchangeV2);
}

TEST_CASE("PeerVersions: bounded, expiring, refreshed only while marked, upgraded by a version-2 request") {
  PeerVersions v(PeerVersions::Limits{4, 1000});
  for (unsigned i = 0; i < 10; ++i) v.mark_v1_only(id_of(i), 100 + i);
  CHECK(v.size() == 4);
  for (unsigned i = 0; i < 6; ++i) CHECK_FALSE(v.v1_only(id_of(i), 110));
  for (unsigned i = 6; i < 10; ++i) CHECK(v.v1_only(id_of(i), 110));
  // A version-1 request refreshes a mark, but makes none.
  v.refresh(id_of(6), 1000);
  v.refresh(id_of(42), 1000);
  CHECK_FALSE(v.v1_only(id_of(42), 1000));
  CHECK(v.v1_only(id_of(6), 1105));        // refreshed at 1000
  CHECK_FALSE(v.v1_only(id_of(7), 1107));  // marked at 107, lapsed at 1107
  // Lapsed marks go when the table is next written.
  v.mark_v1_only(id_of(20), 1200);
  CHECK(v.size() == 2);
  CHECK(v.upgrade(id_of(20)));
  CHECK_FALSE(v.upgrade(id_of(20)));
  CHECK_FALSE(v.v1_only(id_of(20), 1200));
  CHECK(v.size() == 1);
  PeerVersions none(PeerVersions::Limits{0, 1000});
  none.mark_v1_only(id_of(1), 0);
  CHECK(none.size() == 0);
}

}  // namespace mixed_version_test
