// The known-host cache plugin: probation, quality exchange, refresh and eviction.
#include "knownhosts.hpp"

#include <butter/iface/storage_quota.h>
#include <butter/wire.hpp>

#include <algorithm>
#include <set>

namespace butter::knownhosts {

namespace {
// What one cache entry costs, for sizing the cache from the node's memory budget.
constexpr std::uint64_t kEntryBytes = 1024;
}  // namespace

void KnownHosts::init() {
  self_ = std::string(node().id());
  std::int64_t capacity = config().get_int("capacity", 0);
  double share = config().get_float("memory_share", 0.01);
  if (capacity < 0) throw butter::Error(BUTTER_E_INVALID, "capacity must be >= 0 (0 = from the memory budget)");
  if (share <= 0 || share > 1) throw butter::Error(BUTTER_E_INVALID, "memory_share must be in (0, 1]");
  if (capacity == 0) {
    capacity = static_cast<std::int64_t>(static_cast<double>(node().memory_budget()) * share / kEntryBytes);
  }
  cache_.set_capacity(static_cast<std::size_t>(std::max<std::int64_t>(1, capacity)));
  std::int64_t refresh = config().get_int("refresh_ms", 30000);
  std::int64_t timeout = config().get_int("timeout_ms", 2000);
  std::int64_t failures = config().get_int("max_failures", 3);
  std::int64_t probation = config().get_int("probation_max", 256);
  std::int64_t probes = config().get_int("probes_per_refresh", 1);
  if (refresh <= 0 || timeout <= 0 || failures <= 0 || probation <= 0 || probes <= 0) {
    throw butter::Error(BUTTER_E_INVALID,
                        "refresh_ms, timeout_ms, max_failures, probation_max and probes_per_refresh must be > 0");
  }
  probes_per_refresh_ = static_cast<std::size_t>(probes);
  cache_.set_limits(admission_limits());
  refresh_ = std::chrono::milliseconds(refresh);
  timeout_ = std::chrono::milliseconds(timeout);
  max_failures_ = static_cast<std::uint32_t>(failures);
  probation_max_ = static_cast<std::size_t>(probation);
  capacity_.set(static_cast<double>(cache_.capacity()));

  provide(BUTTER_IFACE_PEERS, peers_vtable());
  on(kProtocol, [this](const butter::Request& req, butter::Reply& reply) { handle_request(req, reply); });
  on_peer([this](butter::PeerEvent ev, std::string_view id) {
    std::string peer(id);
    if (ev == butter::PeerEvent::Up) {
      // A HELLO tells us a node's endpoints: treat it as a candidate.
      for (const auto& p : peers()) {
        if (p.node_id == peer) add_candidate(peer, p.endpoints, "hello");
      }
      overlay_peer_up(peer);
    } else {
      // A closed connection says nothing about the host: the host trims and closes idle
      // connections all the time. Only a neighbour is replaced (on the next neighbour tick).
      lose_neighbour(peer);
    }
  });
  overlay_init();
  if (http().available()) {
    http().get("/knownhosts", [this](const butter::HttpRequest&, butter::HttpResponse& res) { res.json(report_json()); });
  }
}

void KnownHosts::start() {
  cache_.set_own_endpoints(node().endpoints());
  refresh_timer_ = every(refresh_, [this] { refresh(); });
  overlay_start();
}

void KnownHosts::stop() {
  refresh_timer_.cancel();
  neighbour_timer_.cancel();
  exchange_timer_.cancel();
}

AdmissionLimits KnownHosts::admission_limits() {
  // Sybil bounds (quality_cache.hpp): ids cost nothing, addresses and networks do.
  std::int64_t per_address = config().get_int("max_per_address", 2);
  std::int64_t per_prefix = config().get_int("max_per_prefix", 8);
  std::int64_t established = config().get_int("established_ms", 60000);
  if (per_address < 1) throw butter::Error(BUTTER_E_INVALID, "max_per_address must be >= 1 (hosts admitted per address)");
  if (per_prefix < per_address)
    throw butter::Error(BUTTER_E_INVALID, "max_per_prefix must be >= max_per_address (a /24 or /48 holds its addresses)");
  if (established < 0) throw butter::Error(BUTTER_E_INVALID, "established_ms must be >= 0");
  AdmissionLimits l;
  l.per_address = static_cast<std::size_t>(per_address);
  l.per_prefix = static_cast<std::size_t>(per_prefix);
  l.loopback_exempt = config().get_bool("loopback_exempt", true);
  l.established_ms = static_cast<std::uint64_t>(established);
  return l;
}

std::string KnownHosts::observed_address(const std::string& id) {
  // The remote address of its connection, as this node's transport sees it (what a peer cannot
  // choose, unlike the endpoints it announces). None when it is not connected.
  for (const auto& p : peers())
    if (p.node_id == id) return p.remote_address;
  return {};
}

bool KnownHosts::connected(const std::string& id) {
  for (const auto& p : peers())
    if (p.node_id == id) return true;
  return false;
}

Quality KnownHosts::own_quality() const {
  Quality q;
  q.uptime_s = static_cast<std::uint64_t>(node().uptime().count() / 1000);
  q.hosts_known = static_cast<std::uint32_t>(cache_.size());
  // Free storage comes from the storage service when the node runs one.
  if (auto quota = services().acquire<butter_storage_quota_v1>(BUTTER_IFACE_STORAGE_QUOTA)) {
    q.free_storage = quota->free_bytes(quota.provider());
  }
  return q;
}

butter_status KnownHosts::add_candidate(const std::string& id, std::vector<std::string> endpoints,
                                        std::string_view source) {
  std::uint8_t raw[32];
  if (!wire::hex_to_id(id, raw)) return BUTTER_E_INVALID;
  if (id == self_) return BUTTER_OK;
  for (const auto& ep : endpoints) add_address(id, ep);
  if (HostEntry* h = cache_.find_mut(id)) {
    if (!endpoints.empty()) h->endpoints = std::move(endpoints);
    return BUTTER_OK;
  }
  auto it = probation_.find(id);
  if (it == probation_.end()) {
    if (probation_.size() >= probation_max_) {
      // Full: drop the candidate that has waited longest (it had its chances).
      auto oldest = std::min_element(probation_.begin(), probation_.end(),
                                     [](const auto& a, const auto& b) { return a.second.since_ms < b.second.since_ms; });
      probation_.erase(oldest);
    }
    log().debug("candidate {} from {}", id.substr(0, 8), source);
    probation_[id] = Candidate{std::move(endpoints), 0, static_cast<std::uint64_t>(now().count())};
  } else if (!endpoints.empty()) {
    it->second.endpoints = std::move(endpoints);
  }
  update_gauges();
  // Probing dials. A connected host costs nothing to ask; an unconnected one is asked at once only
  // while the cache (with the probes already out) is nearly empty (cold start), else it waits for
  // a refresh's bounded sample: a LAN of a thousand beacons does not make a thousand dials.
  if (cache_.size() + in_flight_.size() < warm_target_ || connected(id)) probe(id);
  return BUTTER_OK;
}

butter_status KnownHosts::remove(const std::string& id) {
  bool was_member = cache_.remove(id);
  bool was_candidate = probation_.erase(id) > 0;
  records_.erase(id);
  if (was_member) publish(BUTTER_PEERS_TOPIC_REMOVED, id);
  update_gauges();
  return (was_member || was_candidate) ? BUTTER_OK : BUTTER_E_NOT_FOUND;
}

void KnownHosts::probe(const std::string& id) {
  if (in_flight_.count(id)) return;
  QualityRequest req{own_quality(), node().endpoints()};
  in_flight_[id] = true;
  probes_.add();
  auto bytes = encode_request(req);
  count_membership_bytes(bytes.size());
  butter::Status s = request(id, kProtocol, bytes, timeout_, [this, id](const butter::Response& r) {
    in_flight_.erase(id);
    count_membership_bytes(r.bytes().size());
    if (!r.ok()) {
      on_failure(id, r.error());
      return;
    }
    std::string why;
    auto q = decode_response(r.bytes().data(), r.bytes().size(), why);
    if (!q) {
      malformed_.add();
      on_failure(id, "malformed answer: " + why);
      return;
    }
    on_answer(id, *q);
  });
  if (!s) {
    in_flight_.erase(id);
    on_failure(id, s.message());
  }
}

void KnownHosts::on_answer(const std::string& id, const Quality& q) {
  HostEntry h;
  h.id = id;
  h.quality = q;
  h.quality_known = true;
  h.last_seen_ms = h.first_seen_ms = static_cast<std::uint64_t>(now().count());
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

void KnownHosts::on_failure(const std::string& id, const std::string& why) {
  if (HostEntry* h = cache_.find_mut(id)) {
    if (++h->failures >= max_failures_) evict(id, why.c_str());
  } else if (auto it = probation_.find(id); it != probation_.end()) {
    if (++it->second.failures >= max_failures_) {
      log().debug("candidate {} dropped: {}", id.substr(0, 8), why);
      probation_.erase(it);
    }
  }
  update_gauges();
}

void KnownHosts::admit(const HostEntry& h) {
  AdmitResult r = cache_.admit(h);
  switch (r.outcome) {
    case Admission::Added:
      admitted_.add();
      publish(BUTTER_PEERS_TOPIC_ADDED, h.id);
      break;
    case Admission::Updated:
      publish(BUTTER_PEERS_TOPIC_UPDATED, h.id);
      break;
    case Admission::Refreshed:
      break;
    case Admission::Replaced:
      admitted_.add();
      replaced_.add();
      publish(BUTTER_PEERS_TOPIC_REMOVED, *r.evicted);
      publish(BUTTER_PEERS_TOPIC_ADDED, h.id);
      break;
    case Admission::Refused:
      refused_.add();
      break;
    case Admission::Dropped:
      refused_.add();
      publish(BUTTER_PEERS_TOPIC_REMOVED, h.id);
      break;
  }
  if (r.refusal == Refusal::Address) refused_address_.add();
  if (r.refusal == Refusal::Prefix) refused_prefix_.add();
  update_gauges();
}

void KnownHosts::evict(const std::string& id, const char* why) {
  log().info("host {} evicted after {} failed probes: {}", id.substr(0, 8), max_failures_, why);
  cache_.remove(id);
  records_.erase(id);
  neighbours_.lost(id);
  evicted_.add();
  publish(BUTTER_PEERS_TOPIC_REMOVED, id);
}

void KnownHosts::refresh() {
  cache_.set_own_endpoints(node().endpoints());  // its LAN (they may change: a new listen address)
  // Bounded work per period whatever the cache's size (no probing of every known host): a few
  // members seen least recently, and a few candidates that waited longest.
  probe_sample();
  // Records too old to be trusted go; a host only ever known from such a record goes with it.
  const std::uint64_t now_unix = unix_ms();
  for (const auto& id : records_.expire(now_unix)) {
    if (const HostEntry* h = cache_.find(id); h && h->last_seen_ms == 0) {
      cache_.remove(id);
      publish(BUTTER_PEERS_TOPIC_REMOVED, id);
    }
  }
  refresh_own_record();
  update_gauges();
}

void KnownHosts::probe_sample() {
  // Asking a connected host costs a message; asking another costs a connection, which the host
  // then has to trim or idle-close. So: up to probes_per_refresh connected members (least
  // recently seen first), and one unconnected host (member or candidate, longest unheard first)
  // only while the active set has room for a transient connection below the high watermark.
  std::set<std::string> up;
  for (const auto& p : peers()) up.insert(p.node_id);
  std::vector<std::pair<std::uint64_t, std::string>> near, far;
  for (const auto& [id, h] : cache_.hosts()) {
    if (in_flight_.count(id)) continue;
    (up.count(id) ? near : far).emplace_back(h.last_seen_ms, id);
  }
  for (const auto& [id, c] : probation_)
    if (!in_flight_.count(id)) (up.count(id) ? near : far).emplace_back(c.since_ms, id);
  const std::size_t k = std::min(probes_per_refresh_, near.size());
  std::partial_sort(near.begin(), near.begin() + static_cast<std::ptrdiff_t>(k), near.end());
  for (std::size_t i = 0; i < k; ++i) probe(near[i].second);
  const auto w = conns_.info();
  const bool room = w.high_water == 0 || w.peers + 1 < w.high_water;
  if (room && !far.empty()) probe(std::min_element(far.begin(), far.end())->second);
}

void KnownHosts::handle_request(const butter::Request& req, butter::Reply& reply) {
  count_membership_bytes(req.bytes().size());
  std::string why;
  auto r = decode_request(req.bytes().data(), req.bytes().size(), why);
  if (!r) {
    malformed_.add();
    reply.error(BUTTER_E_INVALID, why);
    return;
  }
  // The asker told us its quality: one exchange teaches both sides.
  std::string from(req.from());
  if (from != self_) {
    for (const auto& ep : r->endpoints) add_address(from, ep);
    HostEntry h;
    h.id = from;
    h.endpoints = r->endpoints;
    h.quality = r->quality;
    h.last_seen_ms = h.first_seen_ms = static_cast<std::uint64_t>(now().count());
    h.answers = 1;
    h.address = admission_address(observed_address(from), h.endpoints);
    probation_.erase(from);
    admit(h);
  }
  auto answer = encode_response(own_quality());
  count_membership_bytes(answer.size());
  reply.ok(answer);
}

void KnownHosts::publish(const char* topic, const std::string& id) {
  if (events().available()) events().publish(topic, id);
}

void KnownHosts::update_gauges() {
  hosts_.set(static_cast<double>(cache_.size()));
  candidates_.set(static_cast<double>(probation_.size()));
  neighbours_out_.set(static_cast<double>(neighbours_.out_count()));
  neighbours_in_.set(static_cast<double>(neighbours_.in_count()));
}

butter_peer_record KnownHosts::record(const HostEntry& h, std::vector<butter_str>& eps) const {
  eps.clear();
  for (const auto& e : h.endpoints) eps.push_back(butter_str{e.data(), e.size()});
  butter_peer_record r{};
  r.struct_size = sizeof r;
  r.node_id = butter_str{h.id.data(), h.id.size()};
  r.endpoint_count = static_cast<std::uint32_t>(eps.size());
  r.endpoints = eps.data();
  r.quality_known = h.quality_known ? 1 : 0;
  // What this node observed, not what the host claims (a fresh id's claims count for nothing).
  const Quality q = cache_.effective(h);
  r.quality = butter_peer_quality{sizeof(butter_peer_quality), q.uptime_s, q.free_storage, q.hosts_known};
  r.last_seen_ms = h.last_seen_ms;
  r.failures = h.failures;
  r.quality_class = cache_.class_of(h.id);
  return r;
}

std::string KnownHosts::report_json() const {
  auto counts = cache_.class_counts();
  std::string s = "{\"capacity\":" + std::to_string(cache_.capacity()) + ",\"candidates\":" +
                  std::to_string(probation_.size()) + ",\"classes\":[";
  for (std::size_t i = 0; i < counts.size(); ++i) s += (i ? "," : "") + std::to_string(counts[i]);
  s += "],\"hosts\":[";
  bool first = true;
  Means m = cache_.means();
  for (const auto& [id, h] : cache_.hosts()) {
    s += first ? "" : ",";
    first = false;
    s += "{\"id\":\"" + id + "\",\"class\":" + std::to_string(quality_class(cache_.effective(h), m)) +
         ",\"uptime_s\":" + std::to_string(h.quality.uptime_s) + ",\"free_storage\":" +
         std::to_string(h.quality.free_storage) + ",\"hosts_known\":" + std::to_string(h.quality.hosts_known) +
         ",\"observed_ms\":" + std::to_string(observed_ms(h)) + ",\"answers\":" + std::to_string(h.answers) +
         ",\"address\":" + butter::json_string(h.address) +
         ",\"failures\":" + std::to_string(h.failures) + ",\"endpoints\":[";
    for (std::size_t i = 0; i < h.endpoints.size(); ++i) {
      // Endpoints were validated as URIs; escape quotes and backslashes all the same.
      s += (i ? "," : "") + butter::json_string(h.endpoints[i]);
    }
    s += "]}";
  }
  return s + "]}";
}

}  // namespace butter::knownhosts
