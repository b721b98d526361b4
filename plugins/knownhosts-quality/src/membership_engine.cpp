// MembershipEngine, the known-host cache: probation, quality probes, admission, refresh and eviction.
#include "membership_engine.hpp"

#include "quality_message.hpp"

#include <butter/iface/peers.h>
#include <butter/wire.hpp>

#include <algorithm>
#include <set>

namespace butter::knownhosts {

MembershipEngine::MembershipEngine(MembershipEnv& env, std::string self, MembershipConfig cfg, std::uint64_t seed)
    : env_(env),
      cfg_(std::move(cfg)),
      rng_(seed),
      cache_(cfg_.capacity, cfg_.admission),
      self_(std::move(self)),
      records_(RecordStore::Limits{}),
      neighbours_(cfg_.neighbours),
      check_budget_(cfg_.record_checks_per_s, std::max(32.0, cfg_.record_checks_per_s), 0),
      news_budget_(cfg_.rumour.news_per_min, cfg_.exchange_size),
      sample_budget_(cfg_.samples_per_min / 60.0, 1, 0),
      exchange_period_ms_(cfg_.exchange_min_ms) {
  RecordStore::Limits limits;
  limits.capacity = cache_.capacity() + cfg_.probation_max;
  limits.max_age_ms = cfg_.record_max_age_ms;
  limits.news_ttl_ms = cfg_.news_ttl_ms;
  records_ = RecordStore(limits);
  // The sample budget starts part-filled at random: nodes started together (a restart, a test
  // bed, the simulator's initial network) do not all ask for a sample at the same moment.
  if (cfg_.wire_version != 1)
    sample_budget_ =
        butter::TokenBucket(cfg_.samples_per_min / 60.0, 1, 0, std::uniform_real_distribution<double>(0, 1)(rng_));
}

void MembershipEngine::start() {
  cache_.set_own_endpoints(env_.own_endpoints());
  refresh_own_record();
  schedule_exchange();
  neighbour_tick();
}

void MembershipEngine::on_peer_up(const std::string& id, const std::vector<std::string>* hello_endpoints) {
  // A HELLO tells us a node's endpoints: treat it as a candidate.
  if (hello_endpoints) add_candidate(id, *hello_endpoints, "hello");
  // While this node has no outbound neighbour (cold start, or cut off), a peer that comes up is a
  // contact to exchange with once (the bootstrap peer is one: the way out of a LAN).
  if (neighbours_.out_count() > 0 || contacts_.size() >= kMaxContacts || ledger_.find(id)) return;
  if (std::find(contacts_.begin(), contacts_.end(), id) == contacts_.end()) contacts_.push_back(id);
}

void MembershipEngine::on_peer_down(const std::string& id) {
  // A closed connection says nothing about the host: the host trims and closes idle connections
  // all the time. Only a neighbour is replaced (on the next neighbour tick).
  lose_neighbour(id);
}

bool MembershipEngine::connected(const std::string& id) { return env_.is_connected(id); }

std::uint8_t MembershipEngine::wire_version_for(const std::string& id) const {
  if (cfg_.wire_version == kExchangeV1 || versions_.v1_only(id, env_.now_ms())) return kExchangeV1;
  return kExchangeV2;
}

std::string MembershipEngine::observed_address(const std::string& id) {
  // The remote address of its connection, as this node's transport sees it (what a peer cannot
  // choose, unlike the endpoints it announces). None when it is not connected.
  return env_.remote_address(id);
}

Quality MembershipEngine::own_quality() {
  Quality q = env_.own_quality();
  q.hosts_known = static_cast<std::uint32_t>(cache_.size());
  return q;
}

butter_status MembershipEngine::add_candidate(const std::string& id, std::vector<std::string> endpoints,
                                              std::string_view source) {
  std::uint8_t raw[32];
  if (!wire::hex_to_id(id, raw)) return BUTTER_E_INVALID;
  if (id == self_) return BUTTER_OK;
  for (const auto& ep : endpoints) env_.add_address(id, ep);
  if (HostEntry* h = cache_.find_mut(id)) {
    if (!endpoints.empty()) h->endpoints = std::move(endpoints);
    return BUTTER_OK;
  }
  auto it = probation_.find(id);
  if (it == probation_.end()) {
    if (probation_.size() >= cfg_.probation_max) {
      // Full: drop the candidate that has waited longest (it had its chances).
      auto oldest = std::min_element(probation_.begin(), probation_.end(), [](const auto& a, const auto& b) {
        return a.second.since_ms < b.second.since_ms;
      });
      probation_.erase(oldest);
    }
    env_.debug("candidate " + id.substr(0, 8) + " from " + std::string(source));
    probation_[id] = Candidate{std::move(endpoints), 0, env_.now_ms()};
  } else if (!endpoints.empty()) {
    it->second.endpoints = std::move(endpoints);
  }
  // Probing dials. A connected host costs nothing to ask; an unconnected one is asked at once only
  // while the cache (with the probes already out) is nearly empty (cold start), else it waits for
  // a refresh's bounded sample: a LAN of a thousand beacons does not make a thousand dials.
  if (cache_.size() + in_flight_.size() < cfg_.warm_target || connected(id)) probe(id);
  return BUTTER_OK;
}

butter_status MembershipEngine::remove(const std::string& id) {
  bool was_member = cache_.remove(id);
  bool was_candidate = probation_.erase(id) > 0;
  records_.erase(id);
  if (was_member) env_.publish(BUTTER_PEERS_TOPIC_REMOVED, id);
  return (was_member || was_candidate) ? BUTTER_OK : BUTTER_E_NOT_FOUND;
}

void MembershipEngine::probe(const std::string& id) {
  if (in_flight_.count(id)) return;
  QualityRequest req;
  req.version = wire_version_for(id);
  req.quality = own_quality();
  req.endpoints = env_.own_endpoints();
  in_flight_[id] = true;
  env_.count(Metric::Probes);
  auto bytes = encode_request(req);
  count_membership_bytes(bytes.size());
  env_.traffic(Traffic::ProbeAsk, bytes.size());
  std::string error;
  if (!env_.send_probe(id, bytes, error)) {
    in_flight_.erase(id);
    on_failure(id, error);
  }
}

void MembershipEngine::on_probe_result(const std::string& id, bool ok, const std::uint8_t* data, std::size_t len,
                                       const std::string& error) {
  take_probe_result(id, ok, data, len, error);
  release_if_one_off(id);
}

// Probes and exchanges with a host that is not (becoming) a neighbour are one-off requests: their
// connection need not outlive them (the host keeps it if it was up before, is protected, or is
// needed for the low watermark). Not while another request to it is out (the version-1 retry).
void MembershipEngine::release_if_one_off(const std::string& id) {
  if (!in_flight_.count(id) && !neighbours_.is_neighbour(id) && !neighbours_.is_dialing(id)) env_.release(id);
}

void MembershipEngine::take_probe_result(const std::string& id, bool ok, const std::uint8_t* data, std::size_t len,
                                         const std::string& error) {
  in_flight_.erase(id);
  count_membership_bytes(len);
  if (!ok) {
    // An old node refuses version 2 and nothing else happens there: ask again in version 1 at
    // once, not a failure (three of them would evict it). Only once: a peer already marked gets
    // version 1, and a refusal of that is an ordinary failure.
    if (error == kQualityRefusesV2 && !versions_.v1_only(id, env_.now_ms())) {
      versions_.mark_v1_only(id, env_.now_ms());
      env_.count(Metric::V1Fallbacks);
      env_.debug("host " + id.substr(0, 8) + " refused version 2: probing it in version 1");
      probe(id);
      return;
    }
    on_failure(id, error);
    return;
  }
  std::string why;
  auto q = decode_response(data, len, why);
  if (!q) {
    env_.count(Metric::Malformed);
    on_failure(id, "malformed answer: " + why);
    return;
  }
  on_answer(id, *q);
}

void MembershipEngine::on_answer(const std::string& id, const Quality& q) {
  HostEntry h;
  h.id = id;
  h.quality = q;
  h.quality_known = true;
  h.last_seen_ms = h.first_seen_ms = env_.now_ms();
  h.answers = 1;
  if (const HostEntry* known = cache_.find(id)) {
    h.endpoints = known->endpoints;
  } else if (auto it = probation_.find(id); it != probation_.end()) {
    h.endpoints = it->second.endpoints;
  } else {
    return;  // removed while the probe was in flight
  }
  h.address = admission_address(observed_address(id), h.endpoints);
  probation_.erase(id);
  admit(h);
}

void MembershipEngine::on_failure(const std::string& id, const std::string& why) {
  if (HostEntry* h = cache_.find_mut(id)) {
    if (++h->failures >= cfg_.max_failures) evict(id, why);
  } else if (auto it = probation_.find(id); it != probation_.end()) {
    if (++it->second.failures >= cfg_.max_failures) {
      env_.debug("candidate " + id.substr(0, 8) + " dropped: " + why);
      probation_.erase(it);
    }
  }
}

void MembershipEngine::admit(const HostEntry& h) {
  AdmitResult r = cache_.admit(h);
  switch (r.outcome) {
    case Admission::Added:
      env_.count(Metric::Admitted);
      env_.publish(BUTTER_PEERS_TOPIC_ADDED, h.id);
      break;
    case Admission::Updated:
      env_.publish(BUTTER_PEERS_TOPIC_UPDATED, h.id);
      break;
    case Admission::Refreshed:
      break;
    case Admission::Replaced:
      env_.count(Metric::Admitted);
      env_.count(Metric::Replaced);
      env_.publish(BUTTER_PEERS_TOPIC_REMOVED, *r.evicted);
      env_.publish(BUTTER_PEERS_TOPIC_ADDED, h.id);
      break;
    case Admission::Refused:
      env_.count(Metric::Refused);
      break;
    case Admission::Dropped:
      env_.count(Metric::Refused);
      env_.publish(BUTTER_PEERS_TOPIC_REMOVED, h.id);
      break;
  }
  if (r.refusal == Refusal::Address) env_.count(Metric::RefusedAddress);
  if (r.refusal == Refusal::Prefix) env_.count(Metric::RefusedPrefix);
}

void MembershipEngine::evict(const std::string& id, const std::string& why) {
  env_.info("host " + id.substr(0, 8) + " evicted after " + std::to_string(cfg_.max_failures) +
            " failed probes: " + why);
  cache_.remove(id);
  records_.erase(id);
  neighbours_.lost(id);
  env_.count(Metric::Evicted);
  env_.publish(BUTTER_PEERS_TOPIC_REMOVED, id);
}

void MembershipEngine::refresh() {
  cache_.set_own_endpoints(env_.own_endpoints());  // its LAN (they may change: a new listen address)
  // Bounded work per period whatever the cache's size (no probing of every known host): a few
  // members seen least recently, and a few candidates that waited longest.
  probe_sample();
  // Records too old to be trusted go; a host only ever known from such a record goes with it.
  for (const auto& id : records_.expire(env_.unix_ms())) {
    if (const HostEntry* h = cache_.find(id); h && h->last_seen_ms == 0) {
      cache_.remove(id);
      env_.publish(BUTTER_PEERS_TOPIC_REMOVED, id);
    }
  }
  refresh_own_record();
}

void MembershipEngine::probe_sample() {
  // Asking a connected host costs a message; asking another costs a connection, which the host
  // then has to trim or idle-close. So: up to probes_per_refresh connected members (least
  // recently seen first), and one unconnected host (member or candidate, longest unheard first)
  // only while the active set has room for a transient connection below the high watermark.
  std::set<std::string> up;
  for (const auto& p : env_.peers()) up.insert(p.id);
  std::vector<std::pair<std::uint64_t, std::string>> near, far;
  for (const auto& [id, h] : cache_.hosts()) {
    if (in_flight_.count(id)) continue;
    (up.count(id) ? near : far).emplace_back(h.last_seen_ms, id);
  }
  for (const auto& [id, c] : probation_)
    if (!in_flight_.count(id)) (up.count(id) ? near : far).emplace_back(c.since_ms, id);
  const std::size_t k = std::min(cfg_.probes_per_refresh, near.size());
  std::partial_sort(near.begin(), near.begin() + static_cast<std::ptrdiff_t>(k), near.end());
  for (std::size_t i = 0; i < k; ++i) probe(near[i].second);
  const ConnLimits w = env_.conn_limits();
  const bool room = w.high_water == 0 || w.peers + 1 < w.high_water;
  if (room && !far.empty()) probe(std::min_element(far.begin(), far.end())->second);
}

EngineReply MembershipEngine::handle_quality_request(const std::string& from, const std::uint8_t* data, std::size_t len,
                                                     const std::string& observed) {
  count_membership_bytes(len);
  EngineReply reply;
  std::string why;
  auto r = decode_request(data, len, why);
  if (!r) {
    env_.count(Metric::Malformed);
    reply.status = BUTTER_E_INVALID;
    reply.error = why;
    return reply;
  }
  if (r->version == kQualityV2) {
    versions_.upgrade(from);  // an old node upgraded since it refused us
  } else {
    versions_.refresh(from, env_.now_ms());
  }
  // The asker told us its quality: one exchange teaches both sides.
  if (from != self_) {
    for (const auto& ep : r->endpoints) env_.add_address(from, ep);
    HostEntry h;
    h.id = from;
    h.endpoints = r->endpoints;
    h.quality = r->quality;
    h.last_seen_ms = h.first_seen_ms = env_.now_ms();
    h.answers = 1;
    h.address = admission_address(observed, h.endpoints);
    probation_.erase(from);
    admit(h);
  }
  reply.bytes = encode_response(own_quality(), r->version);  // in the version it asked in
  count_membership_bytes(reply.bytes.size());
  env_.traffic(Traffic::ProbeAnswer, reply.bytes.size());
  return reply;
}

}  // namespace butter::knownhosts
