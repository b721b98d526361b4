// The I/O-free Peer Content Group engine (see engine.hpp): puts, restores and the clock (put
// completion; heartbeat rounds: heartbeats.cpp). Repair: group_repair.cpp; messages:
// engine_messages.cpp; gets: engine_get.cpp (Gets: gets.cpp); group membership changes:
// engine_membership.cpp; possession checks: possession_checks.cpp; queries: engine_queries.cpp.
#include "engine.hpp"

#include "deadlines.hpp"

#include <algorithm>

namespace butter::pcg {

std::uint64_t Engine::serve_burst(const Config& cfg) {
  return std::max<std::uint64_t>(cfg.serve_bytes_per_s, kMinBlockSize);
}

bool Engine::within_serve_rate(const Hash& to, std::uint64_t bytes, std::uint64_t now) {
  // An answer larger than the burst costs the whole burst (else it could never be sent).
  return served_.take(to, std::clamp<std::uint64_t>(bytes, 1, serve_burst(cfg_)), now);
}

Engine::Engine(Hash self, std::vector<std::string> endpoints, Config cfg, std::uint64_t capacity_bytes, Env& env)
    : self_(self),
      endpoints_(std::move(endpoints)),
      cfg_(cfg),
      budget_(capacity_bytes),
      quota_(cfg.peer_quota_bytes ? cfg.peer_quota_bytes : capacity_bytes / 8),
      env_(env),
      served_(cfg.serve_bytes_per_s, serve_burst(cfg)),
      heartbeats_(self, cfg_, *this),
      repairs_(self, cfg_, stats_, *this),
      gets_(self, cfg_, stats_, *this),
      checks_(self, cfg_, stats_, *this),
      reads_(self, cfg_, stats_, *this) {
  if (cfg_.r == 0) cfg_.r = 1;
  if (cfg_.heartbeat_ms == 0) cfg_.heartbeat_ms = 1;
  if (cfg_.fetch_window == 0) cfg_.fetch_window = 1;
}

// --- helpers -----------------------------------------------------------------------------------

void Engine::send(Output& out, const Hash& to, const Message& m) {
  if (to == self_) return;
  Send s;
  s.to = to;
  if (const auto* endpoints = addresses_.find(to)) s.endpoints = *endpoints;
  s.type = m.type;
  s.bytes = encode(m);
  ++stats_.sent[static_cast<std::size_t>(m.type)];
  out.sends.push_back(std::move(s));
}

void Engine::learn(const View& v) {
  for (const auto& m : v.members) learn(m.id, m.endpoints);
}

void Engine::learn(const Candidate& c) { learn(c.id, c.endpoints); }

void Engine::learn(const Hash& id, const std::vector<std::string>& endpoints) {
  if (endpoints.empty() || id == self_) return;
  addresses_.get_or_insert(id, [] { return std::vector<std::string>{}; }) = endpoints;
}

std::optional<ReadNode::HeldCopy> Engine::held_copy(const Hash& id) const {
  auto it = groups_.find(id);
  if (it == groups_.end()) return std::nullopt;
  const Group& g = it->second;
  return HeldCopy{g.manifest, g.view, g.data.have(), g.data.blocks()};
}

Group* Engine::group(const Hash& id) {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
}

bool Engine::suspected(const Group& g, const Hash& m, std::uint64_t now) const {
  if (m == self_) return false;
  // A member that failed a possession challenge is treated like a silent one: it neither counts
  // nor leads (so a lying leader is removed by the next member in the leader order).
  if (g.possession.failed(m)) return true;
  return silent(g, m, now);
}

bool Engine::silent(const Group& g, const Hash& m, std::uint64_t now) const {
  if (m == self_) return false;
  const MemberState* s = g.member(m);
  const std::uint64_t last = s && s->heard ? *s->heard : 0;
  return now > last + cfg_.miss_limit * cfg_.heartbeat_ms;
}

std::uint32_t Engine::replicas(const Group& g) const {
  std::uint32_t n = 0;
  for (const auto& m : g.view.members)
    if (m.id == self_ ? g.complete : g.is_proven(m.id)) ++n;
  return n;
}

std::vector<Hash> Engine::group_sources(const Group& g) const {
  return member_sources(g.view, self_, [&](const Hash& m) { return g.is_proven(m) || g.possession.claimed(m); });
}

// --- put / get / restore ------------------------------------------------------------------------

butter_status Engine::put(std::uint64_t ticket, std::span<const std::uint8_t> data,
                          const std::vector<std::string>& keywords, std::uint64_t now, Hash& id_out, std::string& why,
                          Output& out) {
  auto split_obj = split(data, cfg_.block_size, keywords, why);
  if (!split_obj) return BUTTER_E_INVALID;
  return put_split(ticket, std::move(*split_obj), now, id_out, why, out);
}

butter_status Engine::put_split(std::uint64_t ticket, SplitObject obj, std::uint64_t now, Hash& id_out,
                                std::string& why, Output& out) {
  SplitObject* split_obj = &obj;
  id_out = split_obj->id;
  ++stats_.puts;
  if (Group* g = group(split_obj->id)) {
    if (!g->complete) {  // we were fetching it: the caller just gave us every block
      const std::size_t n = split_obj->blocks.size();
      g->data.hold_all(std::move(split_obj->blocks));
      if (const butter_status st = became_complete(*g, why, out); st != BUTTER_OK) {
        g->data.expect(n);  // not stored: back to fetching from scratch, as before the put (nothing claims it)
        return st;
      }
    }
    if (g->put_ticket) {
      // A put of the same object is in flight: this one completes now with what we have.
      out.events.push_back(Event{EventKind::PutDone, ticket, BUTTER_OK, g->id, replicas(*g), {}, "already stored"});
    } else {
      g->put_ticket = ticket;
      g->put_deadline = now + cfg_.put_timeout_ms + transfer_ms(g->manifest.size, cfg_.min_transfer_bytes_per_s);
      check_put(*g, now, out);
    }
    return BUTTER_OK;
  }
  const std::uint64_t cost = split_obj->manifest.size + split_obj->manifest_bytes.size();
  if (!budget_.reserve(cost, why)) return BUTTER_E_NOMEM;
  Group g;
  g.id = split_obj->id;
  g.manifest = std::move(split_obj->manifest);
  g.manifest_bytes = std::move(split_obj->manifest_bytes);
  g.data.hold_all(std::move(split_obj->blocks));
  g.reserved = cost;
  g.view.version = 1;
  g.view.add(Member{self_, endpoints_});
  g.members[self_].joined = now;
  g.put_ticket = ticket;
  // The recruits fetch the object before they count: a bigger object gets longer (deadlines.hpp).
  g.put_deadline = now + cfg_.put_timeout_ms + transfer_ms(g.manifest.size, cfg_.min_transfer_bytes_per_s);
  auto [it, inserted] = groups_.emplace(g.id, std::move(g));
  if (const butter_status st = became_complete(it->second, why, out); st != BUTTER_OK) {
    budget_.release(cost);
    groups_.erase(it);
    return st;
  }
  out.events.push_back(Event{EventKind::ViewChanged, 0, BUTTER_OK, it->first, 0, {}, {}});
  if (cfg_.repair) repairs_.repair(it->second, now, out);
  check_put(it->second, now, out);
  return BUTTER_OK;
}

bool Engine::restore(const Hash& id, std::span<const std::uint8_t> manifest,
                     std::vector<std::vector<std::uint8_t>> blocks, const View& view, std::uint64_t now,
                     std::string& why) {
  if (groups_.count(id)) {
    why = "already held";
    return false;
  }
  auto m = verify_manifest(id, manifest, why);
  if (!m) return false;
  if (blocks.size() != m->blocks.size()) {
    why = "stored copy has " + std::to_string(blocks.size()) + " of " + std::to_string(m->blocks.size()) + " blocks";
    return false;
  }
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (!verify_block(*m, i, blocks[i])) {
      ++stats_.bad_blocks;
      why = "stored block " + std::to_string(i) + " does not match its hash";
      return false;
    }
  }
  const std::uint64_t cost = m->size + manifest.size();
  budget_.charge(cost);
  Group g;
  g.id = id;
  g.manifest = std::move(*m);
  g.manifest_bytes.assign(manifest.begin(), manifest.end());
  g.data.hold_all(std::move(blocks));  // moved, not copied: a restart held every object twice
  g.complete = true;
  g.reserved = cost;
  g.view = view;
  // A stored view without this node is a retiring copy (it left the group before the restart,
  // not yet confirmed held elsewhere): it stays retiring. Only a copy stored without any view
  // becomes a group of its own.
  if (g.view.members.empty()) g.view.add(Member{self_, endpoints_});
  learn(g.view);
  for (const auto& mem : g.view.members) {
    MemberState& s = g.members[mem.id];
    s.heard = now;
    s.joined = now;
  }
  g.members[self_].proven = true;
  groups_.emplace(id, std::move(g));
  return true;
}

