// Reachability: asking peers to dial us back, the verdict, and the status announcements that tell
// peers what we are (and where our relay endpoint is); and each /butter/nat/1 message to the
// concept it is for. Answering dial-back requests is DialBackServer's (dialback_server.cpp).
#include "nat_plugin.hpp"

#include <butter/iface/peers.h>

#include <algorithm>
#include <random>

namespace butter::nat {

// ---- the state (reachability.hpp) ------------------------------------------------------------

std::vector<std::string> Reachability::known_public() const {
  std::vector<std::string> out;
  for (const auto& [id, st] : statuses)
    if (st.status.verdict == Reach::Public) out.push_back(id);
  return out;
}

// ---- asking: checks and the verdict -------------------------------------------------------------

std::vector<std::uint16_t> NatAmbassador::own_ports() const {
  std::vector<std::uint16_t> ports;
  for (const auto& ep : node().endpoints()) {
    std::string host;
    std::uint16_t port = 0;
    if (!split_tcp_endpoint(ep, host, port) || port == 0) continue;
    if (std::find(ports.begin(), ports.end(), port) == ports.end()) ports.push_back(port);
    if (ports.size() == kMaxDialBackPorts) break;
  }
  return ports;
}

void NatAmbassador::schedule_check() {
  auto delay = reach_.verdict.state() == Reach::Unknown ? reach_config_.check_fast : reach_config_.check_slow;
  reach_.check_timer = after(delay, [this] {
    check_reachability();
    schedule_check();
  });
}

void NatAmbassador::check_reachability() {
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
  for (const auto& p : peers()) {
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
    if (auto peers_svc = services().acquire<butter_peers_v1>(BUTTER_IFACE_PEERS)) {
      struct Ctx {
        std::vector<std::string>* ids;
        const std::set<std::string>* asking;
        std::string self;
      } ctx{&ids, &reach_.asking, std::string(node().id())};
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
    reach_metrics_.asked.add();
    auto st = request(id, kNatProtocol, encode_dialback(DialBackRequest{ports}),
                      reach_config_.dialback_timeout + request_timeout_,
                      [this, id](const butter::Response& r) { on_dialback_answer(id, r); });
    if (!st) reach_.asking.erase(id);
    if (st) upgrader_.ask_mapping(id);
  }
}

void NatAmbassador::on_dialback_answer(const std::string& peer, const butter::Response& r) {
  reach_.asking.erase(peer);
  if (!r.ok()) {
    log().debug("dial-back by {} not done: {}", peer.substr(0, 8), r.error());
    return;  // not a result: the peer could not or would not try
  }
  std::string why;
  auto res = decode_dialback_result(r.bytes().data(), r.bytes().size(), why);
  if (!res) {
    port_.malformed();
    log().warn("malformed dial-back result from {}: {}", peer.substr(0, 8), why);
    return;
  }
  // Where the peer saw us from: a punching candidate once enough distinct peers agree.
  observed_.observe(peer, res->observed, now_ms());
  bool reached = std::any_of(res->reached.begin(), res->reached.end(), [](std::uint8_t v) { return v != 0; });
  (reached ? reach_metrics_.reached : reach_metrics_.unreached).add();
  log().debug("dial-back by {} from {}: {}", peer.substr(0, 8), res->observed, reached ? "reached" : "not reached");
  set_verdict_from(reach_.verdict.observe(peer, reached));
}

void NatAmbassador::set_verdict_from(bool changed) {
  reach_metrics_.verdict.set(static_cast<double>(static_cast<int>(reach_.verdict.state())));
  if (!changed) return;
  reach_metrics_.verdict_changes.add();
  log().info("reachability verdict: {}", reach_name(reach_.verdict.state()));
  if (reach_.verdict.state() == Reach::Public) {
    ambassador_.drop("this node is public", false);
  } else if (reach_.verdict.state() == Reach::Private) {
    // No longer an ambassador: let the clients go elsewhere.
    relay_server_.stop_serving();
    ambassador_.choose();
  }
  announce();
}

// ---- status announcements ---------------------------------------------------------------------

StatusMessage NatAmbassador::status_message() const {
  StatusMessage s;
  s.verdict = reach_.verdict.state();
  s.serving = relay_server_.serving() && relay_server_.clients() < limits_.max_clients;
  s.clients = static_cast<std::uint32_t>(relay_server_.clients());
  s.max_clients = limits_.max_clients;
  s.relay_endpoint = ambassador_.relay_endpoint();
  return s;
}

// A status goes to a peer when it comes up and to every peer when it changes, not every period:
// a message on every connection every status_ms kept each of them active, so that the host never
// closed an idle connection and could not tell the ones in use when trimming (measured with the
// embedded manifest: 300 nodes kept about 20 connections each where their overlay used 8 to 12).
void NatAmbassador::announce() {
  auto bytes = encode_status(status_message());
  std::set<std::string> owed;
  if (bytes == reach_.announced) {
    owed.swap(reach_.status_owed);  // only the peers that missed the last one
    if (owed.empty()) return;
  } else {
    reach_.announced = bytes;
    reach_.status_owed.clear();
    for (const auto& p : peers()) owed.insert(p.node_id);
  }
  for (const auto& peer : owed)
    if (!send(peer, kNatProtocol, bytes)) reach_.status_owed.insert(peer);
}

void NatAmbassador::announce_to(const std::string& peer) {
  if (send(peer, kNatProtocol, encode_status(status_message()))) {
    reach_.status_owed.erase(peer);
  } else {
    reach_.status_owed.insert(peer);
  }
}

void NatAmbassador::on_status(const std::string& from, const StatusMessage& s) {
  if (!s.relay_endpoint.empty()) {
    std::string why;
    auto ep = parse_relay_endpoint(s.relay_endpoint, why);
    if (!ep || ep->client != from) {
      port_.malformed();
      log().warn("status from {} advertises a relay endpoint for another node; ignored", from.substr(0, 8));
      return;
    }
    // Newest first: sending to `from` by id now tries the relay before its unreachable tcp.
    if (streams_.available()) {
      (void)streams_.prefer_address(from, s.relay_endpoint);
    } else {
      add_address(from, s.relay_endpoint);
    }
  }
  reach_.statuses[from] = Reachability::PeerStatus{s, now_ms()};
  if (reach_.verdict.state() == Reach::Private && ambassador_.id().empty() && s.verdict == Reach::Public && s.serving)
    ambassador_.choose();
}

void NatAmbassador::handle_nat(const butter::Request& req, butter::Reply& reply) {
  const std::string from(req.from());
  const auto* data = req.bytes().data();
  const auto len = req.bytes().size();
  auto type = nat_type(data, len);
  std::string why;
  if (!type) {
    port_.malformed();
    log().debug("malformed /butter/nat/1 message from {}: unknown type", from.substr(0, 8));
    reply.fail(BUTTER_E_INVALID, "unknown message type");
    return;
  }
  switch (*type) {
    case NatType::DialBack: {
      auto d = decode_dialback(data, len, why);
      if (!d || !req.expects_reply()) {
        port_.malformed();
        log().debug("malformed dial-back request from {}: {}", from.substr(0, 8), d ? "not a request" : why);
        reply.fail(BUTTER_E_INVALID, why);
        return;
      }
      dialback_server_.serve(from, *d, std::move(reply));
      return;
    }
    case NatType::Status: {
      auto s = decode_status(data, len, why);
      if (!s) {
        port_.malformed();
        log().debug("malformed status from {}: {}", from.substr(0, 8), why);
        return;
      }
      on_status(from, *s);
      return;
    }
    case NatType::Connect: {
      auto connect = decode_connect(data, len, why);
      if (!connect || !req.expects_reply()) {
        port_.malformed();
        log().debug("malformed connect from {}: {}", from.substr(0, 8), connect ? "not a request" : why);
        reply.fail(BUTTER_E_INVALID, connect ? "connect must be a request" : why);
        return;
      }
      upgrader_.on_connect(from, *connect, reply);
      return;
    }
    case NatType::Sync:
      if (len != 1) {
        port_.malformed();
        return;
      }
      upgrader_.on_sync(from);
      return;
    case NatType::Ping:
      reply.ok_parts({"pong:", req.text().substr(1)});  // no joined copy: the host queues the parts
      return;
    case NatType::Mapping:
      if (len != 1 || !req.expects_reply()) {
        port_.malformed();
        reply.fail(BUTTER_E_INVALID, "mapping must be a request of one byte");
        return;
      }
      upgrader_.serve_mapping(from, reply);
      return;
    case NatType::Observe: {
      auto node = decode_observe(data, len, why);
      if (!node || !req.expects_reply()) {
        port_.malformed();
        log().debug("malformed observe request from {}: {}", from.substr(0, 8), node ? "not a request" : why);
        reply.fail(BUTTER_E_INVALID, node ? "observe must be a request" : why);
        return;
      }
      serve_observe(from, *node, reply);
      return;
    }
  }
}

}  // namespace butter::nat
