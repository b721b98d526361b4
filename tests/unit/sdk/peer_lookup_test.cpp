// Net::peer(node_id) (butter/cpp/net.hpp) against the fake host: through butter.net.peer_lookup/1
// when the host offers it, and through the walk of butter.net/1's peer list on a host without it
// (one older than ABI 1.8), with the same answers both ways.
#include "probe_plugins.hpp"

#include <cstddef>
#include <optional>

using namespace butter::test::sdk;

namespace {

// Two connected peers; the second dialled by this node and reached over a relay.
void connect_two(fake::Host& host) {
  host.connected_peers = {
      {std::string(64, 'c'), {"tcp://198.18.0.3:7000"}, "tcp://198.18.0.3:41000", false, "tcp://198.18.0.1:7000"},
      {std::string(64, 'd'), {}, "relay://" + std::string(64, 'e'), true, ""},
  };
}

}  // namespace

TEST_CASE("peer(node_id) finds one connected peer with or without butter.net.peer_lookup/1", "[sdk][net]") {
  fake::Host host;
  const bool lookup = GENERATE(true, false);
  if (!lookup) host.disabled.insert(BUTTER_EXT_NET_PEER_LOOKUP);
  INFO((lookup ? "through butter.net.peer_lookup/1" : "walking butter.net/1's peer list"));
  connect_two(host);
  fake::Instance i(factory(), host, "test.probe");
  REQUIRE(i.init() == BUTTER_OK);
  auto& p = probe(i);

  const std::optional<butter::PeerInfo> c = p.peer(std::string(64, 'c'));
  REQUIRE(c);
  CHECK(c->node_id == std::string(64, 'c'));
  CHECK(c->remote_address == "tcp://198.18.0.3:41000");
  CHECK(c->endpoints == std::vector<std::string>{"tcp://198.18.0.3:7000"});
  CHECK_FALSE(c->outbound);
  CHECK(c->local_address == "tcp://198.18.0.1:7000");

  const auto d = p.peer(std::string(64, 'd'));
  REQUIRE(d);
  CHECK(d->remote_address == "relay://" + std::string(64, 'e'));
  CHECK(d->outbound);
  CHECK(d->endpoints.empty());
  // Hex of either case names the same node, as the host reads ids.
  const auto upper = p.peer(std::string(64, 'D'));
  REQUIRE(upper);
  CHECK(upper->node_id == std::string(64, 'd'));

  // Not connected, and not a node id at all: nothing, never an exception.
  CHECK_FALSE(p.peer(std::string(64, 'f')));
  CHECK_FALSE(p.peer("not-a-node-id"));
  CHECK_FALSE(p.peer(""));
  // A peer gone from the list is gone from the lookup.
  host.connected_peers.erase(host.connected_peers.begin());
  CHECK_FALSE(p.peer(std::string(64, 'c')));
  CHECK(p.peer(std::string(64, 'd')));

  // The path taken: one host call per lookup, or the list read entry by entry.
  if (lookup) {
    CHECK(host.peer_lookups == 8);
    CHECK(host.peer_reads == 0);
  } else {
    CHECK(host.peer_lookups == 0);
    CHECK(host.peer_reads > 0);
  }
  // peers() reads the same list either way.
  REQUIRE(p.peers().size() == 1);
  CHECK(p.peers()[0].node_id == std::string(64, 'd'));
}

TEST_CASE("the fake host's peer_by_id refuses what ext/net.h says the node refuses", "[sdk][net]") {
  fake::Host host;
  connect_two(host);
  const auto* lookup = static_cast<const butter_net_peer_lookup_v1*>(
      host.host()->get_extension(host.host(), BUTTER_EXT_NET_PEER_LOOKUP));
  REQUIRE(lookup != nullptr);
  const std::string c(64, 'c');
  butter_net_peer_info info{};
  info.struct_size = sizeof info;
  CHECK(lookup->peer_by_id(host.host(), fake::str(c), &info) == BUTTER_OK);
  CHECK(fake::to_string(info.remote_address) == "tcp://198.18.0.3:41000");
  CHECK(lookup->peer_by_id(host.host(), fake::str(c), nullptr) == BUTTER_E_INVALID);
  CHECK(lookup->peer_by_id(host.host(), fake::str("c"), &info) == BUTTER_E_INVALID);
  CHECK(lookup->peer_by_id(host.host(), fake::str(std::string(64, 'f')), &info) == BUTTER_E_NOT_FOUND);
  // A struct too small for the fields up to `outbound` is refused and left alone.
  butter_net_peer_info small{};
  small.struct_size = offsetof(butter_net_peer_info, outbound);
  CHECK(lookup->peer_by_id(host.host(), fake::str(c), &small) == BUTTER_E_INVALID);
  CHECK(small.node_id.data == nullptr);
  // One covering the ABI 1.0 fields only: local_address is not written.
  butter_net_peer_info v10{};
  v10.struct_size = offsetof(butter_net_peer_info, local_address);
  CHECK(lookup->peer_by_id(host.host(), fake::str(c), &v10) == BUTTER_OK);
  CHECK(fake::to_string(v10.remote_address) == "tcp://198.18.0.3:41000");
  CHECK(v10.local_address.data == nullptr);
}
