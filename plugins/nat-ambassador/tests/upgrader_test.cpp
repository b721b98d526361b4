// Upgrader (upgrader.hpp), hole punching's policy, over a recording port and a butter.punch/1
// played by the test: the initiator's Connect, Sync and punch, its backoff after a failure, the
// responder's punch at Sync, and the port mapping learnt from peers' answers.
#include "json_answer.hpp"
#include "recording_port.hpp"
#include "upgrader.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

using namespace butter::nat;
using butter::Json;
using butter::nat::testing::RecordingPort;

namespace {

const std::string kLowId(64, '1'), kHighId(64, '9'), kThirdId(64, '5');  // kLowId initiates to kHighId

// The host's butter.punch/1 as the test plays it: every peer is reached over a relay, and a punch
// is recorded until the test reports its outcome.
struct PunchHost {
  std::vector<std::string> endpoints;  // of the last punch
  std::uint32_t window_ms = 0;
  unsigned punches = 0;
  butter_punch_done_fn done = nullptr;
  void* user = nullptr;

  void finish(butter_status st, std::string_view reason) {
    REQUIRE(done);
    auto fn = std::exchange(done, nullptr);
    fn(user, st, butter_str{reason.data(), reason.size()});
  }
};
PunchHost* g_punch_host = nullptr;

butter_status upgrader_test_path(const butter_host*, butter_str, butter_punch_path* out) {
  out->how = BUTTER_PATH_RELAYED_OUT;
  out->relayed = 1;
  return BUTTER_OK;
}

butter_status upgrader_test_punch(const butter_host*, butter_str, const butter_str* eps, uint32_t n, uint32_t window_ms,
                                  butter_punch_done_fn fn, void* user) {
  PunchHost& h = *g_punch_host;
  h.endpoints.clear();
  for (uint32_t i = 0; i < n; ++i) h.endpoints.emplace_back(eps[i].data, eps[i].len);
  h.window_ms = window_ms;
  ++h.punches;
  h.done = fn;
  h.user = user;
  return BUTTER_OK;
}

// One node's Upgrader with its listen endpoint on a LAN (port 4000) and `peer` connected over a
// relay.
struct PunchingNode {
  explicit PunchingNode(std::string id, const std::string& peer) : self(std::move(id)) {
    g_punch_host = &punches;
    port.listen = {"tcp://192.168.1.5:4000", "tcp://127.0.0.1:4000"};
    port.connected = {butter::PeerInfo{peer, {}, "relay://x", false, ""}};
  }
  ~PunchingNode() { g_punch_host = nullptr; }

  PunchHost punches;
  RecordingPort port;
  butter::detail::Core core{nullptr};
  butter_punch_v1 v1{&upgrader_test_punch, &upgrader_test_path};
  PunchExtensions extensions{&v1, nullptr};
  PunchConfig config;
  std::chrono::milliseconds request_timeout{2000};
  std::string self;
  ObservedAddresses observed{2, 600000};
  PortMapping mapping{2, 600000};
  Upgrader upgrader{port,
                    nullptr,
                    extensions,
                    config,
                    request_timeout,
                    self,
                    observed,
                    mapping,
                    butter::Metrics(&core),
                    {.own_ports = [] { return std::vector<std::uint16_t>{4000}; }}};

  // Answers the request at `index` with `payload`.
  void answer(std::size_t index, const std::vector<std::uint8_t>& payload) {
    butter_net_message msg{};
    msg.struct_size = sizeof msg;
    msg.payload = butter_bytes{payload.data(), payload.size()};
    REQUIRE(index < port.requests.size());
    port.requests[index].answer(butter::Response(BUTTER_OK, &msg));
  }
};

}  // namespace

TEST_CASE("nat-ambassador upgrader: the initiator sends Connect, then Sync, and punches the peer's usable addresses") {
  PunchingNode n(kLowId, kHighId);
  n.upgrader.start();
  REQUIRE(n.port.timers.size() == 1);
  n.port.timers[0]();
  REQUIRE(n.port.requests.size() == 1);
  const auto& ask = n.port.requests[0];
  CHECK(ask.peer == kHighId);
  CHECK(ask.protocol == kNatProtocol);
  CHECK(ask.timeout == std::chrono::milliseconds(2000));
  std::string why;
  const auto mine = decode_connect(ask.bytes.data(), ask.bytes.size(), why);
  REQUIRE(mine);
  CHECK(mine->addresses == std::vector<std::string>{"tcp://192.168.1.5:4000"});  // not loopback
  CHECK_FALSE(mine->mapping_varies);

  n.port.timers[0]();  // a punch runs: nothing more starts
  CHECK(n.port.requests.size() == 1);

  // The peer's answer names this node's own address too: only the other is punched at.
  n.port.now += 30;
  n.answer(0, encode_connect(ConnectMessage{{"tcp://198.51.100.7:5000", "tcp://192.168.1.5:4000"}, false}));
  REQUIRE(n.port.sent.size() == 1);
  CHECK(n.port.sent[0].peer == kHighId);
  CHECK(n.port.sent[0].bytes == encode_sync());
  CHECK(n.punches.punches == 1);
  CHECK(n.punches.endpoints == std::vector<std::string>{"tcp://198.51.100.7:5000"});
  CHECK(n.punches.window_ms == 5000);
  Json j = n.upgrader.punch_json();
  REQUIRE(j["upgrades"].size() == 1);
  CHECK(j["upgrades"][0]["running"] == true);
  CHECK(j["upgrades"][0]["rtt_ms"] == 30);

  n.punches.finish(BUTTER_OK, "");
  j = n.upgrader.punch_json();
  CHECK(j["upgrades"][0]["running"] == false);
  CHECK(j["upgrades"][0]["last"] == "direct");
  CHECK(j["upgrades"][0]["attempts"] == 0);
}

