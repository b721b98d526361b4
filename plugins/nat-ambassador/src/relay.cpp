// Relayed streams over /butter/relay/1.
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
// The ambassador enforces max_clients (at Register), max_circuits_per_client (at Open), the
// windows of flow-controlled circuits, and per relayed connection a byte limit (both directions
// together) and a time limit (swept every 500 ms).
#include "nat_plugin.hpp"

#include <algorithm>

namespace butter::nat {

namespace {
// Data payload per message: a Data frame (20-byte frame header, the protocol id, the Data header,
// the bytes) fits in one 64 KiB secure record, so the hosts on the way parse it where they
// decrypted it instead of assembling it from two records.
constexpr std::size_t kChunk = 64 * 1024 - 20 - std::char_traits<char>::length(kRelayProtocol) - kRelayDataHeader;
}  // namespace

// ---- sending ------------------------------------------------------------------------------------

butter_status NatAmbassador::send_relay(const std::string& peer, const RelayMessage& m) {
  auto st = send(peer, kRelayProtocol, encode_relay(m));
  return st ? BUTTER_OK : st.code();
}

// The bytes are a relayed connection's secure-channel records, which its two ends authenticate:
// sent as the sealed part of send_sealed, so that no hop encrypts them a second time (the header,
// which says whose stream they belong to, stays under the hop's encryption).
butter_status NatAmbassador::send_relay_data(const std::string& peer, Leg leg, std::uint64_t stream,
                                             const std::uint8_t* data, std::size_t len) {
  const auto header = relay_data_header(leg, stream);
  auto st = send_sealed(peer, kRelayProtocol, butter::Bytes(header.data(), header.size()), butter::Bytes(data, len));
  return st ? BUTTER_OK : st.code();
}

// Sends `bytes` of a host stream as Data messages; `taken` says how many went. Stops at the first
// refusal (BUTTER_E_AGAIN when the hop's queue is full).
butter_status NatAmbassador::send_stream_bytes(RelayStreams::Stream& s, std::string_view bytes, std::size_t& taken) {
  taken = 0;
  const auto leg = s.inbound ? Leg::FromTarget : Leg::FromOrigin;
  for (std::size_t at = 0; at < bytes.size(); at += kChunk) {
    const std::string_view chunk = bytes.substr(at, kChunk);
    // Header and bytes written once into the message (the host's bytes are borrowed).
    if (auto st = send_relay_data(s.ambassador, leg, s.wire_id, reinterpret_cast<const std::uint8_t*>(chunk.data()),
                                  chunk.size());
        st != BUTTER_OK)
      return st;
    taken += chunk.size();
  }
  return BUTTER_OK;
}

// Best effort: the peer may be gone, and the leg is over on this side either way.
void NatAmbassador::send_close(const std::string& peer, Leg leg, std::uint64_t stream, const std::string& reason) {
  RelayMessage c;
  c.type = RelayType::Close;
  c.leg = leg;
  c.stream = stream;
  c.body = reason;
  (void)send_relay(peer, c);
}

// ---- the host's side: dial / write / close ----------------------------------------------------

butter_status NatAmbassador::dial(std::string_view uri, std::uint64_t stream_id) {
  std::string why;
  auto ep = parse_relay_endpoint(uri, why);
  if (!ep) {
    log().warn("cannot dial {}: {}", uri, why);
    return BUTTER_E_INVALID;
  }
  if (ep->client == self_) return BUTTER_E_INVALID;
  if (ep->ambassador == self_) {
    // Our own client is connected to us directly; send to its node id instead.
    log().debug("refusing to dial {} through this node itself", uri);
    return BUTTER_E_UNSUPPORTED;
  }
  RelayStreams::Stream s;
  s.inbound = false;
  s.ambassador = ep->ambassador;
  s.wire_id = stream_id;
  s.target = ep->client;
  s.ambassador_tcp = ep->ambassador_tcp;
  s.uri = std::string(uri);
  // Windows only where the host waits out BUTTER_E_AGAIN (butter.streams.flow/1): an older host
  // would close the connection at the first write refused for lack of credit.
  if (streams_.flow_control()) s.flow = EndFlow::origin(limits_.window);
  relay_streams_.add(stream_id, std::move(s));
  sync_protection();
  // The host is inside its routing code now: open from a fresh turn.
  auto st = post([this, stream_id] { relay_open_now(stream_id); });
  if (!st) {
    relay_streams_.take(stream_id);
    return BUTTER_E_UNAVAILABLE;
  }
  return BUTTER_OK;
}

void NatAmbassador::relay_open_now(std::uint64_t stream_id) {
  RelayStreams::Stream* found = relay_streams_.find(stream_id);
  if (!found || found->opened) return;
  RelayStreams::Stream& s = *found;
  if (!s.ambassador_tcp.empty()) add_address(s.ambassador, s.ambassador_tcp);
  // Remember the endpoint for the target's id too, first: sending to it by id later (another
  // plugin, after this connection dropped) tries the relay before its unreachable tcp endpoint.
  if (streams_.available()) (void)streams_.prefer_address(s.target, s.uri);
  // Flow first, so that the ambassador knows the circuit takes part in flow control when Open
  // makes it. Best effort: an ambassador that does not get it relays without windows.
  if (s.flow.windowed()) (void)send_flow(s.ambassador, RelayType::Flow, Leg::FromOrigin, stream_id, s.flow.window());
  RelayMessage open;
  open.type = RelayType::Open;
  open.stream = stream_id;
  open.node = s.target;
  if (auto st = send_relay(s.ambassador, open); st != BUTTER_OK) {
    return end_host_stream(stream_id, std::string("cannot reach the ambassador: ") + butter::status_name(st));
  }
  s.opened = true;
  ask_observed(s.ambassador, s.target);  // after Open: the ambassador knows the circuit by then
  auto pending = std::move(s.pending);
  s.pending.clear();
  for (auto& chunk : pending) {
    RelayMessage d;
    d.type = RelayType::Data;
    d.leg = Leg::FromOrigin;
    d.stream = stream_id;
    d.body = std::move(chunk);
    if (auto st = send_relay(s.ambassador, d); st != BUTTER_OK)
      return end_host_stream(stream_id, std::string("relay send failed: ") + butter::status_name(st));
  }
}

// The host's bytes for the far end. BUTTER_E_AGAIN (nothing taken; the host writes them again)
// when the far end's window is used up, or the hop to the ambassador is full. A write is taken
// whole once any credit is left (the host hands at most 64 KiB at a time: kWindowSlack).
butter_status NatAmbassador::write(std::uint64_t stream_id, butter::Bytes bytes) {
  RelayStreams::Stream* found = relay_streams_.find(stream_id);
  if (!found) return BUTTER_E_NOT_FOUND;
  RelayStreams::Stream& s = *found;
  if (!s.unsent.empty()) {
    std::size_t taken = 0;
    const auto st = send_stream_bytes(s, s.unsent, taken);
    s.unsent.erase(0, taken);
    if (st == BUTTER_E_AGAIN) relay_metrics_.hop_waits.add();
    if (st != BUTTER_OK) return st;
  }
  if (!s.flow.may_send()) {
    relay_metrics_.window_waits.add();
    return BUTTER_E_AGAIN;
  }
  const std::string_view all = bytes.text();
  if (!s.inbound && !s.opened) {
    for (std::size_t at = 0; at < all.size(); at += kChunk) s.pending.emplace_back(all.substr(at, kChunk));
  } else {
    std::size_t taken = 0;
    const auto st = send_stream_bytes(s, all, taken);
    if (st == BUTTER_E_AGAIN && taken == 0) {
      relay_metrics_.hop_waits.add();
      return st;
    }
    if (st == BUTTER_E_AGAIN) {
      s.unsent.assign(all.substr(taken));  // part went: the rest goes before anything else
    } else if (st != BUTTER_OK) {
      return st;
    }
  }
  s.flow.sent(all.size());
  return BUTTER_OK;
}

void NatAmbassador::close(std::uint64_t stream_id) {
  auto taken = relay_streams_.take(stream_id);
  if (!taken) return;
  const RelayStreams::Stream& s = *taken;
  if (s.inbound || s.opened) {
    send_close(s.ambassador, s.inbound ? Leg::FromTarget : Leg::FromOrigin, s.wire_id, "closed");
  }
}

void NatAmbassador::end_host_stream(std::uint64_t stream_id, const std::string& reason) {
  if (!relay_streams_.take(stream_id)) return;
  streams_.closed(stream_id, reason);  // the host closes the connection (and calls close(): a no-op now)
}

// ---- messages ---------------------------------------------------------------------------------

void NatAmbassador::handle_relay(const butter::Request& req, butter::Reply& reply) {
  const std::string from(req.from());
  // Data, the bulk, is read as a view of the payload (no copy of the bytes it carries).
  if (auto d = decode_relay_data(req.bytes().data(), req.bytes().size())) return on_data(from, *d);
  std::string why;
  auto m = decode_relay(req.bytes().data(), req.bytes().size(), why);
  if (!m) {
    malformed_.add();
    log().debug("malformed relay message from {}: {}", from.substr(0, 8), why);
    reply.fail(BUTTER_E_INVALID, why);
    return;
  }
  switch (m->type) {
    case RelayType::Open:
      return on_open(from, *m);
    case RelayType::Incoming:
      return on_incoming(from, *m);
    case RelayType::Data:
      return;  // decode_relay_data took every well-formed Data
    case RelayType::Close:
      return on_close(from, *m);
    case RelayType::Register:
      if (!req.expects_reply()) {
        malformed_.add();
        return;
      }
      return on_register(from, reply);
    case RelayType::Unregister:
      return on_unregister(from);
    case RelayType::Flow:
      return on_flow(from, *m);
    case RelayType::Credit:
      return on_credit_message(from, *m);
  }
}

void NatAmbassador::on_unregister(const std::string& from) {
  if (!clients_.remove(from)) return;
  relay_metrics_.clients.set(static_cast<double>(clients_.size()));
  for (auto r : circuits_.with_target(from)) end_relayed(r, "the client left this ambassador", true, false);
}

void NatAmbassador::on_register(const std::string& from, butter::Reply& reply) {
  if (!serving()) {
    reply.error(BUTTER_E_UNAVAILABLE, "this node does not serve as an ambassador now");
    return;
  }
  if (!clients_.has(from) && clients_.size() >= limits_.max_clients) {
    relay_metrics_.limit_hits.add();
    reply.error(BUTTER_E_UNAVAILABLE, "ambassador full (max_clients)");
    return;
  }
  if (clients_.refresh(from, now_ms())) {
    relay_metrics_.clients_accepted.add();
    log().info("serving {} as its ambassador", from.substr(0, 8));
  }
  relay_metrics_.clients.set(static_cast<double>(clients_.size()));
  sync_protection();
  reply.ok();
}

void NatAmbassador::on_open(const std::string& from, const RelayMessage& m) {
  auto refuse = [&](const std::string& why) { send_close(from, Leg::ToOrigin, m.stream, why); };
  if (circuits_.by_origin(from, m.stream)) {
    malformed_.add();
    return;
  }
  if (!serving()) return refuse("not an ambassador");
  if (!clients_.has(m.node)) return refuse("not a client of this ambassador");
  const auto flow = flow_offers_.take(from, m.stream);
  if (circuits_.count_to(m.node) >= limits_.max_circuits_per_client) {
    relay_metrics_.limit_hits.add();
    return refuse("too many relayed connections to this client (max_circuits_per_client)");
  }
  const std::uint64_t r = circuits_.open(from, m.stream, m.node, now_ms());
  sync_protection();
  relay_metrics_.relayed_connections.add();
  if (flow) {
    circuits_.find(r)->flow = CircuitFlow::announced(*flow);
    // Before Incoming, so that the client knows the circuit's window when it accepts the stream.
    (void)send_flow(m.node, RelayType::Flow, Leg::ToTarget, r, clamp_window(*flow));
  }
  RelayMessage in;
  in.type = RelayType::Incoming;
  in.stream = r;
  in.node = from;
  if (send_relay(m.node, in) != BUTTER_OK) end_relayed(r, "the client is unreachable", true, false);
}

void NatAmbassador::on_incoming(const std::string& from, const RelayMessage& m) {
  auto refuse = [&](const std::string& why) { send_close(from, Leg::FromTarget, m.stream, why); };
  if (from != ambassador_.id) return refuse("not my ambassador");
  if (relay_streams_.inbound(from, m.stream)) {
    malformed_.add();
    return;
  }
  std::uint64_t id = 0;
  auto st = streams_.accept("relay", "relay://" + from + "@/" + m.node, id);
  if (!st) {
    log().warn("cannot accept a relayed stream: {}", st.message());
    return refuse("the host refused the stream");
  }
  RelayStreams::Stream s;
  s.inbound = true;
  s.ambassador = from;
  s.wire_id = m.stream;
  s.opened = true;
  auto flow = flow_offers_.take(from, m.stream);
  if (!streams_.flow_control()) flow.reset();  // as at dial(): no windows on an older host
  if (flow) s.flow = EndFlow::target(limits_.window, *flow);
  relay_streams_.add(id, std::move(s));
  // The first Credit goes before any Data of ours (the host writes to the stream only from a
  // later turn): it tells the origin and the ambassador that this end takes part.
  if (flow) send_credit(id, *relay_streams_.find(id));
  sync_protection();
  relay_metrics_.inbound_streams.add();
  ask_observed(from, m.node);
}

void NatAmbassador::on_data(const std::string& from, const RelayDataView& m) {
  switch (m.leg) {
    case Leg::FromOrigin:
    case Leg::FromTarget: {  // we are the ambassador
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
        malformed_.add();
        return;
      }
      x.bytes += m.len;
      relay_metrics_.relayed_bytes.add(m.len);
      if (!(m.leg == Leg::FromOrigin ? x.flow.from_origin(m.len) : x.flow.from_target(m.len))) {
        relay_metrics_.window_violations.add();
        log().warn("relayed connection {} sent past its window: ended", r);
        return end_relayed(r, "sent past the window", true, true);
      }
      if (capture_.max) capture_.add(std::string_view(reinterpret_cast<const char*>(m.data), m.len));
      if (limits_.max_relay_bytes && x.bytes > limits_.max_relay_bytes) {
        relay_metrics_.limit_hits.add();
        return end_relayed(r, "relay byte limit reached", true, true);
      }
      // Forwarded from the received payload: header and bytes written once into the new message.
      const std::string to = m.leg == Leg::FromOrigin ? x.target : x.origin;
      const Leg leg = m.leg == Leg::FromOrigin ? Leg::ToTarget : Leg::ToOrigin;
      const std::uint64_t stream = m.leg == Leg::FromOrigin ? r : x.origin_stream;
      if (send_relay_data(to, leg, stream, m.data, m.len) != BUTTER_OK) {
        relay_metrics_.forward_failures.add();
        end_relayed(r, "cannot forward", true, true);
      }
      return;
    }
    case Leg::ToOrigin: {  // we dialled; `from` is the ambassador
      RelayStreams::Stream* s = relay_streams_.find(m.stream);
      if (!s || s->inbound || s->ambassador != from) return;
      (void)streams_.deliver(m.stream, butter::Bytes(m.data, m.len));
      // Found again: delivering may have closed the stream.
      if ((s = relay_streams_.find(m.stream))) after_delivery(m.stream, *s, m.len);
      return;
    }
    case Leg::ToTarget: {  // we are the client
      auto id = relay_streams_.inbound(from, m.stream);
      if (!id) return;
      (void)streams_.deliver(*id, butter::Bytes(m.data, m.len));
      if (RelayStreams::Stream* s = relay_streams_.find(*id)) after_delivery(*id, *s, m.len);
      return;
    }
  }
}