// --- time ---------------------------------------------------------------------------------------

void Engine::tick(std::uint64_t now, Output& out) {
  if (const std::uint64_t paused = pause_credit(last_tick_, now, cfg_.heartbeat_ms)) credit_pause(paused);
  last_tick_ = now;
  if (cfg_.repair && heartbeats_.due(now)) {
    // Idle answer budgets go once per round, not every tick (take() also makes room when full).
    checks_.prune(now);
    served_.prune(now);
    heartbeats_.round(groups_, now, out);
  }
  checks_.new_tick();  // new possession challenges this tick
  std::vector<Hash> ids;
  ids.reserve(groups_.size());
  for (const auto& [id, g] : groups_) ids.push_back(id);
  for (const auto& id : ids) {
    Group* g = group(id);
    if (!g) continue;
    // An unfinished recruit's reservation lapses: no block for reservation_idle_ms, or not
    // complete by complete_timeout_ms. Its space (budget and the recruiter's quota) comes back.
    if (!g->complete && g->fill_deadline && (now >= g->fill_deadline || now >= g->idle_deadline)) {
      ++stats_.reservations_expired;
      cannot_keep(*g, BUTTER_E_TIMEOUT,
                  now >= g->fill_deadline ? "recruit not complete within complete_timeout_ms; reservation released"
                                          : "no block arrived within reservation_idle_ms; reservation released",
                  out);
      continue;
    }
    if (g->retiring(self_) && retire_if_confirmed(*g, now, out)) continue;
    // Missing blocks: fetch timeouts fail over to the next source.
    if (!g->complete) {
      g->data.expire(now);
      if (!pump(*g, now, out)) g->data.forget_failures();  // every source failed once: start over on the next tick
    }
    if (cfg_.repair) checks_.step(*g, now, out);
    // Recruits that never answered count as refusals.
    for (auto& [m, s] : g->members) {
      if (s.recruited && now >= *s.recruited + cfg_.request_timeout_ms) {
        ++stats_.recruit_refused;
        s.refused = true;
        cooldown_[m] = now + cfg_.refuse_cooldown_ms;
        s.recruited.reset();
      }
    }
    if (cfg_.repair) repairs_.step(*g, now, out);
    if ((g = group(id))) check_put(*g, now, out);
  }
  for (auto it = cooldown_.begin(); it != cooldown_.end();)
    it = now >= it->second ? cooldown_.erase(it) : std::next(it);
  gets_.tick(now, out);
  reads_.tick(now, out);
}

