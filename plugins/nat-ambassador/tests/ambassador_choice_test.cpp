// AmbassadorChoice (ambassador_choice.hpp), a private node's own ambassador, over a recording
// port: which candidate it registers with, the relay endpoint it adopts, and how it moves when a
// keepalive fails or the ambassador goes away.
#include "ambassador_choice.hpp"
#include "recording_port.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace butter::nat;
using butter::nat::testing::RecordingPort;

namespace {

const std::string kPrivateId(64, 'e'), kBusyId(64, 'a'), kQuietId(64, 'b'), kClosedId(64, 'c');

// A private node whose peers announce their statuses; AmbassadorChoice's links recorded.
struct PrivateNode {
  RecordingPort port;
  RelayLink link{port};
  butter::detail::Core core{nullptr};  // no host: no butter.peers/1, so no quality
  Reachability reach;
  ReachabilityConfig reach_config;
  std::string self = kPrivateId;
  std::chrono::milliseconds keepalive{2000}, request_timeout{2000};
  std::vector<std::string> left;
  unsigned changes = 0;
  AmbassadorChoice choice{
      port,
      link,
      butter::Services(&core),
      reach,
      reach_config,
      self,
      keepalive,
      request_timeout,
      butter::Metrics(&core),
      {.left = [this](const std::string& amb) { left.push_back(amb); }, .changed = [this] { ++changes; }}};

  PrivateNode() { reach.verdict.force(Reach::Private); }

  // `peer`, connected over tcp at `ip`, announced itself public with `clients` clients.
  void announced(const std::string& peer, const std::string& ip, std::uint32_t clients, bool serving = true) {
    StatusMessage s;
    s.verdict = Reach::Public;
    s.serving = serving;
    s.clients = clients;
    s.max_clients = 16;
    reach.statuses[peer] = Reachability::PeerStatus{s, 0};
    const std::string tcp = "tcp://" + ip + ":4000";
    port.connected.push_back(butter::PeerInfo{peer, {tcp}, tcp, true, ""});
  }
  // The relay message of request `index`, to `peer`.
  RelayType asked(std::size_t index, const std::string& peer) {
    REQUIRE(index < port.requests.size());
    CHECK(port.requests[index].peer == peer);
    CHECK(port.requests[index].protocol == kRelayProtocol);
    std::string why;
    auto m = decode_relay(port.requests[index].bytes.data(), port.requests[index].bytes.size(), why);
    REQUIRE(m);
    return m->type;
  }
  void answer(std::size_t index, butter_status st) {
    REQUIRE(index < port.requests.size());
    port.requests[index].answer(butter::Response(st, nullptr));
  }
};

}  // namespace

TEST_CASE("nat-ambassador ambassador choice: registers with the serving peer with the fewest clients") {
  PrivateNode n;
  n.announced(kBusyId, "198.51.100.1", 5);
  n.announced(kQuietId, "198.51.100.2", 1);
  n.announced(kClosedId, "198.51.100.3", 0, false);  // public but not serving
  n.choice.choose();
  CHECK(n.asked(0, kQuietId) == RelayType::Register);
  n.choice.choose();  // a Register is out: nothing more
  CHECK(n.port.requests.size() == 1);

  n.answer(0, BUTTER_OK);
  CHECK(n.choice.id() == kQuietId);
  CHECK(n.choice.relay_endpoint() ==
        format_relay_endpoint(RelayEndpoint{kQuietId, "tcp://198.51.100.2:4000", kPrivateId}));
  CHECK(n.choice.moves() == 0);
  CHECK(n.changes == 1);
}

TEST_CASE("nat-ambassador ambassador choice: a failed keepalive moves to the next candidate and counts a move") {
  PrivateNode n;
  n.announced(kBusyId, "198.51.100.1", 5);
  n.announced(kQuietId, "198.51.100.2", 1);
  n.choice.keep();  // none yet: it chooses
  n.answer(0, BUTTER_OK);
  REQUIRE(n.choice.id() == kQuietId);

  n.choice.keep();
  CHECK(n.asked(1, kQuietId) == RelayType::Register);
  n.answer(1, BUTTER_E_TIMEOUT);
  // Left (Unregister sent, its streams ended), and the next one asked at once.
  REQUIRE(n.port.relayed_to(kQuietId).size() == 1);
  CHECK(n.port.relayed_to(kQuietId)[0].type == RelayType::Unregister);
  CHECK(n.left == std::vector<std::string>{kQuietId});
  CHECK(n.asked(2, kBusyId) == RelayType::Register);
  n.answer(2, BUTTER_OK);
  CHECK(n.choice.id() == kBusyId);
  CHECK(n.choice.moves() == 1);

  // Its connection goes down: the failed one is still kept away, so none is left to ask.
  n.choice.peer_down(kBusyId);
  CHECK(n.choice.id().empty());
  CHECK(n.choice.relay_endpoint().empty());
  CHECK(n.port.requests.size() == 3);
  // Five keepalives later the first is tried again.
  n.port.now += 5 * 2000 + 1;
  n.choice.choose();
  CHECK(n.asked(3, kQuietId) == RelayType::Register);
}

TEST_CASE("nat-ambassador ambassador choice: a refusal excludes the candidate and a public node keeps none") {
  PrivateNode n;
  n.announced(kBusyId, "198.51.100.1", 5);
  n.announced(kQuietId, "198.51.100.2", 1);
  n.choice.choose();
  n.answer(0, BUTTER_E_UNAVAILABLE);  // refused: the other is asked
  CHECK(n.asked(1, kBusyId) == RelayType::Register);

  n.reach.verdict.force(Reach::Public);  // public meanwhile: the registration is given back
  n.answer(1, BUTTER_OK);
  CHECK(n.choice.id().empty());
  REQUIRE(n.port.relayed_to(kBusyId).size() == 1);
  CHECK(n.port.relayed_to(kBusyId)[0].type == RelayType::Unregister);
  n.choice.keep();  // public: nothing to keep
  CHECK(n.port.requests.size() == 2);
}
