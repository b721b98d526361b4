// AmbassadorChoice (ambassador_choice.hpp), a private node's ambassador: choose one among the
// connected hosts that announced themselves public and serving, by quality (butter.peers/1 when a
// cache runs), register, keep the registration fresh every keepalive, and move to another one
// when it fails or goes away. Moving takes at most keepalive + request_timeout after the
// ambassador stops answering (at once when its connection drops). The relay endpoint is announced
// in status messages.
#include "ambassador_choice.hpp"

#include <butter/iface/peers.h>

#include <utility>

namespace butter::nat {

AmbassadorChoice::AmbassadorChoice(NatPort& port, RelayLink& link, const butter::Services& services,
                                   const Reachability& reach, const ReachabilityConfig& reach_config,
                                   const std::string& self, const std::chrono::milliseconds& keepalive,
                                   const std::chrono::milliseconds& request_timeout, const butter::Metrics& metrics,
                                   Links links)
    : port_(port),
      link_(link),
      services_(services),
      reach_(reach),
      reach_config_(reach_config),
      self_(self),
      keepalive_(keepalive),
      request_timeout_(request_timeout),
      links_(std::move(links)),
      metrics_(metrics) {}

// A candidate that failed or refused is passed over for five keepalives.
std::uint64_t AmbassadorChoice::exclusion_end(std::uint64_t from_ms) const {
  return from_ms + static_cast<std::uint64_t>(keepalive_.count()) * 5;
}

std::string AmbassadorChoice::tcp_endpoint_of(const std::string& peer) {
  auto list = port_.peers();
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

void AmbassadorChoice::keep() {
  if (reach_.verdict.state() != Reach::Private || reach_config_.mode == "public") return;
  if (mine_.id.empty()) return choose();
  const std::string amb = mine_.id;
  RelayMessage reg;
  reg.type = RelayType::Register;
  auto st =
      port_.request(amb, kRelayProtocol, encode_relay(reg), request_timeout_, [this, amb](const butter::Response& r) {
        if (amb != mine_.id) return;
        if (!r.ok()) {
          drop("keepalive failed: " + r.error(), true);
          choose();
        }
      });
  if (!st) {
    drop("keepalive not sent: " + st.message(), true);
    choose();
  }
}

void AmbassadorChoice::choose() {
  if (reach_.verdict.state() != Reach::Private || !mine_.id.empty() || !mine_.registering.empty()) return;
  const auto t = port_.now_ms();
  auto peers_svc = services_.acquire<butter_peers_v1>(BUTTER_IFACE_PEERS);
  std::vector<AmbassadorCandidate> cands;
  for (const auto& p : port_.peers()) {
    auto st = reach_.statuses.find(p.node_id);
    if (st == reach_.statuses.end() || st->second.status.verdict != Reach::Public || !st->second.status.serving)
      continue;
    if (p.remote_address.rfind("tcp://", 0) != 0) continue;
    AmbassadorCandidate c;
    c.id = p.node_id;
    c.clients = st->second.status.clients;
    c.max_clients = st->second.status.max_clients;
    c.excluded = mine_.excluded(c.id, t);
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
  mine_.registering = *best;
  RelayMessage reg;
  reg.type = RelayType::Register;
  const std::string amb = *best;
  auto st = port_.request(amb, kRelayProtocol, encode_relay(reg), request_timeout_,
                          [this, amb](const butter::Response& r) { on_registered(amb, r); });
  if (!st) {
    mine_.registering.clear();
    mine_.exclude(amb, exclusion_end(t));
  }
}

void AmbassadorChoice::on_registered(const std::string& amb, const butter::Response& r) {
  if (mine_.registering == amb) mine_.registering.clear();
  const auto t = port_.now_ms();
  if (!r.ok()) {
    port_.log().info("ambassador candidate {} refused: {}", amb.substr(0, 8), r.error());
    mine_.exclude(amb, exclusion_end(t));
    return choose();
  }
  if (reach_.verdict.state() != Reach::Private) {
    RelayMessage un;
    un.type = RelayType::Unregister;
    (void)link_.send(amb, un);
    return;
  }
  const std::string tcp = tcp_endpoint_of(amb);
  if (tcp.empty()) {
    port_.log().warn("ambassador {} has no usable tcp endpoint; trying another", amb.substr(0, 8));
    mine_.exclude(amb, exclusion_end(t));
    return choose();
  }
  if (mine_.adopt(amb, format_relay_endpoint(RelayEndpoint{amb, tcp, self_}))) metrics_.moves.add();
  metrics_.acquired.add();
  port_.log().info("ambassador {}: reachable at {}", amb.substr(0, 8), mine_.relay_endpoint);
  links_.changed();
}

void AmbassadorChoice::drop(const std::string& why, bool exclude) {
  if (mine_.id.empty()) return;
  port_.log().info("leaving ambassador {}: {}", mine_.id.substr(0, 8), why);
  if (exclude) mine_.failed(exclusion_end(port_.now_ms()));
  // Best effort (it may be gone): free our slot there at once.
  RelayMessage un;
  un.type = RelayType::Unregister;
  (void)link_.send(mine_.id, un);
  // Streams through it are dead or about to be: close them now.
  links_.left(mine_.id);
  mine_.clear();
  links_.changed();
}

void AmbassadorChoice::peer_down(const std::string& peer) {
  if (peer == mine_.id) {
    drop("its connection went down", true);
    choose();
  }
  if (peer == mine_.registering) mine_.registering.clear();
}

}  // namespace butter::nat
