// Vouching for a relayed peer's IP: where the punch spread may go (punch_plan.hpp).
//
// When a relayed circuit opens, each end asks the ambassador relaying it (/butter/nat/1 Observe)
// which IP it sees the other end's direct connection come from, and keeps the answer for that
// peer. The ambassador answers only the two ends of a circuit it relays, about each other: it does
// not tell anyone else where its clients are (NatAmbassador::serve_observe, relay.cpp). An
// ambassador before Observe refuses the unknown type: nothing is vouched, and punches to that peer
// go without spread. The vouches are the Upgrader's.
#include "upgrader.hpp"

namespace butter::nat {

void Upgrader::ask_observed(const std::string& ambassador, const std::string& peer) {
  if (!punch_.v1 || !config_.enabled || !punch_.v2 || !config_.spreads()) return;
  auto st = port_.request(ambassador, kNatProtocol, encode_observe(peer), request_timeout_,
                          [this, ambassador, peer](const butter::Response& r) {
                            if (!r.ok()) {
                              port_.log().debug("ambassador {} vouches for no IP of {}: {}", ambassador.substr(0, 8),
                                                peer.substr(0, 8), r.error());
                              return;
                            }
                            std::string why;
                            auto ip = decode_observed_ip(r.bytes().data(), r.bytes().size(), why);
                            if (!ip) {
                              port_.malformed();
                              port_.log().debug("malformed observe answer from {}: {}", ambassador.substr(0, 8), why);
                              return;
                            }
                            vouched_.remember(peer, *ip);
                          });
  if (!st)
    port_.log().debug("cannot ask {} for the IP of {}: {}", ambassador.substr(0, 8), peer.substr(0, 8), st.message());
}

}  // namespace butter::nat
