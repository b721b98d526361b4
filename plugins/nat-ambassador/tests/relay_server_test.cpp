// RelayServer (relay_server.hpp), the ambassador's side of relayed streams, over a recording
// port: who it admits, the circuits it opens and refuses, what it forwards, and when it ends them.
#include "recording_port.hpp"
#include "relay_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>
#include <vector>

using namespace butter::nat;
using butter::nat::testing::RecordingPort;

namespace {

const std::string kOrigin(64, 'a'), kClient(64, 'b'), kOther(64, 'c');

// A RelayServer over a RecordingPort, public unless told otherwise.
struct Ambassador {
  RecordingPort port;
  RelayLink link{port};
  Limits limits;
  Capture capture;
  std::chrono::milliseconds keepalive{2000};
  butter::detail::Core core{nullptr};
  bool is_public = true;
  unsigned protection_syncs = 0;
  RelayServer server{
      port,
      link,
      limits,
      capture,
      keepalive,
      butter::Metrics(&core),
      {.node_public = [this] { return is_public; }, .protection_changed = [this] { ++protection_syncs; }}};

  RelayMessage open(std::uint64_t stream, const std::string& target) {
    RelayMessage m;
    m.type = RelayType::Open;
    m.stream = stream;
    m.node = target;
    return m;
  }
  // Opens a circuit from kOrigin's stream `stream` to kClient; its relay id (from the Incoming).
  std::uint64_t circuit(std::uint64_t stream) {
    server.on_open(kOrigin, open(stream, kClient));
    const auto to_client = port.relayed_to(kClient);
    REQUIRE_FALSE(to_client.empty());
    REQUIRE(to_client.back().type == RelayType::Incoming);
    return to_client.back().stream;
  }
  void data(const std::string& from, Leg leg, std::uint64_t stream, const std::string& bytes) {
    server.on_data(from, RelayDataView{leg, stream, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  }
};

}  // namespace

TEST_CASE("nat-ambassador relay server: admits clients up to max_clients and only while public") {
  Ambassador a;
  a.limits.max_clients = 2;
  a.is_public = false;
  CHECK(a.server.admit(kClient) == "this node does not serve as an ambassador now");
  a.is_public = true;
  a.limits.serve = false;
  CHECK_FALSE(a.server.serving());
  CHECK(a.server.admit(kClient));
  a.limits.serve = true;
  CHECK_FALSE(a.server.admit(kClient));
  CHECK_FALSE(a.server.admit(kOrigin));
  CHECK(a.server.admit(kOther) == "ambassador full (max_clients)");
  CHECK_FALSE(a.server.admit(kClient));  // a refresh takes no new slot
  CHECK(a.server.clients() == 2);
  CHECK(a.server.client_ids() == std::vector<std::string>{kOrigin, kClient});
  CHECK(a.protection_syncs == 3);
  a.server.on_unregister(kOrigin);
  CHECK(a.server.clients() == 1);
  CHECK_FALSE(a.server.admit(kOther));
}

TEST_CASE("nat-ambassador relay server: a circuit carries Data both ways under its own ids") {
  Ambassador a;
  REQUIRE_FALSE(a.server.admit(kClient));
  const std::uint64_t r = a.circuit(7);
  const auto incoming = a.port.relayed_to(kClient).back();
  CHECK(incoming.node == kOrigin);
  CHECK(a.server.circuits() == 1);
  CHECK(a.server.joins(kClient, kOrigin));
  CHECK_FALSE(a.server.joins(kClient, kOther));

  a.data(kOrigin, Leg::FromOrigin, 7, "hello");
  auto to_client = a.port.relayed_to(kClient);
  REQUIRE(to_client.size() == 2);
  CHECK(to_client[1].type == RelayType::Data);
  CHECK(to_client[1].leg == Leg::ToTarget);
  CHECK(to_client[1].stream == r);
  CHECK(to_client[1].body == "hello");

  a.data(kClient, Leg::FromTarget, r, "world");
  auto to_origin = a.port.relayed_to(kOrigin);
  REQUIRE(to_origin.size() == 1);
  CHECK(to_origin[0].leg == Leg::ToOrigin);
  CHECK(to_origin[0].stream == 7);
  CHECK(to_origin[0].body == "world");

  // Only the circuit's target speaks for it from that side.
  a.data(kOther, Leg::FromTarget, r, "forged");
  CHECK(a.port.malformed_count == 1);
  CHECK(a.port.relayed_to(kOrigin).size() == 1);

  // The origin closes: the target hears it, the circuit is gone.
  RelayMessage close;
  close.type = RelayType::Close;
  close.leg = Leg::FromOrigin;
  close.stream = 7;
  close.body = "done";
  a.server.on_close(kOrigin, close);
  CHECK(a.port.relayed_to(kClient).back().type == RelayType::Close);
  CHECK(a.port.relayed_to(kClient).back().body == "done");
  CHECK(a.server.circuits() == 0);
  CHECK(a.port.relayed_to(kOrigin).size() == 1);  // not told its own close
}

TEST_CASE("nat-ambassador relay server: refuses an Open to a non-client and past max_circuits_per_client") {
  Ambassador a;
  a.limits.max_circuits_per_client = 1;
  a.server.on_open(kOrigin, a.open(1, kClient));
  REQUIRE(a.port.relayed_to(kOrigin).size() == 1);
  CHECK(a.port.relayed_to(kOrigin)[0].type == RelayType::Close);
  CHECK(a.port.relayed_to(kOrigin)[0].leg == Leg::ToOrigin);
  CHECK(a.port.relayed_to(kOrigin)[0].body == "not a client of this ambassador");

  REQUIRE_FALSE(a.server.admit(kClient));
  a.circuit(2);
  a.server.on_open(kOrigin, a.open(2, kClient));  // the same stream again
  CHECK(a.port.malformed_count == 1);
  a.server.on_open(kOrigin, a.open(3, kClient));
  CHECK(a.port.relayed_to(kOrigin).back().body ==
        "too many relayed connections to this client (max_circuits_per_client)");
  CHECK(a.server.circuits() == 1);

  a.is_public = false;
  a.server.on_open(kOther, a.open(4, kClient));
  CHECK(a.port.relayed_to(kOther).back().body == "not an ambassador");
}

TEST_CASE("nat-ambassador relay server: origins at one address hold at most a quarter of a client's circuits") {
  // Node ids cost nothing: origins made up at one address that open circuits and never use them
  // could otherwise take every slot of the client, and honest origins would be refused.
  Ambassador a;
  a.limits.max_circuits_per_client = 8;  // 2 per address
  REQUIRE_FALSE(a.server.admit(kClient));
  const std::string sybil1(64, '1'), sybil2(64, '2'), sybil3(64, '3'), honest(64, '4'), local(64, '5');
  a.port.connected = {
      {sybil1, {}, "tcp://198.18.0.66:4001", false, {}}, {sybil2, {}, "tcp://198.18.0.66:4002", false, {}},
      {sybil3, {}, "tcp://198.18.0.66:4003", false, {}}, {honest, {}, "tcp://198.18.0.7:4000", false, {}},
      {local, {}, "tcp://127.0.0.1:4000", false, {}},
  };
  a.server.on_open(sybil1, a.open(1, kClient));
  a.server.on_open(sybil2, a.open(1, kClient));
  CHECK(a.server.circuits() == 2);
  a.server.on_open(sybil3, a.open(1, kClient));  // a third id at the same address
  CHECK(a.port.relayed_to(sybil3).back().body ==
        "too many relayed connections to this client from one address (a quarter of max_circuits_per_client)");
  a.server.on_open(sybil1, a.open(2, kClient));  // the same id again
  CHECK(a.port.relayed_to(sybil1).back().type == RelayType::Close);
  CHECK(a.server.circuits() == 2);
  // Another address still gets in; loopback is not bounded (every node of one machine shares it).
  a.server.on_open(honest, a.open(1, kClient));
  CHECK(a.server.circuits() == 3);
  for (std::uint64_t s = 1; s <= 4; ++s) a.server.on_open(local, a.open(s, kClient));
  CHECK(a.server.circuits() == 7);
  // A closed circuit frees its address's place.
  RelayMessage close;
  close.type = RelayType::Close;
  close.leg = Leg::FromOrigin;
  close.stream = 1;
  a.server.on_close(sybil1, close);
  a.server.on_open(sybil3, a.open(2, kClient));
  CHECK(a.server.circuits() == 7);
  CHECK(a.port.relayed_to(kClient).back().type == RelayType::Incoming);
  CHECK(a.port.relayed_to(kClient).back().node == sybil3);
  // Each origin's address came from one lookup by id, never from a copy of every connection.
  CHECK(a.port.peers_calls == 0);
  CHECK(a.port.peer_calls > 0);
}

TEST_CASE("nat-ambassador relay server: the byte limit ends a circuit and tells both ends") {
  Ambassador a;
  a.limits.max_relay_bytes = 8;
  REQUIRE_FALSE(a.server.admit(kClient));
  const std::uint64_t r = a.circuit(5);
  a.data(kOrigin, Leg::FromOrigin, 5, "12345");
  a.data(kClient, Leg::FromTarget, r, "6789");  // both ways count: 9 > 8
  CHECK(a.server.circuits() == 0);
  CHECK(a.port.relayed_to(kOrigin).back().type == RelayType::Close);
  CHECK(a.port.relayed_to(kOrigin).back().body == "relay byte limit reached");
  CHECK(a.port.relayed_to(kClient).back().body == "relay byte limit reached");
}

TEST_CASE("nat-ambassador relay server: a Flow before Open windows the circuit and Credits pass on") {
  Ambassador a;
  REQUIRE_FALSE(a.server.admit(kClient));
  RelayMessage flow;
  flow.type = RelayType::Flow;
  flow.leg = Leg::FromOrigin;
  flow.stream = 9;
  flow.value = 128 * 1024;
  CHECK(a.server.on_flow(kOrigin, flow));
  const std::uint64_t r = a.circuit(9);
  const auto to_client = a.port.relayed_to(kClient);
  REQUIRE(to_client.size() == 2);  // Flow, then Incoming
  CHECK(to_client[0].type == RelayType::Flow);
  CHECK(to_client[0].leg == Leg::ToTarget);
  CHECK(to_client[0].stream == r);
  CHECK(to_client[0].value == 128 * 1024);

  RelayMessage credit;
  credit.type = RelayType::Credit;
  credit.leg = Leg::FromTarget;
  credit.stream = r;
  credit.value = 512 * 1024;
  a.server.on_credit(kClient, credit);
  REQUIRE(a.port.relayed_to(kOrigin).size() == 1);
  CHECK(a.port.relayed_to(kOrigin)[0].type == RelayType::Credit);
  CHECK(a.port.relayed_to(kOrigin)[0].leg == Leg::ToOrigin);
  CHECK(a.port.relayed_to(kOrigin)[0].stream == 9);
  CHECK(a.port.relayed_to(kOrigin)[0].value == 512 * 1024);

  // The origin goes past the window the target granted (and the slack): the circuit ends.
  a.data(kOrigin, Leg::FromOrigin, 9, std::string(512 * 1024 + kWindowSlack + 1, 'x'));
  CHECK(a.server.circuits() == 0);
  CHECK(a.port.relayed_to(kClient).back().body == "sent past the window");

  // A Flow on another leg, or while not serving, is not the server's.
  flow.leg = Leg::ToTarget;
  CHECK_FALSE(a.server.on_flow(kOrigin, flow));
  flow.leg = Leg::FromOrigin;
  a.is_public = false;
  CHECK_FALSE(a.server.on_flow(kOrigin, flow));
}

TEST_CASE("nat-ambassador relay server: a peer going down, the sweep and turning private end circuits") {
  Ambassador a;
  a.limits.max_relay_ms = 5000;
  REQUIRE_FALSE(a.server.admit(kClient));
  REQUIRE_FALSE(a.server.admit(kOther));
  a.circuit(1);
  a.circuit(2);
  std::set<std::string> needed;
  a.server.needed_peers(needed);
  CHECK(needed == std::set<std::string>{kOrigin, kClient, kOther});

  a.server.peer_down(kOrigin);  // the origin: its circuits end, their targets are told
  CHECK(a.server.circuits() == 0);
  CHECK(a.port.relayed_to(kClient).back().body == "the origin went away");
  CHECK(a.server.clients() == 2);

  a.circuit(3);
  a.port.now += 5001;  // past max_relay_ms
  a.server.sweep();
  CHECK(a.server.circuits() == 0);
  CHECK(a.port.relayed_to(kOrigin).back().body == "relay time limit reached");

  a.port.now += 20001;  // past ten keepalives (at least 10 s) without a refresh
  REQUIRE_FALSE(a.server.admit(kClient));
  a.port.now += 1;
  a.server.sweep();
  CHECK(a.server.client_ids() == std::vector<std::string>{kClient});

  a.circuit(4);
  a.server.stop_serving();
  CHECK(a.server.circuits() == 0);
  CHECK(a.server.clients() == 0);
  CHECK(a.port.relayed_to(kOrigin).back().body == "ambassador became private");
}
