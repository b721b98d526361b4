// TransportImpl, part 4: the connection manager's actions — trimming above the high watermark,
// one connection per pair of nodes, advertised endpoints. The bookkeeping and the choice of
// victims are in conn_manager.*; idle closing is the connection's idle timer asking
// connection_may_idle_close (transport_impl.cpp).
#include "transport/transport_impl.hpp"

#include <spdlog/spdlog.h>

namespace butter::host {

namespace {
constexpr std::size_t kMaxAdvertised = 8;
constexpr std::chrono::milliseconds kTrimRetry{1000};
// A released peer with something still in flight is looked at again this often (until its grace
// is over: then trimming and idle closing decide, as for any connection).
constexpr std::chrono::milliseconds kReleaseRetry{200};
}  // namespace

std::vector<std::string> TransportImpl::announced_endpoints() const {
  std::vector<std::string> out = listen_uris_;
  out.insert(out.end(), advertised_.begin(), advertised_.end());
  return out;
}

bool TransportImpl::advertise(const std::string& uri) {
  if (std::find(advertised_.begin(), advertised_.end(), uri) != advertised_.end()) return false;
  if (advertised_.size() >= kMaxAdvertised) return false;
  advertised_.insert(advertised_.begin(), uri);  // newest first
  return true;
}

bool TransportImpl::withdraw(const std::string& uri) {
  auto it = std::find(advertised_.begin(), advertised_.end(), uri);
  if (it == advertised_.end()) return false;
  advertised_.erase(it);
  return true;
}

Transport::ConnInfo TransportImpl::conn_info() const {
  Transport::ConnInfo i;
  i.low_water = opts_.connections_low_water;
  i.high_water = opts_.connections_high_water;
  i.peers = table_.peer_count();
  i.protected_peers = conn_manager_.protected_peers();
  i.connections = table_.size();
  return i;
}

bool TransportImpl::connection_busy(const Connection& c) const {
  return !c.open_inbound_requests.empty() || c.queued_bytes() > 0 || pending_.awaits(c.id());
}

void TransportImpl::maybe_trim() {
  if (opts_.connections_high_water == 0 || table_.peer_count() <= opts_.connections_high_water || trim_armed_ ||
      stopped_)
    return;
  // Not at once: the peer that just came up may be put to use (and protected) in this turn.
  trim_armed_ = true;
  if (!trim_timer_) trim_timer_ = std::make_unique<boost::asio::steady_timer>(strand_);
  trim_timer_->expires_after(std::chrono::milliseconds(100));
  trim_timer_->async_wait([this, w = alive()](boost::system::error_code ec) {
    if (ec || w.expired() || stopped_) return;
    trim_armed_ = false;
    trim_now();
  });
}

void TransportImpl::trim_now() {
  if (opts_.connections_high_water == 0 || table_.peer_count() <= opts_.connections_high_water) return;
  const auto now = std::chrono::steady_clock::now();
  std::vector<TrimCandidate> cands;
  cands.reserve(table_.peer_count());
  for (const auto& [id, list] : table_.peers()) {
    TrimCandidate t;
    t.id = id;
    t.is_protected = conn_manager_.is_protected(id);
    t.opened = std::chrono::steady_clock::time_point::max();
    t.last_activity = std::chrono::steady_clock::time_point::min();
    for (auto cid : list) {
      auto c = table_.find(cid);
      if (!c) continue;
      t.busy = t.busy || connection_busy(*c);
      t.opened = std::min(t.opened, c->opened_at());
      t.last_activity = std::max(t.last_activity, c->last_activity());
    }
    cands.push_back(t);
  }
  auto victims = select_trim_victims(cands, opts_.connections_low_water, opts_.connections_high_water, now,
                                     opts_.connection_grace());
  if (!victims.empty())
    spdlog::debug("{} {} peers above high_water {}: trimming {}", log_, table_.peer_count(),
                  opts_.connections_high_water, victims.size());
  for (const auto& id : victims) {
    ++stats_.trimmed;
    disconnect(
        id, "trimmed: more than connections_high_water (" + std::to_string(opts_.connections_high_water) + ") peers");
  }
  if (table_.peer_count() > opts_.connections_high_water && !trim_armed_) {
    // Everything left is protected, busy or young: look again later (young ones age).
    trim_armed_ = true;
    trim_timer_->expires_after(kTrimRetry);
    trim_timer_->async_wait([this, w = alive()](boost::system::error_code ec) {
      if (ec || w.expired() || stopped_) return;
      trim_armed_ = false;
      trim_now();
    });
  }
}

// Mechanism for a plugin's "done with it" (butter.connections.release/1). Only what cannot be in use
// elsewhere is cut: a connection this node dialled within the grace (the one the plugin's request
// opened), with nobody protecting the peer, and while the node keeps more than its low watermark.
bool TransportImpl::release_peer(const NodeId& id) {
  if (!table_.is_connected(id) || stopped_) return false;
  if (conn_manager_.is_protected(id) || table_.peer_count() <= opts_.connections_low_water) return true;
  const auto now = std::chrono::steady_clock::now();
  bool busy = false;
  for (auto cid : table_.up_ids(id)) {
    auto c = table_.find(cid);
    if (!c) continue;
    if (!c->outbound() || now - c->opened_at() >= opts_.connection_grace()) return true;  // not this plugin's to cut
    busy = busy || connection_busy(*c);
  }
  if (!busy) {
    ++stats_.released;
    disconnect(id, "released: dialled for a one-off use, and no longer used");
    return true;
  }
  // One retry chain per peer however often it is released; it ends with the grace (bounded by
  // the peers connected, each entry living at most the grace).
  if (!releasing_.insert(id).second) return true;
  auto timer = std::make_shared<boost::asio::steady_timer>(strand_, kReleaseRetry);
  timer->async_wait([this, w = alive(), id, timer](boost::system::error_code ec) {
    if (w.expired()) return;
    releasing_.erase(id);
    if (!ec && !stopped_) release_peer(id);
  });
  return true;
}

void TransportImpl::close_duplicates(const NodeId& id) {
  if (table_.up_count(id) < 2) return;
  auto keep = table_.preferred(id);
  const auto now = std::chrono::steady_clock::now();
  bool waiting = false;
  for (auto cid : table_.up_ids(id)) {
    auto c = table_.find(cid);
    if (!c || c == keep) continue;
    // Only the simultaneous-dial case (one each way): a second connection dialled by the same
    // side is a new path on purpose (a relay after a move, a fresh address) while the old one may
    // be silently dead, and closing the new one in favour of the older would cut the node off.
    // A punched connection replaces whatever else reaches the peer (the relayed one it upgrades).
    if (c->outbound() == keep->outbound() && !keep->punched) continue;
    // Both sides send on preferred() once they see both connections; whatever is still on this
    // one (a request, its answer) finishes first, so no message is lost by closing it.
    if (!connection_busy(*c) && now - c->last_activity() >= opts_.duplicate_drain) {
      ++stats_.duplicates_closed;
      c->close("duplicate connection: one connection per pair of nodes");
    } else {
      waiting = true;
    }
  }
  if (!waiting) return;
  auto timer = std::make_shared<boost::asio::steady_timer>(strand_, opts_.duplicate_drain);
  timer->async_wait([this, w = alive(), id, timer](boost::system::error_code ec) {
    if (ec || w.expired() || stopped_) return;
    close_duplicates(id);
  });
}

}  // namespace butter::host
