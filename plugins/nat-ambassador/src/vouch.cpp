// Vouching for a relayed peer's IP: where the punch spread may go (punch_plan.hpp).
//
// When a relayed circuit opens, each end asks the ambassador relaying it (/butter/nat/1 Observe)
// which IP it sees the other end's direct connection come from, and keeps the answer for that
// peer. The ambassador answers only the two ends of a circuit it relays, about each other: it does
// not tell anyone else where its clients are. An ambassador before Observe refuses the unknown
// type: nothing is vouched, and punches to that peer go without spread.
#include "nat_plugin.hpp"

namespace butter::nat {

void NatAmbassador::ask_observed(const std::string& ambassador, const std::string& peer) {
  if (!punch_.v1 || !punch_config_.enabled || !punch_.v2 || !punch_config_.spreads()) return;
  auto st = request(ambassador, kNatProtocol, encode_observe(peer), request_timeout_,
                    [this, ambassador, peer](const butter::Response& r) {
                      if (!r.ok()) {
                        log().debug("ambassador {} vouches for no IP of {}: {}", ambassador.substr(0, 8),
                                    peer.substr(0, 8), r.error());
                        return;
                      }
                      std::string why;
                      auto ip = decode_observed_ip(r.bytes().data(), r.bytes().size(), why);
                      if (!ip) {
                        port_.malformed();
                        log().debug("malformed observe answer from {}: {}", ambassador.substr(0, 8), why);
                        return;
                      }
                      vouched_.remember(peer, *ip);
                    });
  if (!st) log().debug("cannot ask {} for the IP of {}: {}", ambassador.substr(0, 8), peer.substr(0, 8), st.message());
}

void NatAmbassador::serve_observe(const std::string& from, const std::string& node, butter::Reply& reply) {
  if (!relay_server_.joins(from, node))
    return reply.fail(BUTTER_E_NOT_FOUND, "no circuit of yours with that node through this ambassador");
  for (const auto& p : peers()) {
    if (p.node_id != node) continue;
    std::string host;
    std::uint16_t port = 0;
    if (split_tcp_endpoint(p.remote_address, host, port) && numeric_ip(host)) {
      reply.ok(encode_observed_ip(host));
      return;
    }
  }
  reply.fail(BUTTER_E_UNAVAILABLE, "that node is not directly connected here");
}

}  // namespace butter::nat
