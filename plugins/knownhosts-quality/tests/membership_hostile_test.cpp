// The known-host cache and the MembershipEngine against hostile inputs that are well-formed: ids
// that claim the most a message carries, LAN beacons for unknown and restarted hosts, and a
// peer asking for our quality as fast as it can.
#include "membership_engine.hpp"
#include "quality_message.hpp"
#include "record_fixtures.hpp"
#include "serve_window.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace butter::knownhosts;
using namespace butter::knownhosts::test_fixtures;

namespace {

// A node with nothing connected that records what reaches its address book and subscribers.
class HostileTestEnv final : public MembershipEnv {
 public:
  std::uint64_t now = 1000;
  std::vector<std::pair<std::string, std::string>> addresses;  // (id, endpoint) given to add_address
  std::vector<std::pair<std::string, std::string>> published;  // (topic, id)
  std::uint64_t now_ms() override { return now; }
  std::uint64_t unix_ms() override { return kUnix + now; }
  std::vector<PeerLink> peers() override { return {}; }
  ConnLimits conn_limits() override { return {8, 32, 0}; }
  std::vector<std::string> own_endpoints() override { return {endpoint_of(0)}; }
  Quality own_quality() override { return {}; }
  bool can_sign() override { return true; }
  std::array<std::uint8_t, 32> public_key() override { return key_of(0); }
  std::array<std::uint8_t, 64> sign(const std::vector<std::uint8_t>&) override { return {}; }
  bool verify(const PeerRecord&) override { return true; }
  bool send_probe(const std::string&, const std::vector<std::uint8_t>&, std::string&) override { return true; }
  bool send_exchange(const std::string&, const std::vector<std::uint8_t>&, bool, std::string&) override { return true; }
  void protect(const std::string&) override {}
  void unprotect(const std::string&) override {}
  void schedule_exchange(std::uint64_t) override {}
  void add_address(const std::string& id, const std::string& endpoint) override {
    addresses.emplace_back(id, endpoint);
  }
  void publish(const char* topic, const std::string& id) override { published.emplace_back(topic, id); }
  bool gave_address(const std::string& id, const std::string& endpoint) const {
    return std::find(addresses.begin(), addresses.end(), std::make_pair(id, endpoint)) != addresses.end();
  }
};

// Node i asks `node` for its quality, claiming `q` and announcing `eps`, over a connection from
// `observed`.
EngineReply ask_quality(MembershipEngine& node, unsigned i, const Quality& q, const std::vector<std::string>& eps,
                        const std::string& observed) {
  QualityRequest r;
  r.quality = q;
  r.endpoints = eps;
  const auto bytes = encode_request(r);
  return node.handle_quality_request(id_of(i), bytes.data(), bytes.size(), observed);
}

constexpr std::uint64_t kHostileNowMs = 500'000'000;

std::string hex_id(int n) {
  std::string s = std::to_string(n);
  return std::string(64 - s.size(), '0') + s;
}

// Host n, watched answering from `address` for `observed_s` seconds up to kHostileNowMs, claiming `q`.
HostEntry answering(int n, const std::string& address, std::uint64_t observed_s, const Quality& q) {
  HostEntry h;
  h.id = hex_id(n);
  h.address = address;
  h.quality = q;
  h.first_seen_ms = kHostileNowMs - observed_s * 1000;
  h.last_seen_ms = kHostileNowMs;
  h.answers = 1;
  return h;
}

constexpr Quality kMostClaimed{~std::uint64_t{0}, ~std::uint64_t{0}, ~std::uint32_t{0}};

// 92 honest hosts, each on its own /24, watched for 10 min up to about a day, with modest claims:
// free storage varied, hosts known growing with uptime (a node up longer knows more); then 8
// sybils that answered for 61 s (long enough for their claims to count) claiming the most the
// wire carries, from `sybil_address(s)`.
template <class SybilAddress>
QualityCache with_claiming_sybils(SybilAddress sybil_address) {
  QualityCache c(200);
  for (int i = 0; i < 92; ++i) {
    const std::uint64_t observed_s = 600 + static_cast<std::uint64_t>(i) * 900;
    const Quality q{observed_s, (1 + static_cast<std::uint64_t>(i * 37 % 92)) << 30,
                    10u + static_cast<std::uint32_t>(i) * 10};
    REQUIRE(c.admit(answering(i, "198.18." + std::to_string(i) + ".1", observed_s, q)).outcome == Admission::Added);
  }
  for (int s = 0; s < 8; ++s)
    REQUIRE(c.admit(answering(1000 + s, sybil_address(s), 61, kMostClaimed)).outcome == Admission::Added);
  return c;
}

bool is_sybil(const HostEntry* h) { return h->id >= hex_id(1000); }

}  // namespace