void NatAmbassador::on_close(const std::string& from, const RelayMessage& m) {
  switch (m.leg) {
    case Leg::FromOrigin: {
      if (auto r = circuits_.by_origin(from, m.stream)) end_relayed(*r, m.body, false, true);
      return;
    }
    case Leg::FromTarget: {
      const Circuits::Circuit* x = circuits_.find(m.stream);
      if (x && x->target == from) end_relayed(m.stream, m.body, true, false);
      return;
    }
    case Leg::ToOrigin: {
      const RelayStreams::Stream* s = relay_streams_.find(m.stream);
      if (s && !s->inbound && s->ambassador == from) end_host_stream(m.stream, "relay closed: " + m.body);
      return;
    }
    case Leg::ToTarget: {
      if (auto id = relay_streams_.inbound(from, m.stream)) end_host_stream(*id, "relay closed: " + m.body);
      return;
    }
  }
}

void NatAmbassador::end_relayed(std::uint64_t relay_id, const std::string& reason, bool tell_origin, bool tell_target) {
  auto taken = circuits_.take(relay_id);
  if (!taken) return;
  const Circuits::Circuit& x = *taken;
  if (tell_origin) send_close(x.origin, Leg::ToOrigin, x.origin_stream, reason);
  if (tell_target) send_close(x.target, Leg::ToTarget, relay_id, reason);
}

