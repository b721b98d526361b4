// A private node's ambassador: choose one among the connected hosts that announced themselves
// public and serving, by quality (butter.peers/1 when a cache runs), register, keep the
// registration fresh every keepalive, and move to another one when it fails or goes away.
// Moving takes at most keepalive + request_timeout after the ambassador stops answering (at
// once when its connection drops). The relay endpoint is announced in status messages.
#include "nat_plugin.hpp"

#include <butter/iface/peers.h>

namespace butter::nat {

bool NatAmbassador::serving() const { return limits_.serve && verdict_.state() == Reach::Public; }

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
  if (verdict_.state() != Reach::Private || mode_ == "public") return;
  if (ambassador_.empty()) return choose_ambassador();
  const std::string amb = ambassador_;
  RelayMessage reg;
  reg.type = RelayType::Register;
  auto st = request(amb, kRelayProtocol, encode_relay(reg), request_timeout_, [this, amb](const butter::Response& r) {
    if (amb != ambassador_) return;
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
  if (verdict_.state() != Reach::Private || !ambassador_.empty() || !registering_.empty()) return;
  const auto t = static_cast<std::uint64_t>(now().count());
  auto peers_svc = services().acquire<butter_peers_v1>(BUTTER_IFACE_PEERS);
  std::vector<AmbassadorCandidate> cands;
  for (const auto& p : peers()) {
    auto st = statuses_.find(p.node_id);
    if (st == statuses_.end() || st->second.status.verdict != Reach::Public || !st->second.status.serving) continue;
    if (p.remote_address.rfind("tcp://", 0) != 0) continue;
    AmbassadorCandidate c;
    c.id = p.node_id;
    c.clients = st->second.status.clients;
    c.max_clients = st->second.status.max_clients;
    if (auto ex = excluded_.find(c.id); ex != excluded_.end()) {
      if (ex->second > t)
        c.excluded = true;
      else
        excluded_.erase(ex);
    }
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
  registering_ = *best;
  RelayMessage reg;
  reg.type = RelayType::Register;
  const std::string amb = *best;
  auto st = request(amb, kRelayProtocol, encode_relay(reg), request_timeout_,
                    [this, amb](const butter::Response& r) { on_registered(amb, r); });
  if (!st) {
    registering_.clear();
    excluded_[amb] = t + static_cast<std::uint64_t>(keepalive_.count()) * 5;
  }
}

void NatAmbassador::on_registered(const std::string& amb, const butter::Response& r) {
  if (registering_ == amb) registering_.clear();
  const auto t = static_cast<std::uint64_t>(now().count());
  if (!r.ok()) {
    log().info("ambassador candidate {} refused: {}", amb.substr(0, 8), r.error());
    excluded_[amb] = t + static_cast<std::uint64_t>(keepalive_.count()) * 5;
    return choose_ambassador();
  }
  if (verdict_.state() != Reach::Private) {
    RelayMessage un;
    un.type = RelayType::Unregister;
    (void)send_relay(amb, un);
    return;
  }
  const std::string tcp = tcp_endpoint_of(amb);
  if (tcp.empty()) {
    log().warn("ambassador {} has no usable tcp endpoint; trying another", amb.substr(0, 8));
    excluded_[amb] = t + static_cast<std::uint64_t>(keepalive_.count()) * 5;
    return choose_ambassador();
  }
  const bool moved = moves_pending_;
  moves_pending_ = false;
  ambassador_ = amb;
  relay_endpoint_ = format_relay_endpoint(RelayEndpoint{amb, tcp, self_});
  if (moved) {
    ++moves_;
    moves_total_.add();
  }
  registrations_.add();
  log().info("ambassador {}: reachable at {}", amb.substr(0, 8), relay_endpoint_);
  sync_protection();
  announce();
}

void NatAmbassador::drop_ambassador(const std::string& why, bool exclude) {
  if (ambassador_.empty()) return;
  log().info("leaving ambassador {}: {}", ambassador_.substr(0, 8), why);
  if (exclude) {
    excluded_[ambassador_] =
        static_cast<std::uint64_t>(now().count()) + static_cast<std::uint64_t>(keepalive_.count()) * 5;
    moves_pending_ = true;
  }
  // Best effort (it may be gone): free our slot there at once.
  RelayMessage un;
  un.type = RelayType::Unregister;
  (void)send_relay(ambassador_, un);
  // Streams through it are dead or about to be: close them now.
  std::vector<std::uint64_t> streams;
  for (const auto& [id, s] : host_streams_)
    if (s.inbound && s.ambassador == ambassador_) streams.push_back(id);
  for (auto id : streams) end_host_stream(id, "left the ambassador");
  ambassador_.clear();
  relay_endpoint_.clear();
  sync_protection();
  announce();
}

}  // namespace butter::nat
