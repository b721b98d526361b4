// The plugin's side of relay flow control (relay_flow.hpp holds the rules): Flow and Credit
// messages, at the ends (granting credit as bytes are delivered, unblocking a writer) and at the
// ambassador (checking and passing Credits on). The Data path that the windows hold back is in
// relay.cpp.
#include "nat_plugin.hpp"

namespace butter::nat {

butter_status NatAmbassador::send_flow(const std::string& peer, RelayType type, Leg leg, std::uint64_t stream,
                                       std::uint64_t value) {
  RelayMessage m;
  m.type = type;
  m.leg = leg;
  m.stream = stream;
  m.value = value;
  return send_relay(peer, m);
}

// After `len` bytes of host stream `id` were delivered: a Credit when half the window was used,
// and a writer waiting for the far end's first word unblocked when that was Data (an older peer).
void NatAmbassador::after_delivery(std::uint64_t id, RelayStreams::Stream& s, std::size_t len) {
  std::optional<std::uint64_t> credit;
  if (s.flow.on_data(len, credit) && streams_.flow_control()) (void)streams_.writable(id);
  if (credit) send_credit(id, s);
}

void NatAmbassador::send_credit(std::uint64_t id, const RelayStreams::Stream& s) {
  const Leg leg = s.inbound ? Leg::FromTarget : Leg::FromOrigin;
  if (send_flow(s.ambassador, RelayType::Credit, leg, s.wire_id, s.flow.granted()) == BUTTER_OK) {
    relay_metrics_.credits_sent.add();
    credit_owed_.erase(id);
  } else {
    credit_owed_.insert(id);  // the far end would wait for it forever: sent again at the sweep
  }
}

void NatAmbassador::on_credit(std::uint64_t id, RelayStreams::Stream& s, std::uint64_t limit) {
  if (s.flow.on_credit(limit) && streams_.flow_control()) (void)streams_.writable(id);
}

// A Flow precedes the Open (at the ambassador) or the Incoming (at its client) it belongs to.
void NatAmbassador::on_flow(const std::string& from, const RelayMessage& m) {
  if (m.leg == Leg::FromOrigin && serving()) return flow_offers_.put(from, m.stream, m.value);
  if (m.leg == Leg::ToTarget && from == ambassador_.id) return flow_offers_.put(from, m.stream, m.value);
  malformed_.add();
}

void NatAmbassador::on_credit_message(const std::string& from, const RelayMessage& m) {
  switch (m.leg) {
    case Leg::FromOrigin:
    case Leg::FromTarget: {  // we are the ambassador: check the sender, pass it on
      const auto r = m.leg == Leg::FromOrigin ? circuits_.by_origin(from, m.stream) : std::optional(m.stream);
      Circuits::Circuit* x = r ? circuits_.find(*r) : nullptr;
      if (!x || (m.leg == Leg::FromTarget && x->target != from)) return;  // closed meanwhile
      const bool from_origin = m.leg == Leg::FromOrigin;
      const auto limit = from_origin ? x->flow.credit_from_origin(m.value) : x->flow.credit_from_target(m.value);
      if (!limit) {
        malformed_.add();  // a Credit on a circuit without windows
        return;
      }
      const std::string to = from_origin ? x->target : x->origin;
      if (send_flow(to, RelayType::Credit, from_origin ? Leg::ToTarget : Leg::ToOrigin,
                    from_origin ? *r : x->origin_stream, *limit) != BUTTER_OK) {
        relay_metrics_.forward_failures.add();
        end_relayed(*r, "cannot forward", true, true);
      }
      return;
    }
    case Leg::ToOrigin: {
      RelayStreams::Stream* s = relay_streams_.find(m.stream);
      if (s && !s->inbound && s->ambassador == from) on_credit(m.stream, *s, m.value);
      return;
    }
    case Leg::ToTarget: {
      auto id = relay_streams_.inbound(from, m.stream);
      if (RelayStreams::Stream* s = id ? relay_streams_.find(*id) : nullptr) on_credit(*id, *s, m.value);
      return;
    }
  }
}

}  // namespace butter::nat
