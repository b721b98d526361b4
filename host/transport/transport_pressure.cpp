// TransportImpl, part 5: what the transport does when a bound is reached — a newcomer meets
// max_connections, or partial frames of all connections outgrow the memory set aside for them —
// and what it reports of its usage. Each choice goes against whoever holds the most of the
// resource, so that one address or one stalled sender cannot lock honest peers out.
#include "transport/read_buffer.hpp"
#include "transport/transport_impl.hpp"

#include <spdlog/spdlog.h>

#include <unordered_map>

namespace butter::host {

ConnectionLimits::Refusal TransportImpl::admit_inbound(const std::string& address) {
  auto r = limits_.admit_inbound(table_.size(), address);
  if (r == ConnectionLimits::Refusal::kMaxConnections && evict_for_newcomer("an inbound connection from " + address))
    r = limits_.admit_inbound(table_.size(), address);
  return r;
}

bool TransportImpl::evict_for_newcomer(const std::string& newcomer) {
  // Candidates: inbound (others chose us; our own dials are our neighbours), up (handshakes have
  // their own per-address bound and deadline), not protected by a plugin, and quiet for a while
  // (a peer in active use stays; one that connected and went silent goes, however much this
  // node's plugins write to it).
  const auto quiet_since = std::chrono::steady_clock::now() - opts_.evict_idle;
  auto evictable = [&](const Connection& c) {
    return !c.closed() && c.up() && !c.outbound() && c.last_received() <= quiet_since &&
           !conn_manager_.is_protected(c.peer().id);
  };
  // handshake_address is the remote IP of an inbound TCP connection ("" for a relayed stream).
  std::unordered_map<std::string, std::size_t> per_address;
  for (const auto& [id, c] : table_.all())
    if (evictable(*c)) ++per_address[c->handshake_address];
  if (per_address.empty()) return false;
  auto most = per_address.begin();
  for (auto it = per_address.begin(); it != per_address.end(); ++it)
    if (it->second > most->second) most = it;
  ConnPtr victim;
  for (const auto& [id, c] : table_.all())
    if (evictable(*c) && c->handshake_address == most->first &&
        (!victim || c->last_received() < victim->last_received()))
      victim = c;
  ++stats_.evicted_for_newcomer;
  if (auto line = limits_.log_refusal("max_connections (" + std::to_string(opts_.max_connections) +
                                      ") reached: closed the least recently active inbound connection from " +
                                      (most->first.empty() ? std::string("a relay") : most->first) + " (" +
                                      std::to_string(most->second) + " from there) for " + newcomer))
    spdlog::info("{} {}", log_, *line);
  victim->close("evicted: max_connections reached and this address holds the most inbound connections");
  return true;
}

void TransportImpl::connection_memory_pressure(Connection&) {
  // Close the connection whose unfinished frame began first until partial frames fit: a sender
  // that stalls or trickles holds the oldest frame, an honest fast transfer a recent one.
  while (memory_.in_over()) {
    ConnPtr victim;
    for (const auto& [id, c] : table_.all()) {
      auto started = c->partial_frame_started();
      if (c->closed() || !started || c->partial_in_bytes() <= kIdleBufferKeep) continue;
      if (!victim || *started < *victim->partial_frame_started()) victim = c;
    }
    if (!victim) return;  // only small buffers left: they fit in any sane limit
    ++stats_.memory_closes;
    auto why = "the transport's memory for partly received frames is in use (" + std::to_string(memory_.in) + " of " +
               std::to_string(memory_.in_limit()) + " bytes); this connection's unfinished frame began first";
    spdlog::warn("{} closing connection to {}: {}", log_, victim->remote_address(), why);
    victim->close(why);
  }
}

void TransportImpl::connection_out_pressure(Connection& c, std::size_t bytes) {
  const auto stalled_before = std::chrono::steady_clock::now() - opts_.write_stall;
  while (!memory_.out_has_room(bytes)) {
    ConnPtr victim;
    for (const auto& [id, other] : table_.all()) {
      if (other.get() == &c || other->closed() || other->queued_bytes() <= Connection::kAlwaysQueuedBytes) continue;
      auto since = other->write_waiting_since();
      if (!since || *since > stalled_before) continue;  // its peer is reading: a slow link, not a hog
      if (!victim || other->queued_bytes() > victim->queued_bytes()) victim = other;
    }
    if (!victim) return;
    ++stats_.stalled_closes;
    auto why = "the transport's memory for outgoing frames is in use (" + std::to_string(memory_.out) + " of " +
               std::to_string(memory_.out_limit()) + " bytes) and this peer has read nothing of its " +
               std::to_string(victim->queued_bytes()) + " queued bytes for " +
               std::to_string(opts_.write_stall.count()) + " ms";
    spdlog::warn("{} closing connection to {}: {}", log_, victim->remote_address(), why);
    victim->close(why);
  }
}

Transport::Usage TransportImpl::usage() const {
  Transport::Usage u;
  u.memory_limit = memory_.limit;
  u.queued_out_bytes = memory_.out;
  u.partial_in_bytes = memory_.in;
  u.connections = table_.size();
  for (const auto& [id, c] : table_.all()) u.open_inbound_requests += c->open_inbound_requests.size();
  u.address_book_nodes = book_.nodes();
  u.address_book_uris = book_.uris();
  return u;
}

}  // namespace butter::host
