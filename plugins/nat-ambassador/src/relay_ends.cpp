// RelayEnds (relay_ends.hpp): the origin's and the target's side of relayed streams, with their
// flow control (relay_flow.hpp holds the rules). The protocol is drawn in relay_server.cpp.
#include "relay_ends.hpp"

#include <utility>
#include <vector>

namespace butter::nat {

RelayEnds::RelayEnds(NatPort& port, RelayLink& link, butter::Streams& host_streams, const Limits& limits,
                     const std::string& self, const butter::Metrics& metrics, Links links)
    : port_(port),
      link_(link),
      host_streams_(host_streams),
      limits_(limits),
      self_(self),
      links_(std::move(links)),
      metrics_(metrics) {}

void RelayEnds::register_dialer() {
  if (dialer_registered_) return;
  try {
    host_streams_.register_dialer("relay", this);
    dialer_registered_ = true;
  } catch (const butter::Error& e) {
    port_.log().warn("relay:// dialer not registered yet ({}); retrying", e.what());
  }
}

// ---- sending ------------------------------------------------------------------------------------

// Sends `bytes` of a host stream as Data messages; `taken` says how many went. Stops at the first
// refusal (BUTTER_E_AGAIN when the hop's queue is full).
butter_status RelayEnds::send_bytes(RelayStreams::Stream& s, std::string_view bytes, std::size_t& taken) {
  taken = 0;
  const auto leg = s.inbound ? Leg::FromTarget : Leg::FromOrigin;
  for (std::size_t at = 0; at < bytes.size(); at += kRelayChunk) {
    const std::string_view chunk = bytes.substr(at, kRelayChunk);
    // Header and bytes written once into the message (the host's bytes are borrowed).
    if (auto st = link_.send_data(s.ambassador, leg, s.wire_id, reinterpret_cast<const std::uint8_t*>(chunk.data()),
                                  chunk.size());
        st != BUTTER_OK)
      return st;
    taken += chunk.size();
  }
  return BUTTER_OK;
}

// ---- the host's side: dial / write / close ----------------------------------------------------

butter_status RelayEnds::dial(std::string_view uri, std::uint64_t stream_id) {
  std::string why;
  auto ep = parse_relay_endpoint(uri, why);
  if (!ep) {
    port_.log().warn("cannot dial {}: {}", uri, why);
    return BUTTER_E_INVALID;
  }
  if (ep->client == self_) return BUTTER_E_INVALID;
  if (ep->ambassador == self_) {
    // Our own client is connected to us directly; send to its node id instead.
    port_.log().debug("refusing to dial {} through this node itself", uri);
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
  if (host_streams_.flow_control()) s.flow = EndFlow::origin(limits_.window);
  streams_.add(stream_id, std::move(s));
  links_.protection_changed();
  // The host is inside its routing code now: open from a fresh turn.
  auto st = port_.post([this, stream_id] { open_now(stream_id); });
  if (!st) {
    streams_.take(stream_id);
    return BUTTER_E_UNAVAILABLE;
  }
  return BUTTER_OK;
}

void RelayEnds::open_now(std::uint64_t stream_id) {
  RelayStreams::Stream* found = streams_.find(stream_id);
  if (!found || found->opened) return;
  RelayStreams::Stream& s = *found;
  if (!s.ambassador_tcp.empty()) port_.add_address(s.ambassador, s.ambassador_tcp);
  // Remember the endpoint for the target's id too, first: sending to it by id later (another
  // plugin, after this connection dropped) tries the relay before its unreachable tcp endpoint.
  if (host_streams_.available()) (void)host_streams_.prefer_address(s.target, s.uri);
  // Flow first, so that the ambassador knows the circuit takes part in flow control when Open
  // makes it. Best effort: an ambassador that does not get it relays without windows.
  if (s.flow.windowed())
    (void)link_.send_flow(s.ambassador, RelayType::Flow, Leg::FromOrigin, stream_id, s.flow.window());
  RelayMessage open;
  open.type = RelayType::Open;
  open.stream = stream_id;
  open.node = s.target;
  if (auto st = link_.send(s.ambassador, open); st != BUTTER_OK) {
    return end(stream_id, std::string("cannot reach the ambassador: ") + butter::status_name(st));
  }
  s.opened = true;
  links_.circuit_opened(s.ambassador, s.target);  // after Open: the ambassador knows the circuit by then
  auto pending = std::move(s.pending);
  s.pending.clear();
  for (auto& chunk : pending) {
    RelayMessage d;
    d.type = RelayType::Data;
    d.leg = Leg::FromOrigin;
    d.stream = stream_id;
    d.body = std::move(chunk);
    if (auto st = link_.send(s.ambassador, d); st != BUTTER_OK)
      return end(stream_id, std::string("relay send failed: ") + butter::status_name(st));
  }
}

// The host's bytes for the far end. BUTTER_E_AGAIN (nothing taken; the host writes them again)
// when the far end's window is used up, or the hop to the ambassador is full. A write is taken
// whole once any credit is left (the host hands at most 64 KiB at a time: kWindowSlack).
butter_status RelayEnds::write(std::uint64_t stream_id, butter::Bytes bytes) {
  RelayStreams::Stream* found = streams_.find(stream_id);
  if (!found) return BUTTER_E_NOT_FOUND;
  RelayStreams::Stream& s = *found;
  if (!s.unsent.empty()) {
    std::size_t taken = 0;
    const auto st = send_bytes(s, s.unsent, taken);
    s.unsent.erase(0, taken);
    if (st == BUTTER_E_AGAIN) metrics_.hop_waits.add();
    if (st != BUTTER_OK) return st;
  }
  if (!s.flow.may_send()) {
    metrics_.window_waits.add();
    return BUTTER_E_AGAIN;
  }
  const std::string_view all = bytes.text();
  if (!s.inbound && !s.opened) {
    for (std::size_t at = 0; at < all.size(); at += kRelayChunk) s.pending.emplace_back(all.substr(at, kRelayChunk));
  } else {
    std::size_t taken = 0;
    const auto st = send_bytes(s, all, taken);
    if (st == BUTTER_E_AGAIN && taken == 0) {
      metrics_.hop_waits.add();
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

void RelayEnds::close(std::uint64_t stream_id) {
  auto taken = streams_.take(stream_id);
  if (!taken) return;
  const RelayStreams::Stream& s = *taken;
  if (s.inbound || s.opened) {
    link_.send_close(s.ambassador, s.inbound ? Leg::FromTarget : Leg::FromOrigin, s.wire_id, "closed");
  }
}

void RelayEnds::end(std::uint64_t stream_id, const std::string& reason) {
  if (!streams_.take(stream_id)) return;
  host_streams_.closed(stream_id, reason);  // the host closes the connection (and calls close(): a no-op now)
}

// ---- the ambassador's messages ----------------------------------------------------------------

void RelayEnds::on_incoming(const std::string& from, const RelayMessage& m) {
  auto refuse = [&](const std::string& why) { link_.send_close(from, Leg::FromTarget, m.stream, why); };
  if (from != links_.ambassador()) return refuse("not my ambassador");
  if (streams_.inbound(from, m.stream)) {
    port_.malformed();
    return;
  }
  std::uint64_t id = 0;
  auto st = host_streams_.accept("relay", "relay://" + from + "@/" + m.node, id);
  if (!st) {
    port_.log().warn("cannot accept a relayed stream: {}", st.message());
    return refuse("the host refused the stream");
  }
  RelayStreams::Stream s;
  s.inbound = true;
  s.ambassador = from;
  s.wire_id = m.stream;
  s.opened = true;
  auto flow = flow_offers_.take(from, m.stream);
  if (!host_streams_.flow_control()) flow.reset();  // as at dial(): no windows on an older host
  if (flow) s.flow = EndFlow::target(limits_.window, *flow);
  streams_.add(id, std::move(s));
  // The first Credit goes before any Data of ours (the host writes to the stream only from a
  // later turn): it tells the origin and the ambassador that this end takes part.
  if (flow) send_credit(id, *streams_.find(id));
  links_.protection_changed();
  metrics_.inbound_streams.add();
  links_.circuit_opened(from, m.node);
}

void RelayEnds::on_data(const std::string& from, const RelayDataView& m) {
  if (m.leg == Leg::ToOrigin) {  // we dialled; `from` is the ambassador
    RelayStreams::Stream* s = streams_.find(m.stream);
    if (!s || s->inbound || s->ambassador != from) return;
    (void)host_streams_.deliver(m.stream, butter::Bytes(m.data, m.len));
    // Found again: delivering may have closed the stream.
    if ((s = streams_.find(m.stream))) after_delivery(m.stream, *s, m.len);
    return;
  }
  // ToTarget: we are the client
  auto id = streams_.inbound(from, m.stream);
  if (!id) return;
  (void)host_streams_.deliver(*id, butter::Bytes(m.data, m.len));
  if (RelayStreams::Stream* s = streams_.find(*id)) after_delivery(*id, *s, m.len);
}

void RelayEnds::on_close(const std::string& from, const RelayMessage& m) {
  if (m.leg == Leg::ToOrigin) {
    const RelayStreams::Stream* s = streams_.find(m.stream);
    if (s && !s->inbound && s->ambassador == from) end(m.stream, "relay closed: " + m.body);
    return;
  }
  if (auto id = streams_.inbound(from, m.stream)) end(*id, "relay closed: " + m.body);
}

bool RelayEnds::on_flow(const std::string& from, const RelayMessage& m) {
  if (m.leg != Leg::ToTarget || from != links_.ambassador()) return false;
  flow_offers_.put(from, m.stream, m.value);
  return true;
}

void RelayEnds::on_credit(const std::string& from, const RelayMessage& m) {
  if (m.leg == Leg::ToOrigin) {
    RelayStreams::Stream* s = streams_.find(m.stream);
    if (s && !s->inbound && s->ambassador == from) credit_arrived(m.stream, *s, m.value);
    return;
  }
  auto id = streams_.inbound(from, m.stream);
  if (RelayStreams::Stream* s = id ? streams_.find(*id) : nullptr) credit_arrived(*id, *s, m.value);
}

// ---- flow control -------------------------------------------------------------------------------

// After `len` bytes of host stream `id` were delivered: a Credit when half the window was used,
// and a writer waiting for the far end's first word unblocked when that was Data (an older peer).
void RelayEnds::after_delivery(std::uint64_t id, RelayStreams::Stream& s, std::size_t len) {
  std::optional<std::uint64_t> credit;
  if (s.flow.on_data(len, credit) && host_streams_.flow_control()) (void)host_streams_.writable(id);
  if (credit) send_credit(id, s);
}

void RelayEnds::send_credit(std::uint64_t id, const RelayStreams::Stream& s) {
  const Leg leg = s.inbound ? Leg::FromTarget : Leg::FromOrigin;
  if (link_.send_flow(s.ambassador, RelayType::Credit, leg, s.wire_id, s.flow.granted()) == BUTTER_OK) {
    metrics_.credits_sent.add();
    credit_owed_.erase(id);
  } else {
    credit_owed_.insert(id);  // the far end would wait for it forever: sent again at the sweep
  }
}

void RelayEnds::credit_arrived(std::uint64_t id, RelayStreams::Stream& s, std::uint64_t limit) {
  if (s.flow.on_credit(limit) && host_streams_.flow_control()) (void)host_streams_.writable(id);
}

// ---- peers and time -----------------------------------------------------------------------------

void RelayEnds::peer_down(const std::string& peer) {
  for (auto id : streams_.through(peer, false)) end(id, "the ambassador went away");
}

void RelayEnds::left(const std::string& ambassador) {
  for (auto id : streams_.through(ambassador, true)) end(id, "left the ambassador");
}

void RelayEnds::sweep() {
  for (const auto id : std::vector<std::uint64_t>(credit_owed_.begin(), credit_owed_.end())) {
    if (const RelayStreams::Stream* s = streams_.find(id)) {
      send_credit(id, *s);
    } else {
      credit_owed_.erase(id);
    }
  }
}

}  // namespace butter::nat
