// Engine: the directed-BFS protocol of one node (see engine.hpp and the README): searches, hits
// coming back, the clock. Queries and EXTENDs passing through: engine_forward.cpp; proofs of hits:
// engine_verify.cpp.
#include "engine.hpp"

#include "budget.hpp"
#include "address_key.hpp"
#include "proof.hpp"

#include <algorithm>
#include <limits>

namespace butter::dbfs {

const char* method_name(Method m) {
  switch (m) {
    case Method::Directed:
      return "directed";
    case Method::Flood:
      return "flood";
    case Method::RandomHalf:
      return "random";
  }
  return "?";
}

bool parse_method(std::string_view s, Method& out) {
  for (Method m : {Method::Directed, Method::Flood, Method::RandomHalf}) {
    if (s == method_name(m)) return out = m, true;
  }
  return false;
}

Engine::Engine(std::string self_id, EngineConfig cfg, std::uint64_t seed)
    : self_(std::move(self_id)),
      cfg_(cfg),
      rng_(seed),
      neighbours_(cfg.max_inbound, cfg.inbound_idle_ms, cfg.max_inbound_per_address),
      stats_(cfg.stats_decay, cfg.stats_min_samples),
      seen_(cfg.seen_max, cfg.seen_age_ms),
      limiter_(cfg.limits),
      standing_(cfg.standing),
      hop_est_(std::max(cfg.hop_ms, cfg.min_hop_ms)) {}

std::uint64_t Engine::step_wait(std::uint32_t ttl) const {
  return std::max<std::uint64_t>(cfg_.min_step_ms,
                                 static_cast<std::uint64_t>(cfg_.step_margin * 2.0 * ttl * hop_est_) + 1);
}

std::vector<std::string> Engine::pick_forward(const std::vector<std::string>& candidates) {
  std::vector<std::string> out(candidates);
  std::size_t keep = out.size();
  if (cfg_.method == Method::RandomHalf) keep = (out.size() + 1) / 2;
  keep = std::min<std::size_t>(keep, cfg_.limits.max_fanout);
  if (keep < out.size()) {
    std::shuffle(out.begin(), out.end(), rng_);
    out.resize(keep);
  }
  return out;
}

std::vector<IndexMatch> Engine::answer(const Query& q) const {
  if (q.kind == QueryKind::Object) return index_.match_object(q.terms.front());
  std::size_t max = cfg_.answers_per_query;
  if (q.max_results > 0) max = std::min<std::size_t>(max, q.max_results);
  return index_.match_keywords(q.terms, max);
}

std::uint64_t Engine::start(std::uint64_t now, const SearchSpec& spec, Actions& out, std::string& why) {
  const Limits& lim = cfg_.limits;
  if (spec.kind != QueryKind::Object && spec.kind != QueryKind::Keywords) return why = "unknown query kind", 0;
  if (spec.terms.empty()) return why = "no terms", 0;
  if (spec.terms.size() > lim.max_terms) return why = "too many terms", 0;
  if (spec.kind == QueryKind::Object && spec.terms.size() != 1) return why = "an object query has one term", 0;
  for (const auto& t : spec.terms) {
    if (t.empty()) return why = "empty term", 0;
    if (t.size() > lim.max_term_len) return why = "term too long", 0;
  }
  Search s;
  s.handle = next_handle_++;
  s.qid = QueryId{rng_(), rng_()};
  const std::uint32_t ttl = std::clamp<std::uint32_t>(spec.ttl ? spec.ttl : cfg_.default_ttl, 1, lim.max_ttl);
  s.final_ttl = static_cast<std::uint8_t>(std::min<std::uint32_t>(ttl, 255));
  s.max_results = spec.max_results ? std::min(spec.max_results, lim.max_results) : cfg_.default_max_results;
  s.started_ms = now;
  s.step_started_ms = now;
  s.deadline_ms = now + (spec.timeout_ms ? spec.timeout_ms : cfg_.default_timeout_ms);
  s.kind = spec.kind;
  for (const auto& t : spec.terms) s.terms.push_back(fold_case(t));
  const bool deepen = cfg_.method == Method::Directed && cfg_.deepening;
  std::uint32_t start_ttl = cfg_.ttl_start;
  if (cfg_.adaptive_start && hit_hops_ > 0) {
    // Where past searches found their first hit: starting shallower would mostly cost a round.
    start_ttl = std::max(start_ttl, static_cast<std::uint32_t>(hit_hops_));
  }
  s.cur_ttl = deepen ? static_cast<std::uint8_t>(std::clamp<std::uint32_t>(start_ttl, 1, s.final_ttl)) : s.final_ttl;

  Query q;
  q.id = s.qid;
  q.kind = spec.kind;
  q.ttl = s.cur_ttl;
  q.hops = 0;
  q.max_results = static_cast<std::uint16_t>(std::min<std::uint32_t>(s.max_results, 65535));
  for (const auto& t : spec.terms) q.terms.push_back(spec.kind == QueryKind::Keywords ? fold_case(t) : t);
  if (encode(q).size() > lim.max_query_bytes) return why = "query too large", 0;

  ++counters_.searches_started;
  SeenEntry e;
  e.ttl = q.ttl;
  e.hops = 0;
  e.first_ms = now;
  e.query = q;
  e.budget = lim.max_budget;  // the whole network's cost of this search (budget.hpp)
  SeenEntry& entry = seen_.insert(s.qid, std::move(e));
  auto it = searches_.emplace(s.qid, std::move(s)).first;
  Search& search = it->second;

  const std::uint64_t handle = search.handle;
  for (auto& m : answer(q)) deliver(search, Hit{m.object_id, self_, endpoints_, m.keywords}, 0, now, out);
  if (search.hits >= search.max_results) {
    finish(it, "enough results", out);
    return handle;
  }
  const std::vector<std::string> candidates = neighbours_.all(now);
  std::vector<std::string> first;
  if (cfg_.method == Method::Directed) {
    first = first_hops(candidates, std::min<std::size_t>(cfg_.source_fanout, cfg_.limits.max_fanout), now);
  } else {
    first = pick_forward(candidates);
  }
  if (first.empty()) {
    finish(it, "no neighbours", out);
    return handle;
  }
  Query fwd = q;
  fwd.ttl = static_cast<std::uint8_t>(q.ttl - 1);
  fwd.hops = 1;
  // Directed: the chosen neighbours get their equal share of the budget; the others' shares stay
  // here for widening. The EXTENDs of the deepening steps are paid from the chosen share.
  const std::uint32_t share =
      cfg_.method == Method::Directed ? share_for(entry.budget, first.size(), candidates.size()) : entry.budget;
  const std::uint32_t steps = search.final_ttl - search.cur_ttl;
  search.messages += send_query(entry, fwd, first, share, steps, out, true);
  search.step_deadline_ms = now + step_wait(search.cur_ttl) * (search.cur_ttl == search.final_ttl ? 2 : 1);
  return handle;
}

void Engine::deliver(Search& s, const Hit& h, std::uint8_t hops, std::uint64_t now, Actions& out) {
  if (s.hits >= s.max_results) return;
  if (!s.pairs.emplace(h.object_id, h.node_id).second) return;  // reported once per search
  ++s.hits;
  ++counters_.hits_delivered;
  out.hits.push_back(HitEvent{s.handle, h, hops, now});
}

void Engine::finish(std::map<QueryId, Search>::iterator it, const std::string& reason, Actions& out) {
  out.done.push_back(DoneEvent{it->second.handle, it->second.hits, it->second.messages, reason});
  searches_.erase(it);
}

bool Engine::cancel(std::uint64_t search, const std::string& reason, Actions& out) {
  for (auto it = searches_.begin(); it != searches_.end(); ++it) {
    if (it->second.handle == search) {
      finish(it, reason, out);
      return true;
    }
  }
  return false;
}

void Engine::peer_disconnected(const std::string& peer) {
  if (neighbours_.drop_inbound(peer)) ++counters_.inbound_disconnected;
}

void Engine::forget_neighbour(const std::string& peer) {
  neighbours_.remove(peer);
  stats_.forget(peer);
}

void Engine::on_message(std::uint64_t now, const std::string& from, std::string_view from_address,
                        const std::uint8_t* data, std::size_t len, Actions& out, std::string* why_out) {
  std::string why;
  auto type = peek_type(data, len, why);
  if (!type) {
    ++counters_.malformed;
  } else if (*type == MsgType::Query) {
    on_query(now, from, from_address, data, len, out, why);
  } else if (*type == MsgType::Extend) {
    on_extend(now, from, data, len, out, why);
  } else if (*type == MsgType::Link) {
    if (!decode_link(data, len, why)) {
      ++counters_.malformed;
    } else if (standing_.blocked(from, now)) {
      ++counters_.blocked_refused;
      why = "blocked";
    } else if (!neighbours_.note_inbound(from, now, source_keys(from_address).address)) {
      // Said, so that the sender chooses someone else: a newcomer whose first choices are all full
      // would otherwise be reachable by nobody (its LINKs refused, and nobody choosing it).
      ++counters_.inbound_refused;
      out.sends.emplace_back(from, MsgType::Unlink, encode_unlink());
    }
  } else if (*type == MsgType::Unlink) {
    const auto kind = decode_unlink(data, len, why);
    if (!kind) {
      ++counters_.malformed;
    } else if (*kind == UnlinkKind::Withdrawn) {
      // Only the sender's own inbound slot is freed: a peer can end no link but its own.
      if (neighbours_.drop_inbound(from)) ++counters_.links_withdrawn;
    } else if (std::find(neighbours_.outbound().begin(), neighbours_.outbound().end(), from) !=
               neighbours_.outbound().end()) {
      // A peer can only refuse a link to itself: it costs us one neighbour, which it could as well
      // withhold by not forwarding.
      ++counters_.unlinks_received;
      neighbours_.refused_by(from, now + cfg_.refused_ms);
      out.unlinked.push_back(from);
    }
  } else if (*type == MsgType::Prove) {
    on_prove(now, from, from_address, data, len, out, why);
  } else if (*type == MsgType::Proof) {
    on_proof(now, from, data, len, out, why);
  } else {
    on_hits(now, from, data, len, out, why);
  }
  if (why_out) *why_out = why;
}

bool Engine::admit_request(std::uint64_t now, const std::string& from, std::string_view address, std::string& why) {
  if (standing_.blocked(from, now)) {
    ++counters_.blocked_refused;
    why = "blocked";
    return false;
  }
  if (RateVerdict v = limiter_.allow(from, address, now); v != RateVerdict::Allowed) {
    ++counters_.over_limit;
    ++counters_.rate_limited;
    if (v != RateVerdict::Peer) ++counters_.address_limited;
    why = rate_verdict_name(v);
    return false;
  }
  return true;
}

void Engine::on_hits(std::uint64_t now, const std::string& from, const std::uint8_t* data, std::size_t len,
                     Actions& out, std::string& why) {
  auto h = decode_hits(data, len, why);
  if (!h) {
    ++counters_.malformed;
    return;
  }
  SeenEntry* e = seen_.find(h->id, now);
  if (!e || std::find(e->children.begin(), e->children.end(), from) == e->children.end()) {
    ++counters_.unknown_query;  // unknown, expired, or not from a node we sent the query to
    why = "hits for an unknown query";
    return;
  }
  auto at = std::find(e->answered.begin(), e->answered.end(), from);
  const bool first = at == e->answered.end();
  if (first) {
    e->answered.push_back(from);
    e->hit_messages.push_back(0);
    e->hit_entries.push_back(0);
    at = e->answered.end() - 1;
  }
  const auto child = static_cast<std::size_t>(at - e->answered.begin());
  if (standing_.blocked(from, now)) {
    counters_.hits_from_blocked += h->hits.size();
    why = "hits from a blocked peer";
    return;
  }
  if (!e->upstream.empty()) {
    // Hits naming a holder this node caught lying (as a source) are not passed on.
    const std::size_t before = h->hits.size();
    std::erase_if(h->hits, [&](const Hit& x) { return standing_.blocked(x.node_id, now); });
    if (h->hits.size() != before) {
      counters_.hits_from_blocked += before - h->hits.size();
      if (h->hits.empty()) {
        why = "hits naming blocked holders";
        return;
      }
    }
    // An answer flood is not amplified: a node relays at most max_hit_messages HITS and the
    // results the query asked for (the limit's maximum when it asked for the default; at least
    // kMinRelayEntries) from each child it sent the query to (at most max_fanout of them). Per
    // child, so that a child answering with forged hits cannot use up what the query may relay
    // from the others; with a floor, so that one forged answer does not use up a whole branch.
    const std::uint32_t want = std::max<std::uint32_t>(
        kMinRelayEntries, e->query.max_results ? e->query.max_results : cfg_.limits.max_results);
    if (e->hit_messages[child] >= cfg_.limits.max_hit_messages || e->hit_entries[child] >= want) {
      ++counters_.hits_dropped;
      why = "hits over the per-query bound";
      return;
    }
    ++e->hit_messages[child];
    e->hit_entries[child] += static_cast<std::uint32_t>(h->hits.size());
    out.sends.push_back(Outbound{e->upstream, MsgType::Hits,
                                 h->hits.size() == before ? std::vector<std::uint8_t>(data, data + len) : encode(*h)});
    ++counters_.hit_messages;
    ++counters_.hits_relayed;
    return;
  }
  auto it = searches_.find(h->id);
  if (it == searches_.end()) {
    counters_.late_hits += h->hits.size();
    return;
  }
  Search& s = it->second;
  if (cfg_.verify) {
    // Nothing of these hits counts (statistics, hop estimates, results) before its proof.
    admit(s, *h, from, now, out);
    pump(s, now, out);
    return;
  }
  stats_.on_hits(from, h->hits.size(), now - e->first_ms, h->hops, first);
  if (h->hops > 0 && first) {
    // A hit of the current step went ~hops down (as QUERY or EXTEND) and hops back up.
    const double sample = static_cast<double>(now - s.step_started_ms) / (2.0 * h->hops);
    // The first hit comes over the fastest path; a step must wait for slower ones too. So the
    // estimate rises fast and falls slowly: it tracks the slow side of the hop latency.
    hop_est_ += (sample > hop_est_ ? 0.5 : 0.05) * (sample - hop_est_);
    hop_est_ = std::max(cfg_.min_hop_ms, hop_est_);
  }
  if (s.hits == 0 && h->hops > 0) {
    hit_hops_ = hit_hops_ == 0 ? h->hops : hit_hops_ + 0.1 * (h->hops - hit_hops_);
  }
  for (const auto& hit : h->hits) deliver(s, hit, h->hops, now, out);
  if (s.hits >= s.max_results) finish(it, "enough results", out);
}

void Engine::tick(std::uint64_t now, Actions& out) {
  seen_.expire(now);
  // Proofs not answered in time: the holder failed its challenge (or cannot be reached).
  for (auto it = verifications_.begin(); it != verifications_.end();) {
    auto next = std::next(it);
    if (now >= it->second.deadline_ms) conclude(it, false, true, true, {}, now, out);
    it = next;
  }
  for (auto it = searches_.begin(); it != searches_.end();) {
    auto next = std::next(it);
    Search& s = it->second;
    const std::size_t unproven = s.in_flight + s.waiting.size();
    if (now >= s.deadline_ms) {
      finish(it, "timeout", out);
    } else if (now >= s.step_deadline_ms && unproven > 0 && s.hits + unproven >= s.max_results) {
      // The hits being proven may be enough: going deeper now could cost messages for nothing.
      // Bounded: every proof has its deadline, and the search its own.
      s.step_deadline_ms = now + cfg_.min_step_ms;
    } else if (now >= s.step_deadline_ms) {
      SeenEntry* e = seen_.find(s.qid, now);
      const bool deepen = cfg_.method == Method::Directed && cfg_.deepening;
      const bool live_children = e && std::any_of(e->children.begin(), e->children.end(),
                                                  [&](const std::string& c) { return !standing_.blocked(c, now); });
      if (deepen && e && s.cur_ttl < s.final_ttl && live_children) {
        s.cur_ttl = static_cast<std::uint8_t>(
            std::min<std::uint32_t>(s.cur_ttl + std::max<std::uint32_t>(1, cfg_.ttl_step), s.final_ttl));
        e->ttl = s.cur_ttl;
        e->query.ttl = s.cur_ttl;
        s.step_started_ms = now;
        s.messages += send_extend(*e, static_cast<std::uint8_t>(s.cur_ttl - 1), now, out);
        // The last step waits twice as long: hits after DONE are lost.
        s.step_deadline_ms = now + step_wait(s.cur_ttl) * (s.cur_ttl == s.final_ttl ? 2 : 1);
      } else if (cfg_.method == Method::Directed && e && !s.widened && s.hits == 0 && unproven == 0) {
        // Widening: the neighbours not chosen so far get the query with the full TTL.
        s.widened = true;
        std::vector<std::string> rest;
        for (const auto& p : neighbours_.all(now))
          if (std::find(e->children.begin(), e->children.end(), p) == e->children.end()) rest.push_back(p);
        if (rest.size() > cfg_.limits.max_fanout) {
          std::shuffle(rest.begin(), rest.end(), rng_);
          rest.resize(cfg_.limits.max_fanout);
        }
        if (rest.empty() || e->budget == 0) {
          finish(it, "complete", out);
        } else {
          ++counters_.widened;
          Query fwd = e->query;
          fwd.ttl = static_cast<std::uint8_t>(s.final_ttl - 1);
          fwd.hops = 1;
          // What is left of the budget: the other neighbours' shares and unspent EXTEND reserve.
          s.messages += send_query(*e, fwd, std::move(rest), e->budget, 0, out, true);
          s.step_started_ms = now;
          s.step_deadline_ms = now + 2 * step_wait(s.final_ttl);
        }
      } else if (unproven > 0) {
        s.step_deadline_ms = now + cfg_.min_step_ms;  // the last hits are still being proven
      } else {
        finish(it, "complete", out);
      }
    }
    it = next;
  }
}

std::uint64_t Engine::next_deadline() const {
  std::uint64_t t = std::numeric_limits<std::uint64_t>::max();
  for (const auto& [id, s] : searches_) t = std::min({t, s.step_deadline_ms, s.deadline_ms});
  for (const auto& [nonce, v] : verifications_) t = std::min(t, v.deadline_ms);
  return t;
}

}  // namespace butter::dbfs
