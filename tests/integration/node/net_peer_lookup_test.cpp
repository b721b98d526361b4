// butter.net.peer_lookup/1 on real nodes over loopback TCP, called as a plugin instance calls it
// (its butter_host, on its node's strand): a connected peer is found by id with the remote address
// of its socket (the other side's local address), an id the node is not connected to is
// NOT_FOUND, and a peer whose connection closed (from either side) is NOT_FOUND from then on.
#include "instance/plugin_instance.hpp"
#include "support/test_node.hpp"

#include <butter/butter.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

using namespace butter;
using namespace butter::test;

namespace {

// What one call answered, copied on the strand (the strings are the host's, valid in that turn).
struct LookedUp {
  butter_status status = BUTTER_E_INTERNAL;
  std::string node_id, remote_address, local_address;
  std::vector<std::string> endpoints;
  bool outbound = false;
};

std::string text_of(butter_str s) { return s.data ? std::string(s.data, s.len) : std::string(); }

LookedUp copy_of(butter_status status, const butter_net_peer_info& info) {
  LookedUp out;
  out.status = status;
  if (status != BUTTER_OK) return out;
  out.node_id = text_of(info.node_id);
  out.remote_address = text_of(info.remote_address);
  out.local_address = text_of(info.local_address);
  for (std::uint32_t i = 0; i < info.endpoint_count; ++i) out.endpoints.push_back(text_of(info.endpoints[i]));
  out.outbound = info.outbound != 0;
  return out;
}

// The first plugin instance of `node`, as the host sees it call.
const butter_host* instance_host(TestNode& node) {
  return node->on_strand([&] { return node->core()->instances.at(0)->host(); });
}

LookedUp peer_by_id(TestNode& node, const std::string& id) {
  const butter_host* h = instance_host(node);
  const auto* lookup = static_cast<const butter_net_peer_lookup_v1*>(h->get_extension(h, BUTTER_EXT_NET_PEER_LOOKUP));
  REQUIRE(lookup != nullptr);
  return node->on_strand([&] {
    butter_net_peer_info info{};
    info.struct_size = sizeof info;
    const butter_status s = lookup->peer_by_id(h, butter_str{id.data(), id.size()}, &info);
    return copy_of(s, info);
  });
}

// What butter.net/1's list says of `id` (peer_count, then peer(index) until it is found).
LookedUp listed(TestNode& node, const std::string& id) {
  const butter_host* h = instance_host(node);
  const auto* net = static_cast<const butter_net_v1*>(h->get_extension(h, BUTTER_EXT_NET));
  return node->on_strand([&] {
    const std::uint32_t n = net->peer_count(h);
    for (std::uint32_t i = 0; i < n; ++i) {
      butter_net_peer_info info{};
      info.struct_size = sizeof info;
      if (net->peer(h, i, &info) == BUTTER_OK && text_of(info.node_id) == id) return copy_of(BUTTER_OK, info);
    }
    return copy_of(BUTTER_E_NOT_FOUND, butter_net_peer_info{});
  });
}

// The local address of `from`'s connection to `to`, from `from`'s own transport.
std::string local_address_towards(TestNode& from, TestNode& to) {
  return from->on_strand([&] {
    for (const auto& p : from->core()->transport->peers())
      if (p.id.hex() == to->id_hex()) return p.local_address;
    return std::string();
  });
}

}  // namespace

