// ReachabilityCheck (reachability_check.hpp), this node's own reachability, over a recording
// port: dial-back checks asked of peers, the verdict their answers make, the status announced when
// it changes, and the statuses peers announce.
#include "reachability_check.hpp"
#include "recording_port.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

using namespace butter::nat;
using butter::nat::testing::RecordingPort;

namespace {

const std::string kCheckedId(64, 'd'), kPeerA(64, 'a'), kPeerB(64, 'b'), kPeerC(64, 'c');

// A node listening on port 4000 with three peers connected over tcp; the links recorded.
struct CheckedNode {
  RecordingPort port;
  butter::detail::Core core{nullptr};  // no host: no butter.peers/1 to sample
  Reachability reach;
  ReachabilityConfig config;
  ObservedAddresses observed{2, 600000};
  std::string self = kCheckedId;
  std::chrono::milliseconds request_timeout{2000};
  std::vector<Reach> verdicts;
  std::vector<std::string> asked;
  std::vector<std::pair<std::string, std::string>> relay_endpoints;
  unsigned public_peers_heard = 0;
  ReachabilityCheck check{
      port,
      butter::Services(&core),
      reach,
      config,
      observed,
      self,
      request_timeout,
      butter::Metrics(&core),
      {.verdict_changed = [this](Reach now) { verdicts.push_back(now); },
       .own_status =
           [this] {
             StatusMessage s;
             s.verdict = reach.verdict.state();
             return s;
           },
       .asked = [this](const std::string& peer) { asked.push_back(peer); },
       .relay_endpoint_heard = [this](const std::string& peer,
                                      const std::string& endpoint) { relay_endpoints.emplace_back(peer, endpoint); },
       .public_peer_heard = [this] { ++public_peers_heard; }}};

  CheckedNode() {
    port.listen = {"tcp://0.0.0.0:4000"};
    for (const auto* peer : {&kPeerA, &kPeerB, &kPeerC})
      port.connected.push_back(butter::PeerInfo{*peer, {}, "tcp://198.51.100.9:5000", false, ""});
  }
  // Answers the dial-back request at `index`: seen from `ip`, the port reached or not.
  void answer(std::size_t index, const std::string& ip, bool reached) {
    const auto bytes = encode_dialback_result(DialBackResult{ip, {static_cast<std::uint8_t>(reached ? 1 : 0)}});
    butter_net_message msg{};
    msg.struct_size = sizeof msg;
    msg.payload = butter_bytes{bytes.data(), bytes.size()};
    REQUIRE(index < port.requests.size());
    port.requests[index].answer(butter::Response(BUTTER_OK, &msg));
  }
  // The status messages sent, by peer.
  std::size_t statuses_to(const std::string& peer) const {
    std::size_t n = 0;
    for (const auto& s : port.sent) n += s.peer == peer && s.protocol == kNatProtocol ? 1 : 0;
    return n;
  }
};

}  // namespace

TEST_CASE("nat-ambassador reachability check: two peers that reach this node make it public and every peer hears") {
  CheckedNode n;
  n.check.start();
  CHECK(n.reach.verdict.state() == Reach::Unknown);
  REQUIRE(n.port.timers.size() == 1);  // the first check, check_fast_ms away
  n.port.timers[0]();
  REQUIRE(n.port.requests.size() == 3);  // probes = 3
  CHECK(n.asked.size() == 3);
  std::string why;
  const auto req = decode_dialback(n.port.requests[0].bytes.data(), n.port.requests[0].bytes.size(), why);
  REQUIRE(req);
  CHECK(req->ports == std::vector<std::uint16_t>{4000});
  CHECK(n.port.requests[0].timeout == std::chrono::milliseconds(2000 + 2000));  // dial-back + request
  REQUIRE(n.port.timers.size() == 2);                                           // the next check is scheduled

  n.answer(0, "203.0.113.7", true);
  CHECK(n.verdicts.empty());
  CHECK(n.observed.confirmed(n.port.now).empty());
  n.answer(1, "203.0.113.7", true);  // quorum: public
  CHECK(n.verdicts == std::vector<Reach>{Reach::Public});
  CHECK(n.observed.confirmed(n.port.now) == std::vector<std::string>{"203.0.113.7"});
  for (const auto* peer : {&kPeerA, &kPeerB, &kPeerC}) CHECK(n.statuses_to(*peer) == 1);

  n.answer(2, "203.0.113.7", true);  // no change: nothing more is announced
  n.check.announce();
  CHECK(n.port.sent.size() == 3);
  n.check.announce_to(kPeerB);  // it came up again
  CHECK(n.statuses_to(kPeerB) == 2);
}

TEST_CASE("nat-ambassador reachability check: the mode or nothing listening forces the verdict") {
  CheckedNode forced;
  forced.config.mode = "private";
  forced.check.start();
  CHECK(forced.verdicts == std::vector<Reach>{Reach::Private});
  CHECK(forced.port.sent.size() == 3);  // announced to every peer

  CheckedNode deaf;
  deaf.port.listen.clear();
  deaf.check.start();
  CHECK(deaf.reach.verdict.state() == Reach::Private);
  CHECK(deaf.check.own_ports().empty());
}

TEST_CASE("nat-ambassador reachability check: peers' statuses are kept and a foreign relay endpoint is refused") {
  CheckedNode n;
  n.reach.verdict.force(Reach::Private);
  StatusMessage s;
  s.verdict = Reach::Public;
  s.serving = true;
  s.max_clients = 16;
  s.relay_endpoint = format_relay_endpoint(RelayEndpoint{kPeerC, "tcp://198.51.100.3:4000", kPeerB});
  n.check.on_status(kPeerA, s);  // kPeerA claims kPeerB's endpoint
  CHECK(n.port.malformed_count == 1);
  CHECK(n.reach.statuses.empty());
  CHECK(n.public_peers_heard == 0);

  s.relay_endpoint.clear();
  n.check.on_status(kPeerA, s);
  CHECK(n.public_peers_heard == 1);
  CHECK(n.reach.known_public() == std::vector<std::string>{kPeerA});

  s.verdict = Reach::Private;
  s.serving = false;
  s.relay_endpoint = format_relay_endpoint(RelayEndpoint{kPeerA, "tcp://198.51.100.1:4000", kPeerB});
  n.check.on_status(kPeerB, s);
  REQUIRE(n.relay_endpoints.size() == 1);
  CHECK(n.relay_endpoints[0] == std::make_pair(kPeerB, s.relay_endpoint));
  CHECK(n.public_peers_heard == 1);

  n.check.forget(kPeerA);
  CHECK(n.reach.known_public().empty());
}
