// ReachabilityCheck (reachability_check.hpp): asking peers to dial us back, the verdict, and the
// status announcements that tell peers what we are (and where our relay endpoint is). Answering
// dial-back requests is DialBackServer's (dialback_server.cpp).
#include "reachability_check.hpp"

#include <butter/iface/peers.h>

#include <algorithm>
#include <random>
#include <utility>

namespace butter::nat {

// ---- the state (reachability.hpp) ------------------------------------------------------------

std::vector<std::string> Reachability::known_public() const {
  std::vector<std::string> out;
  for (const auto& [id, st] : statuses)
    if (st.status.verdict == Reach::Public) out.push_back(id);
  return out;
}

// ---- asking: checks and the verdict -------------------------------------------------------------

ReachabilityCheck::ReachabilityCheck(NatPort& port, const butter::Services& services, Reachability& reach,
                                     const ReachabilityConfig& config, ObservedAddresses& observed,
                                     const std::string& self, const std::chrono::milliseconds& request_timeout,
                                     const butter::Metrics& metrics, Links links)
    : port_(port),
      services_(services),
      reach_(reach),
      reach_config_(config),
      observed_(observed),
      self_(self),
      request_timeout_(request_timeout),
      links_(std::move(links)),
      metrics_(metrics) {}

void ReachabilityCheck::start() {
  const std::string& mode = reach_config_.mode;
  if (mode != "auto") set_verdict_from(reach_.verdict.force(mode == "public" ? Reach::Public : Reach::Private));
  // Nothing listens: private from the start, no need to wait for a first check.
  if (mode == "auto" && own_ports().empty()) set_verdict_from(reach_.verdict.force(Reach::Private));
  schedule_check();
}

void ReachabilityCheck::start_announcing(std::chrono::milliseconds every) {
  status_timer_ = port_.every(every, [this] { announce(); });
}

void ReachabilityCheck::stop() {
  check_timer_.cancel();
  status_timer_.cancel();
}

std::vector<std::uint16_t> ReachabilityCheck::own_ports() const {
  std::vector<std::uint16_t> ports;
  for (const auto& ep : port_.endpoints()) {
    std::string host;
    std::uint16_t port = 0;
    if (!split_tcp_endpoint(ep, host, port) || port == 0) continue;
    if (std::find(ports.begin(), ports.end(), port) == ports.end()) ports.push_back(port);
    if (ports.size() == kMaxDialBackPorts) break;
  }
  return ports;
}

void ReachabilityCheck::schedule_check() {
  auto delay = reach_.verdict.state() == Reach::Unknown ? reach_config_.check_fast : reach_config_.check_slow;
  check_timer_ = port_.after(delay, [this] {
    check();
    schedule_check();
  });
}

void ReachabilityCheck::check() {
  if (reach_config_.mode != "auto") {
    set_verdict_from(reach_.verdict.force(reach_config_.mode == "public" ? Reach::Public : Reach::Private));
    return;
  }
  auto ports = own_ports();
  if (ports.empty()) {
    // Nothing listens: nobody can connect to us, whatever the network.
    set_verdict_from(reach_.verdict.force(Reach::Private));
    return;
  }
  const unsigned probes = reach_config_.probes;
  std::vector<std::string> ids;
  for (const auto& p : port_.peers()) {
    if (p.remote_address.rfind("tcp://", 0) != 0) continue;  // relayed peers cannot tell
    if (reach_.asking.count(p.node_id)) continue;
    ids.push_back(p.node_id);
  }
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::shuffle(ids.begin(), ids.end(), rng);
  if (ids.size() > probes) ids.resize(probes);
  // Undecided with too few direct peers to make a quorum (a node behind NAT whose overlay
  // neighbours are relayed): ask known hosts too, by id; the request dials them. A host we can
  // only reach through a relay answers that it has no tcp connection, which is not counted.
  if (reach_.verdict.state() == Reach::Unknown && ids.size() < std::max<std::size_t>(reach_config_.quorum, 1)) {
    if (auto peers_svc = services_.acquire<butter_peers_v1>(BUTTER_IFACE_PEERS)) {
      struct Ctx {
        std::vector<std::string>* ids;
        const std::set<std::string>* asking;
        std::string self;
      } ctx{&ids, &reach_.asking, self_};
      peers_svc->sample(
          peers_svc.provider(), 2 * probes,
          [](void* user, const butter_peer_record* r) {
            auto* c = static_cast<Ctx*>(user);
            if (!r || !r->node_id.data) return;
            std::string id(r->node_id.data, r->node_id.len);
            bool tcp = false;
            for (std::uint32_t i = 0; i < r->endpoint_count && r->endpoints; ++i)
              tcp = tcp || std::string_view(r->endpoints[i].data, r->endpoints[i].len).rfind("tcp://", 0) == 0;
            if (!tcp || id == c->self || c->asking->count(id)) return;
            if (std::find(c->ids->begin(), c->ids->end(), id) == c->ids->end()) c->ids->push_back(id);
          },
          &ctx);
      if (ids.size() > probes) ids.resize(probes);
    }
  }
  for (const auto& id : ids) {
    reach_.asking.insert(id);
    metrics_.asked.add();
    auto st = port_.request(id, kNatProtocol, encode_dialback(DialBackRequest{ports}),
                            reach_config_.dialback_timeout + request_timeout_,
                            [this, id](const butter::Response& r) { on_dialback_answer(id, r); });
    if (!st) reach_.asking.erase(id);
    if (st) links_.asked(id);
  }
}

void ReachabilityCheck::on_dialback_answer(const std::string& peer, const butter::Response& r) {
  reach_.asking.erase(peer);
  if (!r.ok()) {
    port_.log().debug("dial-back by {} not done: {}", peer.substr(0, 8), r.error());
    return;  // not a result: the peer could not or would not try
  }
  std::string why;
  auto res = decode_dialback_result(r.bytes().data(), r.bytes().size(), why);
  if (!res) {
    port_.malformed();
    port_.log().warn("malformed dial-back result from {}: {}", peer.substr(0, 8), why);
    return;
  }
  // Where the peer saw us from: a punching candidate once enough distinct peers agree.
  observed_.observe(peer, res->observed, port_.now_ms());
  bool reached = std::any_of(res->reached.begin(), res->reached.end(), [](std::uint8_t v) { return v != 0; });
  (reached ? metrics_.reached : metrics_.unreached).add();
  port_.log().debug("dial-back by {} from {}: {}", peer.substr(0, 8), res->observed,
                    reached ? "reached" : "not reached");
  set_verdict_from(reach_.verdict.observe(peer, reached));
}

void ReachabilityCheck::set_verdict_from(bool changed) {
  metrics_.verdict.set(static_cast<double>(static_cast<int>(reach_.verdict.state())));
  if (!changed) return;
  metrics_.verdict_changes.add();
  port_.log().info("reachability verdict: {}", reach_name(reach_.verdict.state()));
  links_.verdict_changed(reach_.verdict.state());
  announce();
}

// ---- status announcements ---------------------------------------------------------------------

// A status goes to a peer when it comes up and to every peer when it changes, not every period:
// a message on every connection every status_ms kept each of them active, so that the host never
// closed an idle connection and could not tell the ones in use when trimming (measured with the
// embedded manifest: 300 nodes kept about 20 connections each where their overlay used 8 to 12).
void ReachabilityCheck::announce() {
  auto bytes = encode_status(links_.own_status());
  std::set<std::string> owed;
  if (bytes == reach_.announced) {
    owed.swap(reach_.status_owed);  // only the peers that missed the last one
    if (owed.empty()) return;
  } else {
    reach_.announced = bytes;
    reach_.status_owed.clear();
    for (const auto& p : port_.peers()) owed.insert(p.node_id);
  }
  for (const auto& peer : owed)
    if (!port_.send(peer, kNatProtocol, bytes)) reach_.status_owed.insert(peer);
}

void ReachabilityCheck::announce_to(const std::string& peer) {
  if (port_.send(peer, kNatProtocol, encode_status(links_.own_status()))) {
    reach_.status_owed.erase(peer);
  } else {
    reach_.status_owed.insert(peer);
  }
}

void ReachabilityCheck::on_status(const std::string& from, const StatusMessage& s) {
  if (!s.relay_endpoint.empty()) {
    std::string why;
    auto ep = parse_relay_endpoint(s.relay_endpoint, why);
    if (!ep || ep->client != from) {
      port_.malformed();
      port_.log().warn("status from {} advertises a relay endpoint for another node; ignored", from.substr(0, 8));
      return;
    }
    links_.relay_endpoint_heard(from, s.relay_endpoint);
  }
  reach_.statuses[from] = Reachability::PeerStatus{s, port_.now_ms()};
  if (reach_.verdict.state() == Reach::Private && s.verdict == Reach::Public && s.serving) links_.public_peer_heard();
}

}  // namespace butter::nat
