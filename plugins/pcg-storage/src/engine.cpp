// The I/O-free Peer Content Group engine (see engine.hpp).
#include "engine.hpp"

#include <algorithm>

namespace butter::pcg {

namespace {
constexpr std::size_t kHeartbeatBatch = 512;  // entries per heartbeat message
}

Engine::Engine(Hash self, std::vector<std::string> endpoints, Config cfg, std::uint64_t capacity_bytes, Env& env)
    : self_(self), endpoints_(std::move(endpoints)), cfg_(cfg), budget_(capacity_bytes), env_(env) {
  if (cfg_.r == 0) cfg_.r = 1;
  if (cfg_.heartbeat_ms == 0) cfg_.heartbeat_ms = 1;
  if (cfg_.fetch_window == 0) cfg_.fetch_window = 1;
}

// --- helpers -----------------------------------------------------------------------------------

void Engine::send(Output& out, const Hash& to, const Message& m) {
  if (to == self_) return;
  Send s;
  s.to = to;
  if (auto it = addresses_.find(to); it != addresses_.end()) s.endpoints = it->second;
  s.type = m.type;
  s.bytes = encode(m);
  ++stats_.sent[static_cast<std::size_t>(m.type)];
  out.sends.push_back(std::move(s));
}

void Engine::learn(const View& v) {
  for (const auto& m : v.members)
    if (!m.endpoints.empty() && m.id != self_) addresses_[m.id] = m.endpoints;
}

void Engine::learn(const Candidate& c) {
  if (!c.endpoints.empty() && c.id != self_) addresses_[c.id] = c.endpoints;
}

Engine::Group* Engine::group(const Hash& id) {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
}

bool Engine::suspected(const Group& g, const Hash& m, std::uint64_t now) const {
  if (m == self_) return false;
  std::uint64_t last = 0;
  if (auto it = g.heard.find(m); it != g.heard.end()) last = it->second;
  return now > last + cfg_.miss_limit * cfg_.heartbeat_ms;
}

std::uint32_t Engine::replicas(const Group& g) const {
  std::uint32_t n = 0;
  for (const auto& m : g.view.members)
    if (m.id == self_ ? g.complete : g.complete_members.count(m.id) > 0) ++n;
  return n;
}

std::vector<Hash> Engine::group_sources(const Group& g) const {
  // Members known complete first, then the others (they may hold it already).
  std::vector<Hash> first, rest;
  for (const auto& m : g.view.members) {
    if (m.id == self_) continue;
    (g.complete_members.count(m.id) ? first : rest).push_back(m.id);
  }
  first.insert(first.end(), rest.begin(), rest.end());
  return first;
}

// --- put / get / restore ------------------------------------------------------------------------

butter_status Engine::put(std::uint64_t ticket, std::span<const std::uint8_t> data,
                          const std::vector<std::string>& keywords, std::uint64_t now, Hash& id_out, std::string& why,
                          Output& out) {
  auto split_obj = split(data, cfg_.block_size, keywords, why);
  if (!split_obj) return BUTTER_E_INVALID;
  id_out = split_obj->id;
  ++stats_.puts;
  if (Group* g = group(split_obj->id)) {
    if (!g->complete) {  // we were fetching it: the caller just gave us every block
      g->data.blocks = std::move(split_obj->blocks);
      g->data.have.assign(g->data.blocks.size(), true);
      g->data.have_count = g->data.blocks.size();
      g->data.fetching.clear();
      became_complete(*g, out);
    }
    if (g->put_ticket) {
      // A put of the same object is in flight: this one completes now with what we have.
      out.events.push_back(Event{EventKind::PutDone, ticket, BUTTER_OK, g->id, replicas(*g), {}, "already stored"});
    } else {
      g->put_ticket = ticket;
      g->put_deadline = now + cfg_.put_timeout_ms;
      check_put(*g, now, out);
    }
    return BUTTER_OK;
  }
  const std::uint64_t cost = data.size() + split_obj->manifest_bytes.size();
  if (!budget_.reserve(cost, why)) return BUTTER_E_NOMEM;
  Group g;
  g.id = split_obj->id;
  g.manifest = std::move(split_obj->manifest);
  g.manifest_bytes = std::move(split_obj->manifest_bytes);
  g.data.blocks = std::move(split_obj->blocks);
  g.data.have.assign(g.data.blocks.size(), true);
  g.data.have_count = g.data.blocks.size();
  g.reserved = cost;
  g.view.version = 1;
  g.view.add(Member{self_, endpoints_});
  g.joined[self_] = now;
  g.put_ticket = ticket;
  g.put_deadline = now + cfg_.put_timeout_ms;
  auto [it, inserted] = groups_.emplace(g.id, std::move(g));
  became_complete(it->second, out);
  out.events.push_back(Event{EventKind::ViewChanged, 0, BUTTER_OK, it->first, 0, {}, {}});
  if (cfg_.repair) repair(it->second, now, out);
  check_put(it->second, now, out);
  return BUTTER_OK;
}

void Engine::get(std::uint64_t ticket, const Hash& id, const std::vector<Candidate>& candidates, bool more_coming,
                 std::uint64_t now, Output& out) {
  ++stats_.gets;
  if (Group* g = group(id)) {
    if (g->complete) {
      std::string why;
      auto data = assemble(g->manifest, g->data.blocks, why);  // verified on every read
      if (data) {
        out.events.push_back(Event{EventKind::GetDone, ticket, BUTTER_OK, id, 0, std::move(*data), {}});
      } else {
        ++stats_.bad_blocks;
        out.events.push_back(Event{EventKind::GetDone, ticket, BUTTER_E_INTERNAL, id, 0, {}, why});
      }
      return;
    }
  }
  Getter& gt = getters_[ticket];
  gt.ticket = ticket;
  gt.id = id;
  gt.deadline = now + cfg_.get_timeout_ms;
  gt.more_coming = more_coming;
  if (Group* g = group(id)) {  // a member still filling its copy: fetch from the group directly
    gt.located = true;
    gt.manifest = g->manifest;
    gt.sources = group_sources(*g);
    gt.data.blocks.assign(gt.manifest.blocks.size(), {});
    gt.data.have.assign(gt.manifest.blocks.size(), false);
  }
  add_get_candidates(ticket, candidates, more_coming, now, out);
}

void Engine::add_get_candidates(std::uint64_t ticket, const std::vector<Candidate>& candidates, bool more_coming,
                                std::uint64_t now, Output& out) {
  auto it = getters_.find(ticket);
  if (it == getters_.end()) return;
  Getter& gt = it->second;
  gt.more_coming = more_coming;
  if (!gt.located) {
    for (const auto& c : candidates) {
      if (c.id == self_ || !gt.asked.insert(c.id).second) continue;
      learn(c);
      gt.asking[c.id] = now + cfg_.request_timeout_ms;
      Message m;
      m.type = MsgType::Locate;
      m.object = gt.id;
      m.number = ticket;
      send(out, c.id, m);
    }
  }
  getter_step(gt, now, out);
}

bool Engine::restore(const Hash& id, std::span<const std::uint8_t> manifest,
                     const std::vector<std::vector<std::uint8_t>>& blocks, const View& view, std::uint64_t now,
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
  if (!budget_.reserve(cost, why)) return false;
  Group g;
  g.id = id;
  g.manifest = std::move(*m);
  g.manifest_bytes.assign(manifest.begin(), manifest.end());
  g.data.blocks = blocks;
  g.data.have.assign(blocks.size(), true);
  g.data.have_count = blocks.size();
  g.complete = true;
  g.reserved = cost;
  g.view = view;
  if (!g.view.contains(self_)) g.view.add(Member{self_, endpoints_});
  learn(g.view);
  for (const auto& mem : g.view.members) {
    g.heard[mem.id] = now;
    g.joined[mem.id] = now;
  }
  g.complete_members.insert(self_);
  groups_.emplace(id, std::move(g));
  return true;
}

// --- time ---------------------------------------------------------------------------------------

void Engine::tick(std::uint64_t now, Output& out) {
  if (cfg_.repair && now >= next_round_) {
    heartbeat_round(now, out);
    // One round per interval, +- jitter so that rounds of different nodes do not line up.
    const double u = static_cast<double>(env_.random() % 1000001) / 1000000.0 * 2.0 - 1.0;
    const double next = static_cast<double>(cfg_.heartbeat_ms) * (1.0 + cfg_.jitter * u);
    next_round_ = now + static_cast<std::uint64_t>(std::max(1.0, next));
  }
  std::vector<Hash> ids;
  ids.reserve(groups_.size());
  for (const auto& [id, g] : groups_) ids.push_back(id);
  for (const auto& id : ids) {
    Group* g = group(id);
    if (!g) continue;
    // Missing blocks: fetch timeouts fail over to the next source.
    if (!g->complete) {
      for (auto it = g->data.fetching.begin(); it != g->data.fetching.end();) {
        if (now >= it->second.deadline) {
          g->data.tried[it->first].insert(it->second.from);
          it = g->data.fetching.erase(it);
        } else {
          ++it;
        }
      }
      if (!pump(g->data, g->manifest, g->id, group_sources(*g), now, out)) {
        g->data.tried.clear();  // every source failed once: start over on the next tick
      }
    }
    // Recruits that never answered count as refusals.
    for (auto it = g->recruited.begin(); it != g->recruited.end();) {
      if (now >= it->second + cfg_.request_timeout_ms) {
        ++stats_.recruit_refused;
        g->refused.insert(it->first);
        cooldown_[it->first] = now + cfg_.refuse_cooldown_ms;
        it = g->recruited.erase(it);
      } else {
        ++it;
      }
    }
    if (cfg_.repair && now >= g->next_repair) {
      auto lead = leader(g->id, g->view, [&](const Hash& m) { return !suspected(*g, m, now); });
      if (lead && *lead == self_) repair(*g, now, out);
      g->next_repair = now + std::max<std::uint64_t>(1, cfg_.heartbeat_ms / 2);
    }
    if ((g = group(id))) check_put(*g, now, out);
  }
  for (auto it = cooldown_.begin(); it != cooldown_.end();) it = now >= it->second ? cooldown_.erase(it) : std::next(it);
  std::vector<std::uint64_t> tickets;
  for (const auto& [t, gt] : getters_) tickets.push_back(t);
  for (auto t : tickets) {
    auto it = getters_.find(t);
    if (it != getters_.end()) getter_step(it->second, now, out);
  }
}

void Engine::heartbeat_round(std::uint64_t /*now*/, Output& out) {
  std::map<Hash, Message> batches;
  for (auto& [id, g] : groups_) {
    for (const auto& m : g.view.members) {
      if (m.id == self_) continue;
      Message& b = batches[m.id];
      b.type = MsgType::Heartbeat;
      b.entries.push_back(HeartbeatEntry{id, g.complete, g.view});
      if (b.entries.size() >= kHeartbeatBatch) {
        send(out, m.id, b);
        b.entries.clear();
      }
    }
  }
  for (auto& [to, b] : batches)
    if (!b.entries.empty()) send(out, to, b);
}

void Engine::repair(Group& g, std::uint64_t now, Output& out) {
  RepairInput in;
  in.object = g.id;
  in.self = self_;
  in.r = cfg_.r;
  in.view = &g.view;
  in.remove = [&](const Hash& m) {
    if (suspected(g, m, now) || g.refused.count(m)) return true;
    // A recruit still incomplete long after it joined has stalled.
    auto j = g.joined.find(m);
    return !g.complete_members.count(m) && j != g.joined.end() && now > j->second + cfg_.complete_timeout_ms;
  };
  in.complete = [&](const Hash& m) {
    return m == self_ ? g.complete : (g.complete_members.count(m) > 0 && !suspected(g, m, now));
  };
  // Candidates are asked for only when the group may need them.
  std::size_t live = 0;
  for (const auto& m : g.view.members)
    if (m.id == self_ || !in.remove(m.id)) ++live;
  if (live < cfg_.r) {
    const std::size_t need = cfg_.r - live;
    for (auto& c : env_.candidates(need * 3 + 2)) {
      if (c.id == self_ || cooldown_.count(c.id) || g.view.contains(c.id)) continue;
      in.candidates.push_back(std::move(c));
    }
  }
  RepairPlan plan = plan_repair(in);
  if (!plan.changes()) return;
  const View old = g.view;
  View next = g.view;
  next.version = old.version + 1;
  for (const auto& id : plan.remove) next.remove(id);
  for (const auto& id : plan.shed) next.remove(id);
  for (const auto& c : plan.recruit) {
    learn(c);
    next.add(Member{c.id, c.endpoints});
  }
  for (const auto& id : plan.remove) g.refused.erase(id);
  ++stats_.repairs;
  g.view = next;
  for (const auto& c : plan.recruit) {
    g.heard[c.id] = now;
    g.joined[c.id] = now;
    g.recruited[c.id] = now;
  }
  for (auto it = g.heard.begin(); it != g.heard.end();) it = next.contains(it->first) ? std::next(it) : g.heard.erase(it);
  for (auto it = g.joined.begin(); it != g.joined.end();) it = next.contains(it->first) ? std::next(it) : g.joined.erase(it);
  for (auto it = g.complete_members.begin(); it != g.complete_members.end();)
    it = next.contains(*it) || *it == self_ ? std::next(it) : g.complete_members.erase(it);
  out.events.push_back(Event{EventKind::ViewChanged, 0, BUTTER_OK, g.id, 0, {}, {}});
  // The new view to everyone in the old or the new one (the removed learn they are out), and a
  // recruit, with the manifest, to each new member.
  std::set<Hash> told;
  for (const auto& m : old.members) told.insert(m.id);
  for (const auto& m : next.members) told.insert(m.id);
  for (const auto& c : plan.recruit) told.erase(c.id);
  Message vm;
  vm.type = MsgType::ViewUpdate;
  vm.object = g.id;
  vm.view = next;
  for (const auto& id : told) send(out, id, vm);
  for (const auto& c : plan.recruit) {
    Message rm;
    rm.type = MsgType::Recruit;
    rm.object = g.id;
    rm.view = next;
    rm.manifest = g.manifest_bytes;
    ++stats_.recruit_requests;
    send(out, c.id, rm);
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

void Engine::became_complete(Group& g, Output& out) {
  g.complete = true;
  g.complete_members.insert(self_);
  ++stats_.stored;
  out.events.push_back(Event{EventKind::Stored, 0, BUTTER_OK, g.id, 0, {}, {}});
  Message h;
  h.type = MsgType::Have;
  h.object = g.id;
  h.number = g.view.version;
  for (const auto& m : g.view.members) send(out, m.id, h);
}

void Engine::adopt(Group& g, const View& v, std::uint64_t now, Output& out) {
  if (!outranks(v, g.view)) return;
  learn(v);
  ++stats_.views_adopted;
  for (const auto& m : v.members) {
    if (!g.view.contains(m.id)) {
      g.heard[m.id] = now;
      g.joined[m.id] = now;
    }
  }
  g.view = v;
  for (auto it = g.heard.begin(); it != g.heard.end();) it = v.contains(it->first) ? std::next(it) : g.heard.erase(it);
  for (auto it = g.joined.begin(); it != g.joined.end();) it = v.contains(it->first) ? std::next(it) : g.joined.erase(it);
  for (auto it = g.complete_members.begin(); it != g.complete_members.end();)
    it = v.contains(*it) ? std::next(it) : g.complete_members.erase(it);
  if (!v.contains(self_)) {
    drop(g.id, out);
    return;
  }
  out.events.push_back(Event{EventKind::ViewChanged, 0, BUTTER_OK, g.id, 0, {}, {}});
}

void Engine::drop(const Hash& id, Output& out) {
  auto it = groups_.find(id);
  if (it == groups_.end()) return;
  budget_.release(it->second.reserved);
  if (it->second.put_ticket) {
    out.events.push_back(Event{EventKind::PutDone, *it->second.put_ticket, BUTTER_OK, id, 0, {},
                               "this node left the group; the others keep it"});
  }
  ++stats_.dropped;
  // Dropped only for what was reported Stored (a recruit dropped while fetching never was).
  if (it->second.complete) out.events.push_back(Event{EventKind::Dropped, 0, BUTTER_OK, id, 0, {}, {}});
  groups_.erase(it);
}

// --- block transfers ----------------------------------------------------------------------------

bool Engine::pump(Transfer& t, const Manifest& m, const Hash& object, const std::vector<Hash>& sources,
                  std::uint64_t now, Output& out) {
  if (sources.empty()) return t.have_count == m.blocks.size();
  bool ok = true;
  for (std::uint32_t i = 0; i < m.blocks.size() && t.fetching.size() < cfg_.fetch_window; ++i) {
    if (t.have[i] || t.fetching.count(i)) continue;
    const auto& tried = t.tried[i];
    std::optional<Hash> src;
    // Spread blocks over sources: start at a different one for each block.
    for (std::size_t k = 0; k < sources.size(); ++k) {
      const Hash& s = sources[(i + k) % sources.size()];
      if (!tried.count(s)) {
        src = s;
        break;
      }
    }
    if (!src) {
      ok = false;
      continue;
    }
    t.fetching[i] = Fetch{*src, now + cfg_.request_timeout_ms};
    Message f;
    f.type = MsgType::Fetch;
    f.object = object;
    f.index = i;
    send(out, *src, f);
  }
  return ok;
}

bool Engine::accept_block(Transfer& t, const Manifest& m, const Hash& from, const Message& msg) {
  auto it = t.fetching.find(msg.index);
  if (it == t.fetching.end() || it->second.from != from) return false;  // late or unasked: ignored
  t.fetching.erase(it);
  if (msg.status != BUTTER_OK) {
    t.tried[msg.index].insert(from);
    return false;
  }
  if (!verify_block(m, msg.index, msg.data)) {
    ++stats_.bad_blocks;
    t.tried[msg.index].insert(from);
    return false;
  }
  t.blocks[msg.index] = msg.data;
  t.have[msg.index] = true;
  ++t.have_count;
  return true;
}

// --- gets from outside the group ----------------------------------------------------------------

void Engine::finish_get(std::uint64_t ticket, butter_status st, std::vector<std::uint8_t> data, std::string msg,
                        Output& out) {
  auto it = getters_.find(ticket);
  if (it == getters_.end()) return;
  out.events.push_back(Event{EventKind::GetDone, ticket, st, it->second.id, 0, std::move(data), std::move(msg)});
  getters_.erase(it);
}

void Engine::getter_step(Getter& gt, std::uint64_t now, Output& out) {
  const std::uint64_t ticket = gt.ticket;
  if (now >= gt.deadline) {
    finish_get(ticket, gt.located ? BUTTER_E_TIMEOUT : BUTTER_E_NOT_FOUND, {},
               gt.located ? "the group did not deliver every block in time" : "no reachable node holds the object", out);
    return;
  }
  if (!gt.located) {
    for (auto it = gt.asking.begin(); it != gt.asking.end();) it = now >= it->second ? gt.asking.erase(it) : std::next(it);
    if (gt.asking.empty() && !gt.more_coming)
      finish_get(ticket, BUTTER_E_NOT_FOUND, {}, "no reachable node holds the object", out);
    return;
  }
  for (auto it = gt.data.fetching.begin(); it != gt.data.fetching.end();) {
    if (now >= it->second.deadline) {
      gt.data.tried[it->first].insert(it->second.from);
      it = gt.data.fetching.erase(it);
    } else {
      ++it;
    }
  }
  if (gt.data.have_count == gt.manifest.blocks.size()) {
    std::string why;
    auto data = assemble(gt.manifest, gt.data.blocks, why);
    if (data) {
      finish_get(ticket, BUTTER_OK, std::move(*data), {}, out);
    } else {
      finish_get(ticket, BUTTER_E_INTERNAL, {}, why, out);
    }
    return;
  }
  if (!pump(gt.data, gt.manifest, gt.id, gt.sources, now, out) && gt.data.fetching.empty()) {
    finish_get(ticket, BUTTER_E_NOT_FOUND, {}, "no member of the group could serve every block", out);
  }
}

// --- messages -----------------------------------------------------------------------------------

void Engine::on_message(const Hash& from, std::span<const std::uint8_t> bytes, std::uint64_t now, Output& out) {
  std::string why;
  auto m = decode(bytes, why);
  if (!m) {
    ++stats_.bad_messages;
    return;
  }
  ++stats_.received[static_cast<std::size_t>(m->type)];
  if (from == self_) return;
  switch (m->type) {
    case MsgType::Heartbeat: on_heartbeat(from, *m, now, out); break;
    case MsgType::ViewUpdate: on_view(from, m->object, m->view, std::nullopt, now, out); break;
    case MsgType::Recruit: on_recruit(from, *m, now, out); break;
    case MsgType::RecruitAck: on_recruit_ack(from, *m, now); break;
    case MsgType::Fetch: on_fetch(from, *m, out); break;
    case MsgType::Block: on_block(from, *m, now, out); break;
    case MsgType::Locate: on_locate(from, *m, out); break;
    case MsgType::Located: on_located(from, *m, now, out); break;
    case MsgType::Have: on_have(from, *m, now, out); break;
  }
}

void Engine::on_heartbeat(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  for (const auto& e : m.entries) on_view(from, e.object, e.view, e.complete, now, out);
}

void Engine::on_view(const Hash& from, const Hash& object, const View& v, std::optional<bool> complete,
                     std::uint64_t now, Output& out) {
  Group* g = group(object);
  if (!g) {
    ++stats_.non_member_messages;  // a group this node is not in (any more)
    return;
  }
  if (!g->view.contains(from)) {
    // Refused: not a member of the group as this node knows it. If the sender is behind, tell it
    // the current view (a node that restarted after being replaced learns it is out).
    ++stats_.non_member_messages;
    if (g->view.contains(self_) && outranks(g->view, v)) {
      Message vm;
      vm.type = MsgType::ViewUpdate;
      vm.object = object;
      vm.view = g->view;
      send(out, from, vm);
    }
    return;
  }
  g->heard[from] = now;
  if (complete) {
    if (*complete) {
      g->complete_members.insert(from);
    } else {
      g->complete_members.erase(from);
    }
  }
  adopt(*g, v, now, out);
}

void Engine::on_recruit(const Hash& from, Message& m, std::uint64_t now, Output& out) {
  Message ack;
  ack.type = MsgType::RecruitAck;
  ack.object = m.object;
  ack.number = m.view.version;
  if (!m.view.contains(self_) || !m.view.contains(from)) {
    ++stats_.bad_messages;
    ack.status = BUTTER_E_INVALID;
    ack.reason = "recruit view must name the recruit and the leader";
    send(out, from, ack);
    return;
  }
  if (Group* g = group(m.object)) {
    g->heard[from] = now;
    adopt(*g, m.view, now, out);
    ack.status = BUTTER_OK;
    send(out, from, ack);
    return;
  }
  std::string why;
  auto man = verify_manifest(m.object, m.manifest, why);
  if (!man) {
    ++stats_.bad_messages;
    ack.status = BUTTER_E_INVALID;
    ack.reason = why;
    send(out, from, ack);
    return;
  }
  const std::uint64_t cost = man->size + m.manifest.size();
  if (!budget_.reserve(cost, why)) {
    ++stats_.recruits_declined;
    ack.status = BUTTER_E_NOMEM;
    ack.reason = why;
    send(out, from, ack);
    return;
  }
  Group g;
  g.id = m.object;
  g.manifest = std::move(*man);
  g.manifest_bytes = std::move(m.manifest);
  g.reserved = cost;
  g.view = m.view;
  learn(g.view);
  for (const auto& mem : g.view.members) {
    g.heard[mem.id] = now;
    g.joined[mem.id] = now;
  }
  const std::size_t n = g.manifest.blocks.size();
  g.data.blocks.assign(n, {});
  g.data.have.assign(n, false);
  g.next_repair = now + cfg_.heartbeat_ms;  // let the leader's view settle before leading
  auto [it, inserted] = groups_.emplace(g.id, std::move(g));
  ack.status = BUTTER_OK;
  send(out, from, ack);
  out.events.push_back(Event{EventKind::ViewChanged, 0, BUTTER_OK, it->first, 0, {}, {}});
  Group& gr = it->second;
  gr.complete_members.insert(from);  // the leader recruits only with a source; it is the likely one
  if (n == 0) {
    became_complete(gr, out);
  } else {
    pump(gr.data, gr.manifest, gr.id, group_sources(gr), now, out);
  }
}

void Engine::on_recruit_ack(const Hash& from, const Message& m, std::uint64_t now) {
  Group* g = group(m.object);
  if (!g) return;
  auto it = g->recruited.find(from);
  if (it == g->recruited.end()) return;  // not ours, or already timed out
  g->recruited.erase(it);
  g->heard[from] = now;
  if (m.status != BUTTER_OK) {
    ++stats_.recruit_refused;
    g->refused.insert(from);
    cooldown_[from] = now + cfg_.refuse_cooldown_ms;
    g->next_repair = now;  // recruit someone else at once
  }
}

void Engine::on_fetch(const Hash& from, const Message& m, Output& out) {
  Message b;
  b.type = MsgType::Block;
  b.object = m.object;
  b.index = m.index;
  Group* g = group(m.object);
  if (g && m.index < g->data.have.size() && g->data.have[m.index]) {
    b.status = BUTTER_OK;
    b.data = g->data.blocks[m.index];
  } else {
    b.status = BUTTER_E_NOT_FOUND;
  }
  send(out, from, b);
}

void Engine::on_block(const Hash& from, Message& m, std::uint64_t now, Output& out) {
  if (Group* g = group(m.object); g && !g->complete) {
    if (g->data.fetching.count(m.index)) {
      if (accept_block(g->data, g->manifest, from, m)) {
        if (g->data.have_count == g->manifest.blocks.size()) {
          became_complete(*g, out);
          return;
        }
      }
      pump(g->data, g->manifest, g->id, group_sources(*g), now, out);
      return;
    }
  }
  for (auto& [ticket, gt] : getters_) {
    if (gt.id == m.object && gt.located && gt.data.fetching.count(m.index)) {
      if (gt.data.fetching[m.index].from != from) continue;
      accept_block(gt.data, gt.manifest, from, m);
      getter_step(gt, now, out);
      return;
    }
  }
  // A late answer to a fetch that timed out, or one nobody asked for: ignored. A block that
  // does not match its hash is counted even then.
  if (m.status == BUTTER_OK) {
    if (Group* g = group(m.object); g && !verify_block(g->manifest, m.index, m.data)) ++stats_.bad_blocks;
  }
}

void Engine::on_locate(const Hash& from, const Message& m, Output& out) {
  Message r;
  r.type = MsgType::Located;
  r.object = m.object;
  r.number = m.number;
  if (const Group* g = groups_.count(m.object) ? &groups_.at(m.object) : nullptr) {
    r.status = BUTTER_OK;
    r.view = g->view;
    r.manifest = g->manifest_bytes;
  } else {
    r.status = BUTTER_E_NOT_FOUND;
  }
  send(out, from, r);
}

void Engine::on_located(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  auto it = getters_.find(m.number);
  if (it == getters_.end() || it->second.id != m.object) return;  // stale
  Getter& gt = it->second;
  if (!gt.asking.erase(from)) return;
  if (!gt.located && m.status == BUTTER_OK) {
    std::string why;
    auto man = verify_manifest(m.object, m.manifest, why);
    if (!man) {
      ++stats_.bad_messages;
    } else {
      learn(m.view);
      gt.located = true;
      gt.manifest = std::move(*man);
      gt.sources.push_back(from);
      for (const auto& mem : m.view.members)
        if (mem.id != from && mem.id != self_) gt.sources.push_back(mem.id);
      gt.data.blocks.assign(gt.manifest.blocks.size(), {});
      gt.data.have.assign(gt.manifest.blocks.size(), false);
    }
  }
  getter_step(gt, now, out);
}

void Engine::on_have(const Hash& from, const Message& m, std::uint64_t now, Output& out) {
  Group* g = group(m.object);
  if (!g) return;
  if (!g->view.contains(from)) {
    ++stats_.non_member_messages;
    return;
  }
  g->heard[from] = now;
  g->complete_members.insert(from);
  check_put(*g, now, out);
}

// --- queries ------------------------------------------------------------------------------------

std::vector<ObjectInfo> Engine::list() const {
  std::vector<ObjectInfo> out;
  for (const auto& [id, g] : groups_) {
    if (!g.complete) continue;
    out.push_back(ObjectInfo{id, g.manifest.size, g.manifest.keywords, static_cast<std::uint32_t>(g.view.size()), true});
  }
  return out;
}

std::optional<ObjectInfo> Engine::lookup(const Hash& id) const {
  auto it = groups_.find(id);
  if (it == groups_.end() || !it->second.complete) return std::nullopt;
  const Group& g = it->second;
  return ObjectInfo{id, g.manifest.size, g.manifest.keywords, static_cast<std::uint32_t>(g.view.size()), true};
}

bool Engine::holds(const Hash& id) const {
  auto it = groups_.find(id);
  return it != groups_.end() && it->second.complete;
}

const View* Engine::view_of(const Hash& id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second.view;
}

const std::vector<std::uint8_t>* Engine::manifest_of(const Hash& id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second.manifest_bytes;
}

const std::vector<std::vector<std::uint8_t>>* Engine::blocks_of(const Hash& id) const {
  auto it = groups_.find(id);
  return it == groups_.end() || !it->second.complete ? nullptr : &it->second.data.blocks;
}

std::size_t Engine::groups_below_r() const {
  std::size_t n = 0;
  for (const auto& [id, g] : groups_)
    if (g.view.size() < cfg_.r) ++n;
  return n;
}

std::optional<Hash> Engine::leader_of(const Hash& id, std::uint64_t now) const {
  auto it = groups_.find(id);
  if (it == groups_.end()) return std::nullopt;
  const Group& g = it->second;
  return leader(id, g.view, [&](const Hash& m) { return !suspected(g, m, now); });
}

}  // namespace butter::pcg
