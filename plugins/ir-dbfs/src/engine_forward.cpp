// The engine's forwarding path (see engine.hpp): a QUERY received is answered from the local index
// and passed on within its budget to the forwarding set; EXTEND deepens a search along the children
// a query already went to.
#include "engine.hpp"

#include "address_key.hpp"
#include "budget.hpp"
#include "proof.hpp"

#include <algorithm>
#include <limits>

namespace butter::dbfs {

void Engine::on_query(std::uint64_t now, const std::string& from, std::string_view address, const std::uint8_t* data,
                      std::size_t len, Actions& out, std::string& why) {
  auto q = decode_query(data, len, why);
  if (!q) {
    ++counters_.malformed;
    return;
  }
  if (Refusal r = check_query(cfg_.limits, *q, len); r != Refusal::None) {
    ++counters_.over_limit;
    why = refusal_name(r);
    return;
  }
  if (!admit_request(now, from, address, why)) return;
  if (!neighbours_.note_inbound(from, now, source_keys(address).address)) ++counters_.inbound_refused;
  if (seen_.find(q->id, now)) {
    ++counters_.duplicates;
    why = "duplicate";
    return;
  }
  ++counters_.queries_received;
  SeenEntry e;
  e.upstream = from;
  e.ttl = q->ttl;
  e.hops = q->hops;
  e.first_ms = now;
  e.query = *q;
  // Whatever the sender claims, this node spends at most its own maximum on the query.
  if (!q->budget)
    ++counters_.legacy_queries;
  else if (*q->budget > cfg_.limits.max_budget)
    ++counters_.budget_clamped;
  e.budget = accept_budget(q->budget, cfg_.limits.max_budget, cfg_.limits.legacy_budget);
  SeenEntry& entry = seen_.insert(q->id, std::move(e));

  const auto matches = answer(*q);
  if (!matches.empty()) {
    ++counters_.queries_answered;
    Hits h;
    h.id = q->id;
    h.hops = q->hops;
    for (const auto& m : matches) {
      // With proofs on, a content id in this node's name must be one it can prove: an annotation
      // of an object it does not store would be answered NotHeld, and whoever brought the hit
      // would be blamed. (A name that is no content id is dropped unasked at the source.)
      if (cfg_.verify && is_content_id(m.object_id) && !index_.stored(m.object_id)) continue;
      h.hits.push_back(Hit{m.object_id, self_, endpoints_, m.keywords});
      if (h.hits.size() == kMaxHitsPerMessage) {
        out.sends.push_back(Outbound{from, MsgType::Hits, encode(h)});
        ++counters_.hit_messages;
        counters_.hits_sent += h.hits.size();
        h.hits.clear();
      }
    }
    if (!h.hits.empty()) {
      out.sends.push_back(Outbound{from, MsgType::Hits, encode(h)});
      ++counters_.hit_messages;
      counters_.hits_sent += h.hits.size();
    }
  }
  if (q->ttl == 0) {
    entry.frozen = true;  // the frontier: waits for an EXTEND
    return;
  }
  if (forward(entry, now, out) > 0) ++counters_.queries_forwarded;
}

std::uint32_t Engine::forward(SeenEntry& e, std::uint64_t now, Actions& out) {
  std::vector<std::string> candidates = neighbours_.all(now);
  candidates.erase(std::remove(candidates.begin(), candidates.end(), e.upstream), candidates.end());
  auto targets = pick_forward(candidates);
  if (targets.empty()) return 0;
  Query fwd = e.query;
  fwd.ttl = static_cast<std::uint8_t>(e.query.ttl - 1);
  fwd.hops = static_cast<std::uint8_t>(std::min(254, e.hops + 1));
  // EXTENDs can still raise this node's TTL up to max_ttl - hops (hops as the sender claims it: a
  // lie only changes how this node's own budget is divided, never the total).
  const std::uint32_t reach = cfg_.limits.max_ttl > e.hops ? cfg_.limits.max_ttl - e.hops : 0;
  const std::uint32_t steps = reach > e.query.ttl ? reach - e.query.ttl : 0;
  return send_query(e, fwd, std::move(targets), e.budget, steps, out, false);
}

std::uint32_t Engine::send_query(SeenEntry& e, Query fwd, std::vector<std::string> targets, std::uint32_t budget,
                                 std::uint32_t reserve_per_child, Actions& out, bool as_source) {
  budget = std::min(budget, e.budget);
  e.budget -= budget;
  const BudgetSplit split = split_budget(budget, targets.size(), reserve_per_child);
  e.budget += split.kept;
  counters_.budget_exhausted += targets.size() - split.forwards;
  targets.resize(split.forwards);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const std::string& t = targets[i];
    fwd.budget = static_cast<std::uint16_t>(std::min<std::uint32_t>(split.children[i], 65535));
    out.sends.push_back(Outbound{t, MsgType::Query, encode(fwd)});
    if (as_source) stats_.on_sent(t);
    ++counters_.query_messages;
    if (std::find(e.children.begin(), e.children.end(), t) == e.children.end()) e.children.push_back(t);
  }
  return split.forwards;
}

std::uint32_t Engine::send_extend(SeenEntry& e, std::uint8_t ttl, std::uint64_t now, Actions& out) {
  const auto bytes = encode(Extend{e.query.id, ttl});
  std::uint32_t sent = 0;
  for (const auto& c : e.children) {
    if (standing_.blocked(c, now)) continue;  // a liar's branch is not deepened
    if (e.budget == 0) {
      ++counters_.budget_exhausted;  // that child's frontier stays frozen
      continue;
    }
    --e.budget;
    out.sends.push_back(Outbound{c, MsgType::Extend, bytes});
    ++counters_.extend_messages;
    ++sent;
  }
  return sent;
}

void Engine::on_extend(std::uint64_t now, const std::string& from, const std::uint8_t* data, std::size_t len,
                       Actions& out, std::string& why) {
  auto x = decode_extend(data, len, why);
  if (!x) {
    ++counters_.malformed;
    return;
  }
  SeenEntry* e = seen_.find(x->id, now);
  if (!e) {
    ++counters_.unknown_query;
    why = "unknown query";
    return;
  }
  if (e->upstream.empty() || from != e->upstream || x->ttl <= e->ttl) {
    ++counters_.duplicates;  // not from our parent in the tree, or nothing new
    why = "stale extend";
    return;
  }
  if (x->ttl > cfg_.limits.max_ttl) {
    ++counters_.over_limit;
    why = "ttl over the maximum";
    return;
  }
  e->ttl = x->ttl;
  e->query.ttl = x->ttl;
  if (e->frozen) {
    e->frozen = false;
    if (forward(*e, now, out) > 0) ++counters_.queries_forwarded;
    return;
  }
  send_extend(*e, static_cast<std::uint8_t>(x->ttl - 1), now, out);
}

}  // namespace butter::dbfs
