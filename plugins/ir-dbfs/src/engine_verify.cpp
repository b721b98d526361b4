// Engine, search integrity: the source asks the holder a hit names for a proof before it delivers
// the hit or credits anyone with it (PROVE/PROOF, proof.hpp); a holder answers PROVEs; failed proofs
// demote and block (PeerStanding). See engine.hpp and the README, "Search integrity".
#include "engine.hpp"

#include "proof.hpp"

#include <algorithm>

namespace butter::dbfs {

std::vector<std::string> Engine::first_hops(const std::vector<std::string>& candidates, std::size_t k,
                                            std::uint64_t now) {
  std::vector<std::string> good, demoted;
  for (const auto& c : candidates) (standing_.demoted(c, now) ? demoted : good).push_back(c);
  std::vector<std::string> out = stats_.select(good, k, cfg_.heuristic, rng_);
  if (out.size() < k) {
    std::shuffle(demoted.begin(), demoted.end(), rng_);
    for (auto& d : demoted) {
      if (out.size() >= k) break;
      out.push_back(std::move(d));
    }
  }
  return out;
}

void Engine::admit(Search& s, const Hits& h, const std::string& from, std::uint64_t now, Actions& out) {
  // A holder's distance is at most the TTL the query went out with: a claim of fewer hops than
  // possible is not checked, but nothing learns from it before the hit is proven.
  const std::uint8_t hops =
      static_cast<std::uint8_t>(std::clamp<std::uint32_t>(h.hops, 1, std::max<std::uint8_t>(1, s.cur_ttl)));
  for (const auto& hit : h.hits) {
    if (hit.node_id == self_) continue;  // this node's own answers were delivered at the start
    if (h.hops <= 1 && hit.node_id != from) {
      // One hop away is the neighbour itself: a hit there in another node's name is the
      // neighbour's own lie (an honest relay passes on hits of 2 hops or more).
      ++counters_.proofs_failed;
      penalise(from, true, now, out);
      if (standing_.blocked(from, now)) return;
      continue;
    }
    const std::string object = fold_case(hit.object_id);
    if (s.kind == QueryKind::Object && object != s.terms.front()) {
      // Not what was asked: a lie whoever made it, and the neighbour brought it (rank only).
      ++counters_.proofs_failed;
      penalise(from, false, now, out);
      continue;
    }
    if (s.pairs.count({object, hit.node_id})) continue;  // asked or delivered already
    if (standing_.blocked(hit.node_id, now)) {
      ++counters_.hits_from_blocked;  // a holder caught lying before: not asked again
      continue;
    }
    if (!is_content_id(object)) {
      ++counters_.hits_unprovable;  // an annotation's name: nothing can prove it
      continue;
    }
    // Bounded queue, and one neighbour may fill at most half of it: a flood of forged hits through
    // one branch leaves room for the hits of the others. (Not recorded in `pairs`: the same hit
    // may come again through another branch.)
    const auto from_same =
        std::count_if(s.waiting.begin(), s.waiting.end(), [&](const auto& c) { return c.via == from; });
    if (s.waiting.size() >= cfg_.verify_queue ||
        static_cast<std::uint32_t>(from_same) >= std::max<std::uint32_t>(1, cfg_.verify_queue / 2)) {
      ++counters_.verify_overflow;
      continue;
    }
    s.pairs.emplace(object, hit.node_id);
    Hit copy = hit;
    copy.object_id = object;
    s.waiting.push_back(Search::Candidate{std::move(copy), hops, from, now});
  }
}

void Engine::pump(Search& s, std::uint64_t now, Actions& out) {
  // A few proofs at once even when one result is asked: a forged hit waiting for its deadline must
  // not hold the real one back.
  while (s.in_flight < cfg_.verify_in_flight && !s.waiting.empty() && verifications_.size() < cfg_.max_verifications) {
    // Hits brought by neighbours in good standing first: a poisoner's flood waits behind them.
    auto pick = std::find_if(s.waiting.begin(), s.waiting.end(), [&](const auto& c) {
      return !standing_.demoted(c.via, now) && !standing_.demoted(c.hit.node_id, now);
    });
    if (pick == s.waiting.end()) pick = s.waiting.begin();
    Search::Candidate c = std::move(*pick);
    s.waiting.erase(pick);
    if (standing_.blocked(c.hit.node_id, now) || standing_.blocked(c.via, now)) {
      ++counters_.hits_from_blocked;
      continue;
    }
    QueryId nonce{rng_(), rng_()};
    Outbound o{c.hit.node_id, MsgType::Prove, encode(Prove{nonce, c.hit.object_id})};
    o.nonce = nonce;
    for (std::size_t i = 0; i < c.hit.endpoints.size() && i < 2; ++i) o.fallback.push_back(c.hit.endpoints[i]);
    out.sends.push_back(std::move(o));
    ++counters_.proves_sent;
    verifications_.emplace(nonce, Verification{s.qid, std::move(c), now + cfg_.verify_timeout_ms});
    ++s.in_flight;
  }
}

void Engine::penalise(const std::string& peer, bool lie, std::uint64_t now, Actions& out) {
  if (peer.empty() || peer == self_) return;
  if (!standing_.on_failed(peer, lie, now)) return;
  ++counters_.peers_blocked;
  neighbours_.remove(peer);
  stats_.forget(peer);
  out.blocked.push_back(peer);
  // A search that sent its query to the liar learns nothing more down that branch: its next step
  // (deepening the other branches, or widening) comes now rather than at the step's deadline.
  for (auto& [qid, s] : searches_) {
    const SeenEntry* e = seen_.find(qid, now);
    if (e && std::find(e->children.begin(), e->children.end(), peer) != e->children.end())
      s.step_deadline_ms = std::min(s.step_deadline_ms, now);
  }
}

void Engine::learn_from_verified(Search& s, const Search::Candidate& c, std::uint64_t now) {
  SeenEntry* e = seen_.find(s.qid, now);
  const std::uint64_t since = e ? c.arrived_ms - std::min(c.arrived_ms, e->first_ms) : 0;
  const bool first = s.credited.insert(c.via).second;
  stats_.on_hits(c.via, 1, since, c.hops, first);
  if (first) {
    // A hit of the current step went ~hops down and hops back up (the arrival time is what this
    // node measured; the hop count is bounded by the TTL it sent).
    const double sample =
        static_cast<double>(c.arrived_ms - std::min(c.arrived_ms, s.step_started_ms)) / (2.0 * c.hops);
    hop_est_ += (sample > hop_est_ ? 0.5 : 0.05) * (sample - hop_est_);
    hop_est_ = std::max(cfg_.min_hop_ms, hop_est_);
  }
  if (s.hits == 0) hit_hops_ = hit_hops_ == 0 ? c.hops : hit_hops_ + 0.1 * (c.hops - hit_hops_);
}

void Engine::conclude(std::map<QueryId, Verification>::iterator it, bool verified, bool holder_fault, bool relay_fault,
                      std::vector<std::string> proven_keywords, std::uint64_t now, Actions& out) {
  Verification v = std::move(it->second);
  verifications_.erase(it);
  auto sit = searches_.find(v.search);
  Search* s = sit == searches_.end() ? nullptr : &sit->second;
  if (s && s->in_flight > 0) --s->in_flight;
  if (verified) {
    ++counters_.hits_verified;
    standing_.on_verified(v.c.hit.node_id, now);
    if (v.c.via != v.c.hit.node_id) standing_.on_verified(v.c.via, now);
    if (s) {
      learn_from_verified(*s, v.c, now);
      Hit h = v.c.hit;
      h.keywords = std::move(proven_keywords);  // what the manifest proves, not what the hit said
      ++s->hits;
      ++counters_.hits_delivered;
      out.hits.push_back(HitEvent{s->handle, std::move(h), v.c.hops, now});
    }
  } else if (holder_fault || relay_fault) {
    ++counters_.proofs_failed;
    // The holder's own failure is a lie; the neighbour that brought the hit loses rank (unless it
    // is the holder: then the lie is its own and counts once).
    if (holder_fault) penalise(v.c.hit.node_id, true, now, out);
    if (relay_fault && !(holder_fault && v.c.via == v.c.hit.node_id)) penalise(v.c.via, false, now, out);
  }
  if (!s) return;
  if (s->hits >= s->max_results) {
    finish(sit, "enough results", out);
    return;
  }
  pump(*s, now, out);
}

void Engine::prove_failed(std::uint64_t now, const QueryId& nonce, Actions& out) {
  auto it = verifications_.find(nonce);
  if (it == verifications_.end()) return;
  // The holder could not be asked: the hit cannot be proven. Not the named node's fault (a
  // poisoner may name any id); the neighbour that brought it answers for it.
  conclude(it, false, false, true, {}, now, out);
}

void Engine::on_proof(std::uint64_t now, const std::string& from, const std::uint8_t* data, std::size_t len,
                      Actions& out, std::string& why) {
  auto p = decode_proof(data, len, why);
  if (!p) {
    ++counters_.malformed;
    return;
  }
  auto it = verifications_.find(p->nonce);
  if (it == verifications_.end()) {
    ++counters_.unknown_query;  // unknown or late
    why = "proof for no challenge";
    return;
  }
  if (it->second.c.hit.node_id != from) {
    // Only the named holder may answer. Another node answering means the PROVE reached someone
    // else at the endpoints the hit gave (the named node does not live there): not provable, and
    // the neighbour that brought the hit answers for it (rank only).
    why = "proof from another node than the holder";
    conclude(it, false, false, true, {}, now, out);
    return;
  }
  const Search::Candidate& c = it->second.c;
  switch (p->status) {
    case ProofStatus::Ok: {
      ProofCheck check = check_proof(c.hit.object_id, p->nonce, p->manifest, p->block);
      if (!check.ok) {
        why = check.why;
        conclude(it, false, true, true, {}, now, out);  // a wrong proof: the holder lied
        return;
      }
      auto sit = searches_.find(it->second.search);
      if (sit != searches_.end() && sit->second.kind == QueryKind::Keywords) {
        for (const auto& t : sit->second.terms) {
          if (std::find(check.keywords.begin(), check.keywords.end(), t) == check.keywords.end()) {
            // Held, but the searched keyword is not the object's own (an annotation, or a lie):
            // not delivered, and no one is blamed for it.
            ++counters_.hits_unproven_keywords;
            why = "keyword not in the manifest";
            conclude(it, false, false, false, {}, now, out);
            return;
          }
        }
      }
      conclude(it, true, false, false, std::move(check.keywords), now, out);
      return;
    }
    case ProofStatus::NotHeld:
      // The named node says it does not hold the object: whoever relayed the claim answers for it.
      conclude(it, false, false, true, {}, now, out);
      return;
    case ProofStatus::Unprovable:
      // The named node holds it but cannot prove it within a PROOF's bounds (a manifest over
      // 64 KiB: an object of over ~2 000 blocks). Not delivered, and no one is blamed: the claim
      // was true, and blaming the neighbour that relayed it demoted honest holders of large
      // objects (the holder itself, when it relayed its own hit) after two searches.
      ++counters_.hits_unprovable;
      conclude(it, false, false, false, {}, now, out);
      return;
    case ProofStatus::Busy:
      conclude(it, false, false, false, {}, now, out);
      return;
  }
}

void Engine::on_prove(std::uint64_t now, const std::string& from, std::string_view address, const std::uint8_t* data,
                      std::size_t len, Actions& out, std::string& why) {
  auto p = decode_prove(data, len, why);
  if (!p) {
    ++counters_.malformed;
    return;
  }
  // A proof costs this node a storage read and hashing: PROVEs share the sender's query rate.
  if (!admit_request(now, from, address, why)) return;
  ++counters_.proves_received;
  const ProveWanted w{from, p->nonce, fold_case(p->object_id)};
  ProofStatus refusal = ProofStatus::Ok;
  if (!index_.stored(w.object_id))
    refusal = ProofStatus::NotHeld;
  else if (!is_content_id(w.object_id))
    refusal = ProofStatus::Unprovable;
  else if (proofs_preparing_ >= cfg_.max_proofs_preparing)
    refusal = ProofStatus::Busy;
  if (refusal != ProofStatus::Ok) {
    ++counters_.proofs_refused;
    out.sends.push_back(Outbound{from, MsgType::Proof, encode(Proof{p->nonce, refusal, {}, {}})});
    return;
  }
  ++proofs_preparing_;
  out.proofs_wanted.push_back(w);
}

void Engine::send_proof(const ProveWanted& w, Proof proof, Actions& out) {
  if (proofs_preparing_ > 0) --proofs_preparing_;
  proof.nonce = w.nonce;
  if (proof.status == ProofStatus::Ok)
    ++counters_.proofs_sent;
  else
    ++counters_.proofs_refused;
  if (proof.status != ProofStatus::Ok) proof.manifest.clear(), proof.block.clear();
  out.sends.push_back(Outbound{w.from, MsgType::Proof, encode(proof)});
}

}  // namespace butter::dbfs