void Engine::credit_pause(std::uint64_t pause_ms) {
  // Everything that times others out moves on by the pause: when they were last heard, when a
  // recruit was asked, when a block or a proof is due, when a reservation lapses for lack of
  // blocks. What arrived meanwhile waits in this node's queue and is handled after this tick.
  // The hard bounds (fill_deadline, put_deadline, a fetch's kMaxFetchStretch) do not move.
  for (auto& [id, g] : groups_) {
    for (auto& [m, s] : g.members) {
      if (s.heard) *s.heard += pause_ms;
      if (s.recruited) *s.recruited += pause_ms;
    }
    g.possession.delay_challenges(pause_ms);
    g.data.credit_pause(pause_ms, cfg_.request_timeout_ms);
    if (g.idle_deadline)
      g.idle_deadline = std::min(g.idle_deadline + pause_ms, std::max(g.idle_deadline, g.fill_deadline));
  }
}

void Engine::check_put(Group& g, std::uint64_t now, Output& out) {
  if (!g.put_ticket) return;
  const std::uint32_t n = replicas(g);
  if (n >= cfg_.r || now >= g.put_deadline || !cfg_.repair) {
    std::string msg = n >= cfg_.r ? std::string()
                                  : "group holds " + std::to_string(n) + " of " + std::to_string(cfg_.r) +
                                        " replicas so far; it keeps recruiting";
    out.events.push_back(Event{EventKind::PutDone, *g.put_ticket, BUTTER_OK, g.id, n, {}, std::move(msg)});
    g.put_ticket.reset();
  }
}

butter_status Engine::became_complete(Group& g, std::string& why, Output& out) {
  if (const butter_status st = env_.store_durably(g.id, g.manifest_bytes, g.data.blocks(), g.view, why);
      st != BUTTER_OK) {
    ++stats_.store_failures;
    return st;
  }
  g.complete = true;
  g.members[self_].proven = true;
  ++stats_.stored;
  out.events.push_back(Event{EventKind::Stored, 0, BUTTER_OK, g.id, 0, {}, {}});
  Message h;
  h.type = MsgType::Have;
  h.object = g.id;
  h.number = g.view.version;
  for (const auto& m : g.view.members) send(out, m.id, h);
  return BUTTER_OK;
}

void Engine::cannot_keep(Group& g, butter_status st, const std::string& why, Output& out) {
  Message ack;
  ack.type = MsgType::RecruitAck;
  ack.object = g.id;
  ack.number = g.view.version;
  ack.status = st;
  ack.reason = why.substr(0, 1024);
  for (const auto& m : g.view.members) send(out, m.id, ack);
  drop(g.id, out);
}

}  // namespace butter::pcg
