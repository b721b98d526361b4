// The ir-dbfs plugin's choice of overlay neighbours: from butter.peers/1 (connected peers first:
// the host's active set), or among the connected peers without a known-host cache; LINKs to the
// chosen ones, and UNLINK (withdrawn) to the ones dropped from the choice.
#include "dbfs_plugin.hpp"

#include <algorithm>
#include <random>
#include <set>

namespace butter::dbfs {

// Tells each chosen neighbour that we chose it, so that it forwards queries to us as well (links
// work both ways); repeated every refresh period to keep the inbound link alive.
void DbfsPlugin::send_links() {
  const auto link = encode_link();
  for (const auto& n : engine_->neighbours().outbound()) {
    butter::Status st = send(n, kProtocol, link);
    if (!st) ++send_failed_;
  }
}

void DbfsPlugin::refresh_neighbours(bool top_up_only) {
  auto peers = services().acquire<butter_peers_v1>(BUTTER_IFACE_PEERS);
  if (!peers) {
    // No known-host cache on this node: choose among the connected peers instead.
    std::vector<std::string> keep;
    auto connected = net().peers();
    for (const auto& id : engine_->neighbours().outbound()) {
      if (std::any_of(connected.begin(), connected.end(), [&](const auto& p) { return p.node_id == id; }))
        keep.push_back(id);
    }
    std::shuffle(connected.begin(), connected.end(), std::mt19937_64(now_ms()));
    for (const auto& p : connected) {
      if (keep.size() >= want_neighbours_) break;
      if (std::find(keep.begin(), keep.end(), p.node_id) == keep.end()) keep.push_back(p.node_id);
    }
    choose_outbound(std::move(keep));
    return;
  }
  // Choose afresh each time the cache has doubled since the last choice: neighbours picked while
  // a node knew only the first few hosts would otherwise cluster the overlay by arrival time.
  const std::uint32_t known = peers->count(peers.provider());
  if (known >= 2 * std::max<std::uint32_t>(hosts_at_choice_, 1) && known > want_neighbours_) top_up_only = false;
  if (!top_up_only || engine_->neighbours().outbound().empty()) hosts_at_choice_ = known;
  std::vector<std::string> keep;
  auto admitted = [&](const std::string& id) {
    return peers->lookup(
               peers.provider(), butter::to_c(id), [](void*, const butter_peer_record*) {}, nullptr) == BUTTER_OK;
  };
  // Forward along the active set: the connected peers (the overlay's neighbours, kept by the
  // host's connection manager) cost no new connection. Once enough are connected, a neighbour
  // that is not connected any more is replaced by one that is.
  auto connected = net().peers();
  std::shuffle(connected.begin(), connected.end(), std::mt19937_64(now_ms()));
  std::set<std::string> up;
  for (const auto& p : connected) up.insert(p.node_id);
  const bool enough_up = up.size() >= want_neighbours_;
  // Keep the neighbours we have while the cache still admits them: stable links are what the
  // heuristics learn about.
  for (const auto& id : engine_->neighbours().outbound()) {
    if (!top_up_only) break;
    if (admitted(id) && (up.count(id) || !enough_up) && !engine_->blocked(id, now_ms()) &&
        !engine_->link_refused(id, now_ms()))
      keep.push_back(id);
  }
  for (const auto& p : connected) {
    if (keep.size() >= want_neighbours_) break;
    if (p.node_id == engine_->self() || std::find(keep.begin(), keep.end(), p.node_id) != keep.end()) continue;
    if (engine_->blocked(p.node_id, now_ms())) continue;       // caught forging hits: not linked again for a while
    if (engine_->link_refused(p.node_id, now_ms())) continue;  // no room for us there lately
    if (admitted(p.node_id)) keep.push_back(p.node_id);
  }
  if (keep.size() < want_neighbours_) {
    struct Ctx {
      std::vector<std::string>* keep;
      std::size_t want;
      std::string self;
      const Engine* engine;
      std::uint64_t now;
    } ctx{&keep, want_neighbours_, engine_->self(), engine_.get(), now_ms()};
    peers->sample(
        peers.provider(), static_cast<std::uint32_t>(want_neighbours_ * 2),
        [](void* user, const butter_peer_record* r) {
          auto* c = static_cast<Ctx*>(user);
          std::string id = copy_str(r->node_id);
          if (c->keep->size() >= c->want || id == c->self || c->engine->blocked(id, c->now) ||
              c->engine->link_refused(id, c->now))
            return;
          if (std::find(c->keep->begin(), c->keep->end(), id) == c->keep->end()) c->keep->push_back(id);
        },
        &ctx);
  }
  choose_outbound(std::move(keep));
  neighbours_gauge_.set(static_cast<double>(engine_->neighbours().all(now_ms()).size()));
}

// A neighbour dropped from the choice is told (UNLINK, withdrawn): its inbound slot for us would
// otherwise stay taken until it idles out (inbound_idle_ms, 10 min), and a node whose slots are held
// by links nobody uses refuses the newcomers that need them.
void DbfsPlugin::choose_outbound(std::vector<std::string> keep) {
  const std::vector<std::string> before = engine_->neighbours().outbound();
  if (keep == before) return protect_outbound();
  log().debug("neighbours: {} chosen", keep.size());
  engine_->neighbours().set_outbound(std::move(keep));
  const auto& now_chosen = engine_->neighbours().outbound();
  const auto withdraw = encode_unlink(UnlinkKind::Withdrawn);
  // Only over a live connection: dialling a dropped neighbour just to say goodbye costs more than
  // the slot it frees (one that idles out anyway).
  const auto connected = net().peers();
  for (const auto& old : before) {
    if (std::find(now_chosen.begin(), now_chosen.end(), old) != now_chosen.end()) continue;
    if (std::none_of(connected.begin(), connected.end(), [&](const auto& p) { return p.node_id == old; })) continue;
    if (!send(old, kProtocol, withdraw)) ++send_failed_;
  }
  protect_outbound();
  send_links();
}

// The chosen neighbours are kept through the host's trims ("search" tag): a link the connection
// manager cuts is replaced only at the next refresh, and the heuristics lose what they learnt about
// it. Only the outbound ones (at most want_neighbours): a peer that chose this node must not be
// able to pin a connection here. Run on every refresh, so that neighbours carried over a hot swap
// (load_state) are protected too; every tag goes when the instance stops.
void DbfsPlugin::protect_outbound() {
  if (!conns_.available()) return;
  const auto& now_chosen = engine_->neighbours().outbound();
  for (auto it = protected_.begin(); it != protected_.end();) {
    if (std::find(now_chosen.begin(), now_chosen.end(), *it) != now_chosen.end()) {
      ++it;
      continue;
    }
    (void)conns_.unprotect(*it, "search");
    it = protected_.erase(it);
  }
  for (const auto& id : now_chosen) {
    // Past the host's bound on protected peers (BUTTER_E_AGAIN) the link is only not kept: tried
    // again at the next refresh.
    if (!protected_.count(id) && conns_.protect(id, "search")) protected_.insert(id);
  }
}

}  // namespace butter::dbfs
