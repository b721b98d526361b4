// A private node's ambassador: choose one among the connected hosts that announced themselves
// public and serving, by quality (butter.peers/1 when a cache runs), register, keep the
// registration fresh every keepalive, and move to another one when it fails or goes away.
// Moving takes at most keepalive + request_timeout after the ambassador stops answering (at
// once when its connection drops). The relay endpoint is announced in status messages.
#include "nat_plugin.hpp"

#include <butter/iface/peers.h>

namespace butter::nat {

// A candidate that failed or refused is passed over for five keepalives.
std::uint64_t NatAmbassador::exclusion_end(std::uint64_t from_ms) const {
  return from_ms + static_cast<std::uint64_t>(keepalive_.count()) * 5;
}

std::string NatAmbassador::tcp_endpoint_of(const std::string& peer) const {
  auto list = const_cast<NatAmbassador*>(this)->peers();
  for (const auto& p : list) {
    if (p.node_id != peer) continue;
    for (const auto& ep : p.endpoints) {
      std::string host;
      std::uint16_t port = 0;
      if (split_tcp_endpoint(ep, host, port) && port != 0 && !unspecified_host(host)) return ep;
    }
    if (p.outbound && p.remote_address.rfind("tcp://", 0) == 0) return p.remote_address;
  }
  return {};
}

void NatAmbassador::keep_ambassador() {
  if (reach_.verdict.state() != Reach::Private || reach_config_.mode == "public") return;
  if (ambassador_.id.empty()) return choose_ambassador();
  const std::string amb = ambassador_.id;
  RelayMessage reg;
  reg.type = RelayType::Register;
  auto st = request(amb, kRelayProtocol, encode_relay(reg), request_timeout_, [this, amb](const butter::Response& r) {
    if (amb != ambassador_.id) return;
    if (!r.ok()) {
      drop_ambassador("keepalive failed: " + r.error(), true);
      choose_ambassador();
    }
  });
  if (!st) {
    drop_ambassador("keepalive not sent: " + st.message(), true);
    choose_ambassador();
  }
}

void NatAmbassador::choose_ambassador() {
  if (reach_.verdict.state() != Reach::Private || !ambassador_.id.empty() || !ambassador_.registering.empty()) return;
  const auto t = now_ms();
  auto peers_svc = services().acquire<butter_peers_v1>(BUTTER_IFACE_PEERS);
  std::vector<AmbassadorCandidate> cands;
  for (const auto& p : peers()) {
    auto st = reach_.statuses.find(p.node_id);
    if (st == reach_.statuses.end() || st->second.status.verdict != Reach::Public || !st->second.status.serving)
      continue;
    if (p.remote_address.rfind("tcp://", 0) != 0) continue;
    AmbassadorCandidate c;
    c.id = p.node_id;
    c.clients = st->second.status.clients;
    c.max_clients = st->second.status.max_clients;
    c.excluded = ambassador_.excluded(c.id, t);
    if (peers_svc && peers_svc->lookup) {
      struct Q {
        int cls = -1;
        std::uint64_t up = 0;
      } q;
      peers_svc->lookup(
          peers_svc.provider(), butter::to_c(c.id),
          [](void* user, const butter_peer_record* rec) {
            auto* out = static_cast<Q*>(user);
            out->cls = rec->quality_class;
            if (rec->quality_known) out->up = rec->quality.uptime_s;
          },
          &q);
      c.quality_class = q.cls;
      c.uptime_s = q.up;
    }
    cands.push_back(std::move(c));
  }
  auto best = pick_ambassador(cands);
  if (!best) return;
  ambassador_.registering = *best;
  RelayMessage reg;
  reg.type = RelayType::Register;
  const std::string amb = *best;
  auto st = request(amb, kRelayProtocol, encode_relay(reg), request_timeout_,
                    [this, amb](const butter::Response& r) { on_registered(amb, r); });
  if (!st) {
    ambassador_.registering.clear();
    ambassador_.exclude(amb, exclusion_end(t));
  }
}

void NatAmbassador::on_registered(const std::string& amb, const butter::Response& r) {
  if (ambassador_.registering == amb) ambassador_.registering.clear();
  const auto t = now_ms();
  if (!r.ok()) {
    log().info("ambassador candidate {} refused: {}", amb.substr(0, 8), r.error());
    ambassador_.exclude(amb, exclusion_end(t));
    return choose_ambassador();
  }
  if (reach_.verdict.state() != Reach::Private) {
    RelayMessage un;
    un.type = RelayType::Unregister;
    (void)relay_link_.send(amb, un);
    return;
  }
  const std::string tcp = tcp_endpoint_of(amb);
  if (tcp.empty()) {
    log().warn("ambassador {} has no usable tcp endpoint; trying another", amb.substr(0, 8));
    ambassador_.exclude(amb, exclusion_end(t));
    return choose_ambassador();
  }
  if (ambassador_.adopt(amb, format_relay_endpoint(RelayEndpoint{amb, tcp, self_}))) ambassador_metrics_.moves.add();
  ambassador_metrics_.acquired.add();
  log().info("ambassador {}: reachable at {}", amb.substr(0, 8), ambassador_.relay_endpoint);
  sync_protection();
  announce();
}

void NatAmbassador::drop_ambassador(const std::string& why, bool exclude) {
  if (ambassador_.id.empty()) return;
  log().info("leaving ambassador {}: {}", ambassador_.id.substr(0, 8), why);
  if (exclude) ambassador_.failed(exclusion_end(now_ms()));
  // Best effort (it may be gone): free our slot there at once.
  RelayMessage un;
  un.type = RelayType::Unregister;
  (void)relay_link_.send(ambassador_.id, un);
  // Streams through it are dead or about to be: close them now.
  relay_ends_.left(ambassador_.id);
  ambassador_.clear();
  sync_protection();
  announce();
}

}  // namespace butter::nat
