// The Upgrader's (upgrader.hpp) question whether this node's NAT keeps the ports of its
// connections (port_mapping.hpp), from what peers see: with each dial-back request
// (reachability.cpp) this node also asks the same peer, over the same tcp connection, which IP and
// port that connection comes from (/butter/nat/1 Mapping), and compares the port with its own
// socket's (butter.net's local_address, ABI 1.7). The verdict goes into Connect (upgrade.cpp), so
// that the two ends of a punch know who opens many sockets and who guesses ports. A host before
// ABI 1.7 gives no local address, and a peer before Mapping refuses the unknown type: then
// nothing is learnt, and punches spread as configured.
#include "upgrader.hpp"

namespace butter::nat {

void Upgrader::ask_mapping(const std::string& peer) {
  if (!punch_.v1 || !config_.enabled) return;
  auto st = port_.request(peer, kNatProtocol, encode_mapping_request(), request_timeout_,
                          [this, peer](const butter::Response& r) { on_mapping_answer(peer, r); });
  if (!st) port_.log().debug("cannot ask {} where it sees this node: {}", peer.substr(0, 8), st.message());
}

void Upgrader::on_mapping_answer(const std::string& peer, const butter::Response& r) {
  if (!r.ok()) {
    port_.log().debug("{} does not say where it sees this node: {}", peer.substr(0, 8), r.error());
    return;
  }
  std::string why;
  auto seen = decode_mapping_answer(r.bytes().data(), r.bytes().size(), why);
  if (!seen) {
    port_.malformed();
    port_.log().debug("malformed mapping answer from {}: {}", peer.substr(0, 8), why);
    return;
  }
  // The socket the answer came back over: the connection the question went out on (one per pair).
  if (const auto p = port_.peer(peer); p && p->remote_address.rfind("tcp://", 0) == 0) {
    std::string local_ip;
    std::uint16_t local = 0;
    if (!split_tcp_endpoint(p->local_address, local_ip, local) || local == 0) return;  // a host before ABI 1.7
    // Seen at our own address: no NAT between us (a LAN peer), which says nothing of the NAT
    // the rest of the network sees us through.
    if (local_ip == seen->ip) return;
    const Mapping before = mapping_.verdict(port_.now_ms());
    mapping_.observe(peer, local, seen->port, port_.now_ms());
    metrics_.mapping_answers.add();
    const Mapping after = mapping_.verdict(port_.now_ms());
    metrics_.port_mapping.set(static_cast<double>(static_cast<int>(after)));
    port_.log().debug("{} sees this node's port {} as {}:{}", peer.substr(0, 8), local, seen->ip, seen->port);
    if (after != before) port_.log().info("this node's NAT port mapping: {}", mapping_name(after));
    return;
  }
}

void Upgrader::serve_mapping(const std::string& from, butter::Reply& reply) {
  if (const auto p = port_.peer(from)) {
    std::string host;
    std::uint16_t port = 0;
    if (split_tcp_endpoint(p->remote_address, host, port) && numeric_ip(host) && port != 0) {
      reply.ok(encode_mapping_answer(MappingAnswer{host, port}));
      return;
    }
  }
  reply.fail(BUTTER_E_UNAVAILABLE, "you are not connected here over tcp");
}

}  // namespace butter::nat