TEST_CASE("QualityCache: 8 ids claiming 2^64 bytes free leave the honest hosts spread over the classes") {
  QualityCache c = with_claiming_sybils([](int s) { return "203.0.113." + std::to_string(1 + s / 2); });
  REQUIRE(c.size() == 100);
  std::size_t storage_high = 0, hosts_high = 0;
  for (int i = 0; i < 92; ++i) {
    const int cls = c.class_of(hex_id(i));
    storage_high += (cls & 2) != 0;
    hosts_high += (cls & 4) != 0;
  }
  // About the upper half of the population is high in each metric, the sybils among them (with
  // the mean, no honest host was: the sybils' claims put it above them all).
  CHECK(storage_high >= 35);
  CHECK(hosts_high >= 35);
  // Claims count up to plausible bounds.
  const Quality e = c.effective(*c.find(hex_id(1000)));
  CHECK(e.free_storage <= std::uint64_t{1} << 50);
  CHECK(e.hosts_known <= 200u * 8);
  CHECK(e.uptime_s == 61);  // as far as observed
}

TEST_CASE("QualityCache: a sample holds at most one host of a /24, however many ids it has") {
  QualityCache c = with_claiming_sybils([](int s) { return "203.0.113." + std::to_string(1 + s / 2); });
  std::mt19937_64 rng(3);
  std::size_t sybils = 0;
  for (int round = 0; round < 300; ++round) {
    const auto s = c.sample(16, rng);
    REQUIRE(s.size() == 16);
    std::set<std::string> networks;
    std::size_t in = 0;
    for (const HostEntry* h : s) {
      networks.insert(butter::network_key(h->address).prefix);
      in += is_sybil(h);
    }
    CHECK(networks.size() == 16);
    CHECK(in <= 1);
    sybils += in;
  }
  // Round-robin over the classes gave them about 5 of every 16.
  CHECK(sybils <= 300);
}

TEST_CASE("QualityCache: sybils on many /24s in a class of their own get samples in proportion to their number") {
  // Hosts known grows with uptime among the honest, so nobody honest has many hosts known and a
  // short uptime: the sybils' class is theirs alone.
  QualityCache c = with_claiming_sybils([](int s) { return "203.0." + std::to_string(s) + ".9"; });
  std::mt19937_64 rng(4);
  std::size_t sybils = 0;
  const int rounds = 500;
  for (int round = 0; round < rounds; ++round)
    for (const HostEntry* h : c.sample(16, rng)) sybils += is_sybil(h);
  // 8 of 100 hosts: 1.28 a sample on average (round-robin over the 5 classes: 3.2).
  CHECK(static_cast<double>(sybils) / rounds <= 1.6);
  CHECK(static_cast<double>(sybils) / rounds >= 0.9);
}

TEST_CASE("MembershipEngine: a beacon introduces an unknown id and moves a known host restarted elsewhere") {
  HostileTestEnv env;
  MembershipEngine node(env, id_of(0), MembershipConfig{}, 1);
  node.start();
  // An id nobody told us of is introduced with the beacon's endpoints (discovery works).
  REQUIRE(node.add_candidate(id_of(8), {endpoint_of(8)}, "multicast") == BUTTER_OK);
  CHECK(node.probation().count(id_of(8)));
  CHECK(env.gave_address(id_of(8), endpoint_of(8)));
  // Host 5 asked us for our quality: a member, with the endpoints it announced itself.
  REQUIRE(ask_quality(node, 5, {}, {endpoint_of(5)}, endpoint_of(5)).status == BUTTER_OK);
  REQUIRE(node.cache().find(id_of(5)));
  // Restarted on another port, its beacon says where: taken at once (the probe's handshake proves
  // the id there; a beacon naming junk only makes that probe fail, counted toward eviction).
  const std::string restarted = "tcp://198.51.100.5:7001";
  REQUIRE(node.add_candidate(id_of(5), {restarted}, "multicast") == BUTTER_OK);
  CHECK(node.cache().find(id_of(5))->endpoints == std::vector<std::string>{restarted});
  CHECK(env.gave_address(id_of(5), restarted));
  // The host itself, over its authenticated connection (HELLO), may move too.
  const std::vector<std::string> moved{"tcp://198.51.100.5:7000"};
  node.on_peer_up(id_of(5), &moved);
  CHECK(node.cache().find(id_of(5))->endpoints == moved);
  CHECK(env.gave_address(id_of(5), moved.front()));
}