void NatAmbassador::relay_peer_down(const std::string& peer) {
  if (clients_.remove(peer)) relay_metrics_.clients.set(static_cast<double>(clients_.size()));
  for (auto [r, origin] : circuits_.using_peer(peer))
    end_relayed(r, origin ? "the origin went away" : "the client went away", !origin, origin);
  for (auto id : relay_streams_.through(peer, false)) end_host_stream(id, "the ambassador went away");
}

void NatAmbassador::sync_protection() {
  if (!conns_.available()) return;
  std::set<std::string> want;
  if (!ambassador_.id.empty()) want.insert(ambassador_.id);
  for (const auto& id : clients_.ids()) want.insert(id);
  circuits_.ends(want);
  relay_streams_.ambassadors(want);
  for (const auto& id : want)
    if (!protection_.peers.count(id)) (void)conns_.protect(id, "nat");
  for (const auto& id : protection_.peers)
    if (!want.count(id)) (void)conns_.unprotect(id, "nat");
  protection_.peers = std::move(want);
  // The relay endpoint is one of this node's own: announce it in HELLO and node endpoints.
  std::string& advertised = protection_.advertised;
  if (advertised != ambassador_.relay_endpoint) {
    if (!advertised.empty()) (void)conns_.withdraw(advertised);
    advertised = ambassador_.relay_endpoint;
    if (!advertised.empty()) (void)conns_.advertise(advertised);
  }
}

