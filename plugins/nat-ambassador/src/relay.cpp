// The plugin's side of /butter/relay/1: each message goes to the concept it is for (RelayServer
// when this node relays it, RelayEnds when this node is an end; the protocol is drawn in
// relay_server.cpp), and the connections the relays need are kept protected.
#include "nat_plugin.hpp"

namespace butter::nat {

void NatAmbassador::handle_relay(const butter::Request& req, butter::Reply& reply) {
  const std::string from(req.from());
  // Data, the bulk, is read as a view of the payload (no copy of the bytes it carries).
  if (auto d = decode_relay_data(req.bytes().data(), req.bytes().size())) {
    if (toward_ambassador(d->leg)) return relay_server_.on_data(from, *d);
    return relay_ends_.on_data(from, *d);
  }
  std::string why;
  auto m = decode_relay(req.bytes().data(), req.bytes().size(), why);
  if (!m) {
    port_.malformed();
    log().debug("malformed relay message from {}: {}", from.substr(0, 8), why);
    reply.fail(BUTTER_E_INVALID, why);
    return;
  }
  switch (m->type) {
    case RelayType::Open:
      return relay_server_.on_open(from, *m);
    case RelayType::Incoming:
      return relay_ends_.on_incoming(from, *m);
    case RelayType::Data:
      return;  // decode_relay_data took every well-formed Data
    case RelayType::Close:
      if (toward_ambassador(m->leg)) return relay_server_.on_close(from, *m);
      return relay_ends_.on_close(from, *m);
    case RelayType::Register:
      if (!req.expects_reply()) {
        port_.malformed();
        return;
      }
      if (auto refused = relay_server_.admit(from)) {
        reply.error(BUTTER_E_UNAVAILABLE, *refused);
        return;
      }
      reply.ok();
      return;
    case RelayType::Unregister:
      return relay_server_.on_unregister(from);
    case RelayType::Flow:
      // At the ambassador, an origin's Flow before its Open; at its client, its Flow before Incoming.
      if (relay_server_.on_flow(from, *m) || relay_ends_.on_flow(from, *m)) return;
      port_.malformed();
      return;
    case RelayType::Credit:
      if (toward_ambassador(m->leg)) return relay_server_.on_credit(from, *m);
      return relay_ends_.on_credit(from, *m);
  }
}

// /butter/nat/1 Observe, as an ambassador: the IP it sees `node`, the other end of a circuit of
// `from`'s through here, connect from (vouch.cpp has the asking side).
void NatAmbassador::serve_observe(const std::string& from, const std::string& node, butter::Reply& reply) {
  if (!relay_server_.joins(from, node))
    return reply.fail(BUTTER_E_NOT_FOUND, "no circuit of yours with that node through this ambassador");
  if (const auto p = peer(node)) {
    std::string host;
    std::uint16_t port = 0;
    if (split_tcp_endpoint(p->remote_address, host, port) && numeric_ip(host)) {
      reply.ok(encode_observed_ip(host));
      return;
    }
  }
  reply.fail(BUTTER_E_UNAVAILABLE, "that node is not directly connected here");
}

void NatAmbassador::relay_peer_down(const std::string& peer) {
  relay_server_.peer_down(peer);
  relay_ends_.peer_down(peer);
}

// The connections a relay needs (ambassador, clients, circuits' ends, the ambassadors of this
// node's streams) are protected from the host's trimming and idle closing: the tags are kept
// equal to that set, and the relay endpoint advertised equal to this node's.
void NatAmbassador::sync_protection() {
  if (!conns_.available()) return;
  std::set<std::string> want;
  if (!ambassador_.id().empty()) want.insert(ambassador_.id());
  relay_server_.needed_peers(want);
  relay_ends_.needed_peers(want);
  for (const auto& id : want)
    if (!protection_.peers.count(id)) (void)conns_.protect(id, "nat");
  for (const auto& id : protection_.peers)
    if (!want.count(id)) (void)conns_.unprotect(id, "nat");
  protection_.peers = std::move(want);
  // The relay endpoint is one of this node's own: announce it in HELLO and node endpoints.
  std::string& advertised = protection_.advertised;
  if (advertised != ambassador_.relay_endpoint()) {
    if (!advertised.empty()) (void)conns_.withdraw(advertised);
    advertised = ambassador_.relay_endpoint();
    if (!advertised.empty()) (void)conns_.advertise(advertised);
  }
}

void NatAmbassador::sweep_relays() {
  sync_protection();  // drops what ended since the last sweep (protection is added at once)
  relay_ends_.sweep();
  relay_server_.sweep();
}

}  // namespace butter::nat
