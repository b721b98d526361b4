// Relayed streams over /butter/relay/1, and this node's part in them as an ambassador.
//
//   origin (sender)            ambassador                      target (private client)
//   host dials relay://A@.../T
//   dial(H) --Open(H, T)-->    relay id R, Incoming(R, origin) --> streams.accept -> host id H'
//   write(H) --Data(FromOrigin,H)--> Data(ToTarget,R) -----------> deliver(H')
//   deliver(H) <--Data(ToOrigin,H)-- Data(FromTarget,R) <--------- write(H')
//   Close travels the same way; a peer going down closes every relay that uses it.
//   Flow and Credit (relay_flow.hpp) bound what each end sends ahead of what the other took:
//   Flow(FromOrigin, H, window) precedes Open and Flow(ToTarget, R, window) precedes Incoming;
//   Credit travels like Data.
//
// Each hop is an ordinary (Noise-secured) Butter connection; the bytes inside Data are the
// origin's and target's own Noise session, so the ambassador forwards ciphertext it cannot read.
// The ambassador (this class) enforces max_clients (at Register), max_circuits_per_client (at
// Open), the windows of flow-controlled circuits, and per relayed connection a byte limit (both
// directions together) and a time limit (swept every 500 ms). The ends are RelayEnds'.
#include "relay_server.hpp"

#include <butter/network_key.hpp>

#include <algorithm>
#include <utility>