void NatAmbassador::sweep_relays() {
  sync_protection();  // drops what ended since the last sweep (protection is added at once)
  for (const auto id : std::vector<std::uint64_t>(credit_owed_.begin(), credit_owed_.end())) {
    if (const RelayStreams::Stream* s = relay_streams_.find(id)) {
      send_credit(id, *s);
    } else {
      credit_owed_.erase(id);
    }
  }
  const auto t = now_ms();
  // Clients that stopped refreshing (moved elsewhere without a word) lose their slot.
  const std::uint64_t expiry = std::max<std::uint64_t>(10000, 10 * static_cast<std::uint64_t>(keepalive_.count()));
  const auto expired = clients_.expire(t, expiry);
  for (const auto& id : expired) log().info("client {} stopped refreshing; slot freed", id.substr(0, 8));
  if (!expired.empty()) relay_metrics_.clients.set(static_cast<double>(clients_.size()));
  if (!limits_.max_relay_ms) return;
  for (auto r : circuits_.older_than(t, limits_.max_relay_ms)) {
    relay_metrics_.limit_hits.add();
    end_relayed(r, "relay time limit reached", true, true);
  }
}

// relay:// may still be served by the instance this one replaces (hot swap): retried every
// keepalive until it is free.
void NatAmbassador::try_register_dialer() {
  if (dialer_registered_) return;
  try {
    streams_.register_dialer("relay", this);
    dialer_registered_ = true;
  } catch (const butter::Error& e) {
    log().warn("relay:// dialer not registered yet ({}); retrying", e.what());
  }
}

}  // namespace butter::nat