TEST_CASE("MembershipEngine: records the record-only share had no room for fill the room that opens at a refresh") {
  HostileTestEnv env;
  MembershipConfig cfg;
  cfg.capacity = 8;  // 2 hosts known only from records at most
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  for (unsigned i = 1; i <= 5; ++i) node.restore(record_of(i));
  CHECK(node.records().size() == 5);
  std::size_t record_only = 0;
  for (const auto& [id, h] : node.cache().hosts()) record_only += h.first_seen_ms == 0;
  REQUIRE(record_only == 2);
  // Both answer (asked us): they are hosts this node heard from now, and room opens for two more.
  for (unsigned i = 1; i <= 5; ++i)
    if (node.cache().find(id_of(i))) ask_quality(node, i, {}, {endpoint_of(i)}, endpoint_of(i));
  node.refresh();
  std::size_t members = 0;
  record_only = 0;
  for (const auto& [id, h] : node.cache().hosts()) {
    ++members;
    record_only += h.first_seen_ms == 0;
  }
  CHECK(members == 4);
  CHECK(record_only == 2);
}

TEST_CASE("MembershipEngine: a peer's quality requests are all answered but taken into the cache once per interval") {
  HostileTestEnv env;
  MembershipEngine node(env, id_of(0), MembershipConfig{}, 1);
  node.start();
  REQUIRE(ask_quality(node, 5, {10, 1000, 3}, {endpoint_of(5)}, endpoint_of(5)).status == BUTTER_OK);
  REQUIRE(node.cache().find(id_of(5)));
  const std::size_t events = env.published.size();
  // It asks 50 times in half a second, each time with other claims and endpoints: every request is
  // answered with our quality, none costs an admission (ranking against every member at a full
  // cache) nor changes what we hold of it.
  for (int i = 0; i < 50; ++i) {
    env.now += 10;
    const EngineReply r = ask_quality(node, 5, {20, 2000 + static_cast<std::uint64_t>(i), 4},
                                      {"tcp://198.51.100.9:" + std::to_string(7000 + i)}, endpoint_of(5));
    CHECK(r.status == BUTTER_OK);
    CHECK(r.bytes == encode_response(Quality{0, 0, 1}));
  }
  CHECK(node.cache().find(id_of(5))->endpoints == std::vector<std::string>{endpoint_of(5)});
  CHECK(node.cache().find(id_of(5))->quality.free_storage == 1000);
  CHECK(env.published.size() == events);
  CHECK_FALSE(env.gave_address(id_of(5), "tcp://198.51.100.9:7000"));
  // Another peer is not held back by it.
  REQUIRE(ask_quality(node, 6, {}, {endpoint_of(6)}, endpoint_of(6)).status == BUTTER_OK);
  CHECK(node.cache().find(id_of(6)));
  // Once the interval is over, its next request is taken.
  env.now += 1000;
  ask_quality(node, 5, {20, 3000, 4}, {endpoint_of(5)}, endpoint_of(5));
  CHECK(node.cache().find(id_of(5))->quality.free_storage == 3000);
}

TEST_CASE("ServeWindow: once per interval per peer, only recent peers held, bounded") {
  ServeWindow w(1000, 3);
  CHECK(w.take("a", 10'000));
  CHECK_FALSE(w.take("a", 10'999));
  CHECK(w.take("a", 11'000));
  CHECK_FALSE(w.take("a", 11'500));  // across a change of window
  CHECK(w.take("b", 11'500));
  CHECK(w.take("c", 11'600));
  CHECK_FALSE(w.take("d", 11'700));  // 3 peers this window already
  CHECK(w.take("d", 12'100));        // the window moved on
  CHECK(w.take("a", 20'000));
  CHECK(w.size() == 1);  // nobody else asked in the last two seconds
}