namespace butter::nat {

RelayServer::RelayServer(NatPort& port, RelayLink& link, const Limits& limits, Capture& capture,
                         const std::chrono::milliseconds& keepalive, const butter::Metrics& metrics, Links links)
    : port_(port),
      link_(link),
      limits_(limits),
      capture_(capture),
      keepalive_(keepalive),
      links_(std::move(links)),
      metrics_(metrics) {}

bool RelayServer::serving() const { return limits_.serve && links_.node_public(); }

std::optional<std::string> RelayServer::admit(const std::string& client) {
  if (!serving()) return "this node does not serve as an ambassador now";
  if (!clients_.has(client) && clients_.size() >= limits_.max_clients) {
    metrics_.limit_hits.add();
    return "ambassador full (max_clients)";
  }
  if (clients_.refresh(client, port_.now_ms())) {
    metrics_.clients_accepted.add();
    port_.log().info("serving {} as its ambassador", client.substr(0, 8));
  }
  count_clients();
  links_.protection_changed();
  return std::nullopt;
}

void RelayServer::on_unregister(const std::string& from) {
  if (!clients_.remove(from)) return;
  count_clients();
  for (auto r : circuits_.with_target(from)) end_circuit(r, "the client left this ambassador", true, false);
}

void RelayServer::on_open(const std::string& from, const RelayMessage& m) {
  auto refuse = [&](const std::string& why) { link_.send_close(from, Leg::ToOrigin, m.stream, why); };
  if (circuits_.by_origin(from, m.stream)) {
    port_.malformed();
    return;
  }
  if (!serving()) return refuse("not an ambassador");
  if (!clients_.has(m.node)) return refuse("not a client of this ambassador");
  const auto flow = flow_offers_.take(from, m.stream);
  if (circuits_.count_to(m.node) >= limits_.max_circuits_per_client) {
    metrics_.limit_hits.add();
    return refuse("too many relayed connections to this client (max_circuits_per_client)");
  }
  std::string address = origin_address(from);
  if (!address.empty() && circuits_.count_to_from(m.node, address) >= limits_.max_circuits_per_address()) {
    metrics_.limit_hits.add();
    return refuse(
        "too many relayed connections to this client from one address (a quarter of "
        "max_circuits_per_client)");
  }
  const std::uint64_t r = circuits_.open(from, m.stream, m.node, port_.now_ms(), std::move(address));
  links_.protection_changed();
  metrics_.relayed_connections.add();
  if (flow) {
    circuits_.find(r)->flow = CircuitFlow::announced(*flow);
    // Before Incoming, so that the client knows the circuit's window when it accepts the stream.
    (void)link_.send_flow(m.node, RelayType::Flow, Leg::ToTarget, r, clamp_window(*flow));
  }
  RelayMessage in;
  in.type = RelayType::Incoming;
  in.stream = r;
  in.node = from;
  if (link_.send(m.node, in) != BUTTER_OK) end_circuit(r, "the client is unreachable", true, false);
}

// One lookup by id (NatPort::peer), not a copy of every connection: this runs on each Open that
// passed the per-client cap, which any origin can send.
std::string RelayServer::origin_address(const std::string& origin) {
  const auto p = port_.peer(origin);
  if (!p) return {};  // not connected (cannot be: its Open just arrived): unbounded, as loopback
  const butter::NetworkKey k = butter::network_key(p->remote_address);
  return k.loopback ? std::string() : k.address;
}

void RelayServer::on_data(const std::string& from, const RelayDataView& m) {
  std::uint64_t r = 0;
  if (m.leg == Leg::FromOrigin) {
    auto id = circuits_.by_origin(from, m.stream);
    if (!id) return;  // closed meanwhile
    r = *id;
  } else {
    r = m.stream;
  }
  Circuits::Circuit* found = circuits_.find(r);
  if (!found) return;
  Circuits::Circuit& x = *found;
  if (m.leg == Leg::FromTarget && x.target != from) {
    port_.malformed();
    return;
  }
  x.bytes += m.len;
  metrics_.relayed_bytes.add(m.len);
  if (!(m.leg == Leg::FromOrigin ? x.flow.from_origin(m.len) : x.flow.from_target(m.len))) {
    metrics_.window_violations.add();
    port_.log().warn("relayed connection {} sent past its window: ended", r);
    return end_circuit(r, "sent past the window", true, true);
  }
  if (capture_.max) capture_.add(std::string_view(reinterpret_cast<const char*>(m.data), m.len));
  if (limits_.max_relay_bytes && x.bytes > limits_.max_relay_bytes) {
    metrics_.limit_hits.add();
    return end_circuit(r, "relay byte limit reached", true, true);
  }
  // Forwarded from the received payload: header and bytes written once into the new message.
  const std::string to = m.leg == Leg::FromOrigin ? x.target : x.origin;
  const Leg leg = m.leg == Leg::FromOrigin ? Leg::ToTarget : Leg::ToOrigin;
  const std::uint64_t stream = m.leg == Leg::FromOrigin ? r : x.origin_stream;
  if (link_.send_data(to, leg, stream, m.data, m.len) != BUTTER_OK) {
    metrics_.forward_failures.add();
    end_circuit(r, "cannot forward", true, true);
  }
}

void RelayServer::on_close(const std::string& from, const RelayMessage& m) {
  if (m.leg == Leg::FromOrigin) {
    if (auto r = circuits_.by_origin(from, m.stream)) end_circuit(*r, m.body, false, true);
    return;
  }
  const Circuits::Circuit* x = circuits_.find(m.stream);
  if (x && x->target == from) end_circuit(m.stream, m.body, true, false);
}

// A Credit from one end: checked against the circuit's windows and passed on to the other.
void RelayServer::on_credit(const std::string& from, const RelayMessage& m) {
  const auto r = m.leg == Leg::FromOrigin ? circuits_.by_origin(from, m.stream) : std::optional(m.stream);
  Circuits::Circuit* x = r ? circuits_.find(*r) : nullptr;
  if (!x || (m.leg == Leg::FromTarget && x->target != from)) return;  // closed meanwhile
  const bool from_origin = m.leg == Leg::FromOrigin;
  const auto limit = from_origin ? x->flow.credit_from_origin(m.value) : x->flow.credit_from_target(m.value);
  if (!limit) {
    port_.malformed();  // a Credit on a circuit without windows
    return;
  }
  const std::string to = from_origin ? x->target : x->origin;
  if (link_.send_flow(to, RelayType::Credit, from_origin ? Leg::ToTarget : Leg::ToOrigin,
                      from_origin ? *r : x->origin_stream, *limit) != BUTTER_OK) {
    metrics_.forward_failures.add();
    end_circuit(*r, "cannot forward", true, true);
  }
}

bool RelayServer::on_flow(const std::string& from, const RelayMessage& m) {
  if (m.leg != Leg::FromOrigin || !serving()) return false;
  flow_offers_.put(from, m.stream, m.value);
  return true;
}

void RelayServer::end_circuit(std::uint64_t relay_id, const std::string& reason, bool tell_origin, bool tell_target) {
  auto taken = circuits_.take(relay_id);
  if (!taken) return;
  const Circuits::Circuit& x = *taken;
  if (tell_origin) link_.send_close(x.origin, Leg::ToOrigin, x.origin_stream, reason);
  if (tell_target) link_.send_close(x.target, Leg::ToTarget, relay_id, reason);
}

void RelayServer::peer_down(const std::string& peer) {
  if (clients_.remove(peer)) count_clients();
  for (auto [r, origin] : circuits_.using_peer(peer))
    end_circuit(r, origin ? "the origin went away" : "the client went away", !origin, origin);
}

void RelayServer::stop_serving() {
  while (!circuits_.empty()) end_circuit(circuits_.first(), "ambassador became private", true, true);
  clients_.clear();
  metrics_.clients.set(0);
}

void RelayServer::sweep() {
  const auto t = port_.now_ms();
  // Clients that stopped refreshing (moved elsewhere without a word) lose their slot.
  const std::uint64_t expiry = std::max<std::uint64_t>(10000, 10 * static_cast<std::uint64_t>(keepalive_.count()));
  const auto expired = clients_.expire(t, expiry);
  for (const auto& id : expired) port_.log().info("client {} stopped refreshing; slot freed", id.substr(0, 8));
  if (!expired.empty()) count_clients();
  if (!limits_.max_relay_ms) return;
  for (auto r : circuits_.older_than(t, limits_.max_relay_ms)) {
    metrics_.limit_hits.add();
    end_circuit(r, "relay time limit reached", true, true);
  }
}

void RelayServer::needed_peers(std::set<std::string>& out) const {
  for (const auto& id : clients_.ids()) out.insert(id);
  circuits_.ends(out);
}

}  // namespace butter::nat