TEST_CASE("nat-ambassador upgrader: a failed punch backs off and is remembered against the offered addresses") {
  PunchingNode n(kLowId, kHighId);
  n.upgrader.start();
  n.port.timers[0]();
  n.answer(0, encode_connect(ConnectMessage{{"tcp://198.51.100.7:5000"}, false}));
  n.punches.finish(BUTTER_E_TIMEOUT, "timeout: no SYN-ACK");
  Json j = n.upgrader.punch_json();
  CHECK(j["upgrades"][0]["last"] == "timeout");
  CHECK(j["upgrades"][0]["attempts"] == 1);
  CHECK(j["upgrades"][0]["next_try_in_ms"] == 2000);  // punch_backoff_ms, not doubled yet
  REQUIRE(j["learned"].size() == 1);
  CHECK(j["learned"][0]["address"] == "tcp://192.168.1.5:4000");
  CHECK(j["learned"][0]["failures"] == 1);

  n.port.timers[0]();  // backing off
  CHECK(n.port.requests.size() == 1);
  n.port.now += 2000;
  n.port.timers[0]();
  CHECK(n.port.requests.size() == 2);

  // An exchange that fails says nothing about the addresses.
  n.port.requests[1].answer(butter::Response(BUTTER_E_TIMEOUT, nullptr));
  j = n.upgrader.punch_json();
  CHECK(j["upgrades"][0]["last"] == "exchange");
  CHECK(j["upgrades"][0]["next_try_in_ms"] == 4000);  // doubled
  CHECK(j["learned"][0]["failures"] == 1);

  n.upgrader.forget(kHighId);  // it went down: it starts afresh
  CHECK(n.upgrader.punch_json()["upgrades"].empty());
}

TEST_CASE("nat-ambassador upgrader: the responder answers Connect and punches when Sync comes") {
  PunchingNode n(kHighId, kLowId);
  n.upgrader.start();
  n.port.timers[0]();  // the peer has the smaller id: this node does not initiate
  CHECK(n.port.requests.empty());

  n.upgrader.on_sync(kLowId);  // no Connect answered: nothing to punch
  CHECK(n.punches.punches == 0);

  butter::Reply reply;  // inert: the answer goes nowhere
  n.upgrader.on_connect(kLowId, ConnectMessage{{"tcp://203.0.113.9:4100"}, true}, reply);
  n.upgrader.on_sync(kLowId);
  CHECK(n.punches.punches == 1);
  CHECK(n.punches.endpoints == std::vector<std::string>{"tcp://203.0.113.9:4100"});
  const Json j = n.upgrader.punch_json();
  REQUIRE(j["upgrades"].size() == 1);
  CHECK(j["upgrades"][0]["peer"] == kLowId);
  CHECK(j["upgrades"][0]["running"] == true);
  CHECK(j["upgrades"][0]["peer_mapping"] == "varies");
}

TEST_CASE("nat-ambassador upgrader: peers' mapping answers make the port mapping verdict") {
  PunchingNode n(kLowId, kHighId);
  n.port.connected = {butter::PeerInfo{kHighId, {}, "tcp://198.51.100.2:4000", true, "tcp://10.0.0.5:50000"},
                      butter::PeerInfo{kThirdId, {}, "tcp://198.51.100.3:4000", true, "tcp://10.0.0.5:50001"}};
  n.upgrader.ask_mapping(kHighId);
  n.upgrader.ask_mapping(kThirdId);
  REQUIRE(n.port.requests.size() == 2);
  CHECK(n.port.requests[0].bytes == encode_mapping_request());
  n.answer(0, encode_mapping_answer(MappingAnswer{"203.0.113.1", 50000}));
  CHECK(n.upgrader.punch_json()["mapping"] == mapping_name(Mapping::Unknown));  // one vote of two
  n.answer(1, encode_mapping_answer(MappingAnswer{"203.0.113.1", 50001}));
  CHECK(n.upgrader.punch_json()["mapping"] == mapping_name(Mapping::Keeps));
  CHECK(n.upgrader.punch_json()["mapping_votes"] == 2);
}