TEST_CASE("net.peer_by_id finds a connected peer by id and answers NOT_FOUND once it is gone") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", plugin_table("echo", "butter.example.echo")));
  TestNode b(rt, registry, loopback_manifest("b"));
  auto c = std::make_unique<TestNode>(rt, registry, loopback_manifest("c"));
  REQUIRE(a.plugin_state("echo") == "started");
  // b and c dial a: each is an inbound connection there.
  REQUIRE(request_from(b, a.endpoint(), "/butter/echo/1", "b").status == BUTTER_OK);
  REQUIRE(request_from(*c, a.endpoint(), "/butter/echo/1", "c").status == BUTTER_OK);
  const std::string b_id = b->id_hex(), c_id = (*c)->id_hex();

  const LookedUp found = peer_by_id(a, b_id);
  REQUIRE(found.status == BUTTER_OK);
  CHECK(found.node_id == b_id);
  // The socket's far end is b's end of the same connection.
  CHECK(found.remote_address.rfind("tcp://127.0.0.1:", 0) == 0);
  CHECK(found.remote_address == local_address_towards(b, a));
  CHECK_FALSE(found.outbound);
  CHECK(std::find(found.endpoints.begin(), found.endpoints.end(), b.endpoint()) != found.endpoints.end());
  // Field for field what butter.net/1's list says of b.
  const LookedUp in_list = listed(a, b_id);
  REQUIRE(in_list.status == BUTTER_OK);
  CHECK(in_list.remote_address == found.remote_address);
  CHECK(in_list.local_address == found.local_address);
  CHECK(in_list.endpoints == found.endpoints);
  CHECK(in_list.outbound == found.outbound);
  // The id in capitals names the same node; the answer spells it as the host does.
  std::string upper = b_id;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char ch) { return std::toupper(ch); });
  CHECK(peer_by_id(a, upper).node_id == b_id);

  // An id a is not connected to (its own included), and what is not an id.
  CHECK(peer_by_id(a, std::string(64, 'f')).status == BUTTER_E_NOT_FOUND);
  CHECK(peer_by_id(a, a->id_hex()).status == BUTTER_E_NOT_FOUND);
  CHECK(peer_by_id(a, "not-a-node-id").status == BUTTER_E_INVALID);

  // c stops (its side closes): gone from the lookup as from the list, b still there.
  REQUIRE(peer_by_id(a, c_id).status == BUTTER_OK);
  c.reset();
  CHECK(wait_until([&] { return peer_by_id(a, c_id).status == BUTTER_E_NOT_FOUND; }));
  CHECK(listed(a, c_id).status == BUTTER_E_NOT_FOUND);
  CHECK(peer_by_id(a, b_id).status == BUTTER_OK);

  // a closes b's connection itself.
  a->on_strand([&] {
    a->core()->transport->disconnect(*host::NodeId::from_hex(b_id), "test done");
    return 0;
  });
  CHECK(wait_until([&] { return peer_by_id(a, b_id).status == BUTTER_E_NOT_FOUND; }));
  CHECK(listed(a, b_id).status == BUTTER_E_NOT_FOUND);
}

TEST_CASE("net.peer without peer_count first reads its own node's list on a thread shared by nodes") {
  // One runtime thread runs both nodes (as the tests and benches do with many), and peer() keeps
  // the list peer_count read per thread: before, a peer(0) on c right after a peer_count on a
  // answered with a's peer.
  host::Runtime rt(1);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", plugin_table("echo", "butter.example.echo")));
  TestNode c(rt, registry, loopback_manifest("c", plugin_table("echo", "butter.example.echo")));
  TestNode b(rt, registry, loopback_manifest("b")), d(rt, registry, loopback_manifest("d"));
  REQUIRE(request_from(b, a.endpoint(), "/butter/echo/1", "b").status == BUTTER_OK);
  REQUIRE(request_from(d, c.endpoint(), "/butter/echo/1", "d").status == BUTTER_OK);
  const butter_host* ha = instance_host(a);
  const butter_host* hc = instance_host(c);
  const auto* net = static_cast<const butter_net_v1*>(ha->get_extension(ha, BUTTER_EXT_NET));
  REQUIRE(a->on_strand([&] { return net->peer_count(ha); }) == 1);
  const LookedUp first = c->on_strand([&] {
    butter_net_peer_info info{};
    info.struct_size = sizeof info;
    return copy_of(net->peer(hc, 0, &info), info);
  });
  REQUIRE(first.status == BUTTER_OK);
  CHECK(first.node_id == d->id_hex());
}
