// Relayed streams over /butter/relay/1.
//
//   origin (sender)            ambassador                      target (private client)
//   host dials relay://A@.../T
//   dial(H) --Open(H, T)-->    relay id R, Incoming(R, origin) --> streams.accept -> host id H'
//   write(H) --Data(FromOrigin,H)--> Data(ToTarget,R) -----------> deliver(H')
//   deliver(H) <--Data(ToOrigin,H)-- Data(FromTarget,R) <--------- write(H')
//   Close travels the same way; a peer going down closes every relay that uses it.
//
// Each hop is an ordinary (Noise-secured) Butter connection; the bytes inside Data are the
// origin's and target's own Noise session, so the ambassador forwards ciphertext it cannot read.
// The ambassador enforces max_clients (at Register), and per relayed connection a byte limit
// (both directions together) and a time limit (swept every 500 ms).
#include "nat_plugin.hpp"

#include <algorithm>

namespace butter::nat {

namespace {
// Data payload per message: a Data frame (20-byte frame header, the protocol id, the Data header,
// the bytes) fits in one 64 KiB secure record, so the hosts on the way parse it where they
// decrypted it instead of assembling it from two records.
constexpr std::size_t kChunk = 64 * 1024 - 20 - std::char_traits<char>::length(kRelayProtocol) - kRelayDataHeader;
}  // namespace

butter_status NatAmbassador::send_relay(const std::string& peer, const RelayMessage& m) {
  auto st = send(peer, kRelayProtocol, encode_relay(m));
  return st ? BUTTER_OK : st.code();
}

butter_status NatAmbassador::send_relay_data(const std::string& peer, Leg leg, std::uint64_t stream,
                                             const std::uint8_t* data, std::size_t len) {
  auto st = send(peer, kRelayProtocol, encode_relay_data(leg, stream, data, len));
  return st ? BUTTER_OK : st.code();
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
  HostStream s;
  s.inbound = false;
  s.ambassador = ep->ambassador;
  s.wire_id = stream_id;
  s.target = ep->client;
  s.ambassador_tcp = ep->ambassador_tcp;
  s.uri = std::string(uri);
  host_streams_[stream_id] = std::move(s);
  sync_protection();
  // The host is inside its routing code now: open from a fresh turn.
  auto st = post([this, stream_id] { relay_open_now(stream_id); });
  if (!st) {
    host_streams_.erase(stream_id);
    return BUTTER_E_UNAVAILABLE;
  }
  return BUTTER_OK;
}

void NatAmbassador::relay_open_now(std::uint64_t stream_id) {
  auto it = host_streams_.find(stream_id);
  if (it == host_streams_.end() || it->second.opened) return;
  HostStream& s = it->second;
  if (!s.ambassador_tcp.empty()) add_address(s.ambassador, s.ambassador_tcp);
  // Remember the endpoint for the target's id too, first: sending to it by id later (another
  // plugin, after this connection dropped) tries the relay before its unreachable tcp endpoint.
  if (streams_.available()) (void)streams_.prefer_address(s.target, s.uri);
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

butter_status NatAmbassador::write(std::uint64_t stream_id, butter::Bytes bytes) {
  auto it = host_streams_.find(stream_id);
  if (it == host_streams_.end()) return BUTTER_E_NOT_FOUND;
  HostStream& s = it->second;
  const std::string_view all = bytes.text();
  for (std::size_t at = 0; at < all.size(); at += kChunk) {
    const std::string_view chunk = all.substr(at, kChunk);
    if (!s.inbound && !s.opened) {
      s.pending.emplace_back(chunk);
      continue;
    }
    // Header and bytes written once into the message (the host's bytes are borrowed).
    const auto leg = s.inbound ? Leg::FromTarget : Leg::FromOrigin;
    if (auto st = send_relay_data(s.ambassador, leg, s.wire_id, reinterpret_cast<const std::uint8_t*>(chunk.data()),
                                  chunk.size());
        st != BUTTER_OK)
      return st;
  }
  return BUTTER_OK;
}

void NatAmbassador::close(std::uint64_t stream_id) {
  auto it = host_streams_.find(stream_id);
  if (it == host_streams_.end()) return;
  HostStream s = std::move(it->second);
  host_streams_.erase(it);
  if (s.inbound) inbound_.erase(std::make_pair(s.ambassador, s.wire_id));
  if (s.inbound || s.opened) {
    RelayMessage c;
    c.type = RelayType::Close;
    c.leg = s.inbound ? Leg::FromTarget : Leg::FromOrigin;
    c.stream = s.wire_id;
    c.body = "closed";
    (void)send_relay(s.ambassador, c);
  }
}

void NatAmbassador::end_host_stream(std::uint64_t stream_id, const std::string& reason) {
  auto it = host_streams_.find(stream_id);
  if (it == host_streams_.end()) return;
  if (it->second.inbound) inbound_.erase(std::make_pair(it->second.ambassador, it->second.wire_id));
  host_streams_.erase(it);
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
    case RelayType::Unregister: {
      if (!clients_.erase(from)) return;
      clients_gauge_.set(static_cast<double>(clients_.size()));
      std::vector<std::uint64_t> gone;
      for (const auto& [r, x] : relayed_)
        if (x.target == from) gone.push_back(r);
      for (auto r : gone) end_relayed(r, "the client left this ambassador", true, false);
      return;
    }
  }
}

void NatAmbassador::on_register(const std::string& from, butter::Reply& reply) {
  if (!serving()) {
    reply.error(BUTTER_E_UNAVAILABLE, "this node does not serve as an ambassador now");
    return;
  }
  if (!clients_.count(from) && clients_.size() >= limits_.max_clients) {
    limit_hits_.add();
    reply.error(BUTTER_E_UNAVAILABLE, "ambassador full (max_clients)");
    return;
  }
  if (!clients_.count(from)) {
    clients_accepted_.add();
    log().info("serving {} as its ambassador", from.substr(0, 8));
  }
  clients_[from] = static_cast<std::uint64_t>(now().count());
  clients_gauge_.set(static_cast<double>(clients_.size()));
  sync_protection();
  reply.ok();
}

void NatAmbassador::on_open(const std::string& from, const RelayMessage& m) {
  auto refuse = [&](const std::string& why) {
    RelayMessage c;
    c.type = RelayType::Close;
    c.leg = Leg::ToOrigin;
    c.stream = m.stream;
    c.body = why;
    (void)send_relay(from, c);
  };
  const auto key = std::make_pair(from, m.stream);
  if (by_origin_.count(key)) {
    malformed_.add();
    return;
  }
  if (!serving()) return refuse("not an ambassador");
  if (!clients_.count(m.node)) return refuse("not a client of this ambassador");
  const std::uint64_t r = next_relay_++;
  relayed_[r] = Relayed{from, m.node, m.stream, 0, static_cast<std::uint64_t>(now().count())};
  sync_protection();
  by_origin_[key] = r;
  relayed_streams_.add();
  RelayMessage in;
  in.type = RelayType::Incoming;
  in.stream = r;
  in.node = from;
  if (send_relay(m.node, in) != BUTTER_OK) end_relayed(r, "the client is unreachable", true, false);
}

void NatAmbassador::on_incoming(const std::string& from, const RelayMessage& m) {
  auto refuse = [&](const std::string& why) {
    RelayMessage c;
    c.type = RelayType::Close;
    c.leg = Leg::FromTarget;
    c.stream = m.stream;
    c.body = why;
    (void)send_relay(from, c);
  };
  if (from != ambassador_) return refuse("not my ambassador");
  if (inbound_.count(std::make_pair(from, m.stream))) {
    malformed_.add();
    return;
  }
  std::uint64_t id = 0;
  auto st = streams_.accept("relay", "relay://" + from + "@/" + m.node, id);
  if (!st) {
    log().warn("cannot accept a relayed stream: {}", st.message());
    return refuse("the host refused the stream");
  }
  HostStream s;
  s.inbound = true;
  s.ambassador = from;
  s.wire_id = m.stream;
  s.opened = true;
  host_streams_[id] = std::move(s);
  inbound_[std::make_pair(from, m.stream)] = id;
  sync_protection();
  inbound_total_.add();
  ask_observed(from, m.node);
}

void NatAmbassador::capture(std::string_view bytes) {
  if (captured_.size() >= capture_max_) return;
  captured_.append(bytes.substr(0, capture_max_ - captured_.size()));
}

void NatAmbassador::on_data(const std::string& from, const RelayDataView& m) {
  switch (m.leg) {
    case Leg::FromOrigin:
    case Leg::FromTarget: {  // we are the ambassador
      std::uint64_t r = 0;
      if (m.leg == Leg::FromOrigin) {
        auto it = by_origin_.find(std::make_pair(from, m.stream));
        if (it == by_origin_.end()) return;  // closed meanwhile
        r = it->second;
      } else {
        r = m.stream;
      }
      auto it = relayed_.find(r);
      if (it == relayed_.end()) return;
      Relayed& x = it->second;
      if (m.leg == Leg::FromTarget && x.target != from) {
        malformed_.add();
        return;
      }
      x.bytes += m.len;
      relayed_bytes_.add(m.len);
      if (capture_max_) capture(std::string_view(reinterpret_cast<const char*>(m.data), m.len));
      if (limits_.max_relay_bytes && x.bytes > limits_.max_relay_bytes) {
        limit_hits_.add();
        return end_relayed(r, "relay byte limit reached", true, true);
      }
      // Forwarded from the received payload: header and bytes written once into the new message.
      const std::string to = m.leg == Leg::FromOrigin ? x.target : x.origin;
      const Leg leg = m.leg == Leg::FromOrigin ? Leg::ToTarget : Leg::ToOrigin;
      const std::uint64_t stream = m.leg == Leg::FromOrigin ? r : x.origin_stream;
      if (send_relay_data(to, leg, stream, m.data, m.len) != BUTTER_OK) end_relayed(r, "cannot forward", true, true);
      return;
    }
    case Leg::ToOrigin: {  // we dialled; `from` is the ambassador
      auto it = host_streams_.find(m.stream);
      if (it == host_streams_.end() || it->second.inbound || it->second.ambassador != from) return;
      (void)streams_.deliver(m.stream, butter::Bytes(m.data, m.len));
      return;
    }
    case Leg::ToTarget: {  // we are the client
      auto it = inbound_.find(std::make_pair(from, m.stream));
      if (it == inbound_.end()) return;
      (void)streams_.deliver(it->second, butter::Bytes(m.data, m.len));
      return;
    }
  }
}

void NatAmbassador::on_close(const std::string& from, const RelayMessage& m) {
  switch (m.leg) {
    case Leg::FromOrigin: {
      auto it = by_origin_.find(std::make_pair(from, m.stream));
      if (it != by_origin_.end()) end_relayed(it->second, m.body, false, true);
      return;
    }
    case Leg::FromTarget: {
      auto it = relayed_.find(m.stream);
      if (it != relayed_.end() && it->second.target == from) end_relayed(m.stream, m.body, true, false);
      return;
    }
    case Leg::ToOrigin: {
      auto it = host_streams_.find(m.stream);
      if (it != host_streams_.end() && !it->second.inbound && it->second.ambassador == from)
        end_host_stream(m.stream, "relay closed: " + m.body);
      return;
    }
    case Leg::ToTarget: {
      auto it = inbound_.find(std::make_pair(from, m.stream));
      if (it != inbound_.end()) end_host_stream(it->second, "relay closed: " + m.body);
      return;
    }
  }
}

void NatAmbassador::end_relayed(std::uint64_t relay_id, const std::string& reason, bool tell_origin, bool tell_target) {
  auto it = relayed_.find(relay_id);
  if (it == relayed_.end()) return;
  Relayed x = std::move(it->second);
  relayed_.erase(it);
  by_origin_.erase(std::make_pair(x.origin, x.origin_stream));
  RelayMessage c;
  c.type = RelayType::Close;
  c.body = reason;
  if (tell_origin) {
    c.leg = Leg::ToOrigin;
    c.stream = x.origin_stream;
    (void)send_relay(x.origin, c);
  }
  if (tell_target) {
    c.leg = Leg::ToTarget;
    c.stream = relay_id;
    (void)send_relay(x.target, c);
  }
}

void NatAmbassador::relay_peer_down(const std::string& peer) {
  if (clients_.erase(peer)) clients_gauge_.set(static_cast<double>(clients_.size()));
  std::vector<std::pair<std::uint64_t, bool>> gone;  // relay id, peer was the origin
  for (const auto& [r, x] : relayed_) {
    if (x.origin == peer)
      gone.emplace_back(r, true);
    else if (x.target == peer)
      gone.emplace_back(r, false);
  }
  for (auto [r, origin] : gone)
    end_relayed(r, origin ? "the origin went away" : "the client went away", !origin, origin);
  std::vector<std::uint64_t> streams;
  for (const auto& [id, s] : host_streams_)
    if (s.ambassador == peer) streams.push_back(id);
  for (auto id : streams) end_host_stream(id, "the ambassador went away");
}

void NatAmbassador::sync_protection() {
  if (!conns_.available()) return;
  std::set<std::string> want;
  if (!ambassador_.empty()) want.insert(ambassador_);
  for (const auto& [id, t] : clients_) want.insert(id);
  for (const auto& [r, x] : relayed_) {
    want.insert(x.origin);
    want.insert(x.target);
  }
  for (const auto& [id, s] : host_streams_) want.insert(s.ambassador);
  for (const auto& id : want)
    if (!protected_.count(id)) (void)conns_.protect(id, "nat");
  for (const auto& id : protected_)
    if (!want.count(id)) (void)conns_.unprotect(id, "nat");
  protected_ = std::move(want);
  // The relay endpoint is one of this node's own: announce it in HELLO and node endpoints.
  if (advertised_ != relay_endpoint_) {
    if (!advertised_.empty()) (void)conns_.withdraw(advertised_);
    advertised_ = relay_endpoint_;
    if (!advertised_.empty()) (void)conns_.advertise(advertised_);
  }
}

void NatAmbassador::sweep_relays() {
  sync_protection();  // drops what ended since the last sweep (protection is added at once)
  const auto t = static_cast<std::uint64_t>(now().count());
  // Clients that stopped refreshing (moved elsewhere without a word) lose their slot.
  const std::uint64_t expiry = std::max<std::uint64_t>(10000, 10 * static_cast<std::uint64_t>(keepalive_.count()));
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (t - it->second > expiry) {
      log().info("client {} stopped refreshing; slot freed", it->first.substr(0, 8));
      it = clients_.erase(it);
      clients_gauge_.set(static_cast<double>(clients_.size()));
    } else {
      ++it;
    }
  }
  if (!limits_.max_relay_ms) return;
  std::vector<std::uint64_t> old;
  for (const auto& [r, x] : relayed_)
    if (t - x.started_ms > limits_.max_relay_ms) old.push_back(r);
  for (auto r : old) {
    limit_hits_.add();
    end_relayed(r, "relay time limit reached", true, true);
  }
}

}  // namespace butter::nat
