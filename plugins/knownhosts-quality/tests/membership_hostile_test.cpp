// The MembershipEngine against hostile inputs that are well-formed: a LAN beacon naming a member
// with junk endpoints, and a peer asking for our quality as fast as it can.
#include "membership_engine.hpp"
#include "quality_message.hpp"
#include "record_fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
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

}  // namespace

TEST_CASE("MembershipEngine: a beacon naming a known host never replaces its endpoints, only introduces unknown ids") {
  HostileTestEnv env;
  MembershipEngine node(env, id_of(0), MembershipConfig{}, 1);
  node.start();
  // Host 5 asked us for our quality: a member, with the endpoints it announced itself.
  REQUIRE(ask_quality(node, 5, {}, {endpoint_of(5)}, endpoint_of(5)).status == BUTTER_OK);
  REQUIRE(node.cache().find(id_of(5)));
  const std::string junk = "tcp://203.0.113.66:6666";

  // A LAN attacker's beacon with host 5's id and its own endpoint.
  env.addresses.clear();
  REQUIRE(node.add_candidate(id_of(5), {junk}, "multicast") == BUTTER_OK);
  CHECK(node.cache().find(id_of(5))->endpoints == std::vector<std::string>{endpoint_of(5)});
  CHECK_FALSE(env.gave_address(id_of(5), junk));

  // A candidate keeps the endpoints it came with too.
  REQUIRE(node.add_candidate(id_of(6), {endpoint_of(6)}, "multicast") == BUTTER_OK);
  REQUIRE(node.probation().count(id_of(6)));
  REQUIRE(node.add_candidate(id_of(6), {junk}, "multicast") == BUTTER_OK);
  CHECK(node.probation().at(id_of(6)).endpoints == std::vector<std::string>{endpoint_of(6)});
  CHECK_FALSE(env.gave_address(id_of(6), junk));

  // An id we hold a signed record of gets the record's endpoints, not the beacon's.
  node.restore(record_of(7));
  const bool member7 = node.cache().find(id_of(7)) != nullptr;
  REQUIRE(node.add_candidate(id_of(7), {junk}, "multicast") == BUTTER_OK);
  CHECK_FALSE(env.gave_address(id_of(7), junk));
  if (member7) CHECK(node.cache().find(id_of(7))->endpoints == std::vector<std::string>{endpoint_of(7)});

  // An id nobody told us of is introduced with the beacon's endpoints (discovery works).
  REQUIRE(node.add_candidate(id_of(8), {endpoint_of(8)}, "multicast") == BUTTER_OK);
  CHECK(node.probation().count(id_of(8)));
  CHECK(env.gave_address(id_of(8), endpoint_of(8)));

  // The host itself, over its authenticated connection (HELLO), may move.
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
