#include "quality_cache.hpp"

#include <algorithm>
#include <tuple>

namespace butter::knownhosts {

std::uint64_t observed_ms(const HostEntry& h) {
  return h.first_seen_ms && h.last_seen_ms > h.first_seen_ms ? h.last_seen_ms - h.first_seen_ms : 0;
}

std::string admission_address(const std::string& observed, const std::vector<std::string>& endpoints) {
  if (!observed.empty()) return observed;
  for (const auto& e : endpoints)
    if (!butter::network_key(e).prefix.empty()) return e;
  return endpoints.empty() ? std::string() : endpoints.front();
}

Quality effective_quality(const HostEntry& h, std::uint64_t established_ms) {
  const std::uint64_t seen = observed_ms(h);
  Quality q;
  // A claimed uptime counts only as far as this node watched the host answer.
  q.uptime_s = std::min(h.quality.uptime_s, seen / 1000);
  // Free storage and hosts known cannot be checked from here: they count only for a host this
  // node has watched long enough that making ids to claim them is not free.
  if (h.first_seen_ms && seen >= established_ms) {
    q.free_storage = h.quality.free_storage;
    q.hosts_known = h.quality.hosts_known;
  }
  return q;
}

Quality QualityCache::effective(const HostEntry& h) const {
  Quality q = effective_quality(h, limits_.established_ms);
  q.free_storage = std::min(q.free_storage, limits_.max_free_storage);
  const std::uint64_t hosts_max = std::uint64_t{capacity_} * limits_.hosts_known_per_capacity;
  q.hosts_known = static_cast<std::uint32_t>(std::min<std::uint64_t>(q.hosts_known, hosts_max));
  return q;
}

int QualityCache::class_of(const std::string& id) const {
  auto it = hosts_.find(id);
  return it == hosts_.end() ? -1 : quality_class(effective(it->second), thresholds());
}

std::array<std::size_t, 8> QualityCache::class_counts() const {
  std::array<std::size_t, 8> counts{};
  const Thresholds t = thresholds();
  for (const auto& [id, h] : hosts_) ++counts[static_cast<std::size_t>(quality_class(effective(h), t))];
  return counts;
}

bool QualityCache::evictable(const HostEntry& h) const {
  // Established: answered, and watched for established_ms. Such a host leaves by failing probes.
  // established_ms = 0 turns the protection off (claims count at once, anybody may be evicted).
  const bool established = h.first_seen_ms && observed_ms(h) >= limits_.established_ms;
  return h.failures > 0 || limits_.established_ms == 0 || !established;
}

// The tie-break order of victims: most failures, then shortest observed, then least recently
// seen; equal ones keep map order (smallest id first).
static bool worse(const HostEntry& a, const HostEntry& b) {
  return std::make_tuple(a.failures, observed_ms(b), b.last_seen_ms) >
         std::make_tuple(b.failures, observed_ms(a), a.last_seen_ms);
}

std::string QualityCache::eviction_victim(const Thresholds& t, int crowded_class, Victims who) const {
  const HostEntry* victim = nullptr;
  for (const auto& [id, h] : hosts_) {
    if (quality_class(effective(h), t) != crowded_class) continue;
    if (who == Victims::Evictable && !evictable(h)) continue;
    if (who == Victims::Unheard && h.first_seen_ms && !h.failures) continue;
    if (!victim || worse(h, *victim)) victim = &h;
  }
  return victim ? victim->id : std::string();
}

std::size_t QualityCache::unanswered_max() const {
  const double share = std::clamp(limits_.unanswered_share, 0.0, 1.0);
  return std::max<std::size_t>(1, static_cast<std::size_t>(static_cast<double>(capacity_) * share));
}

std::string QualityCache::unanswered_victim() const {
  const HostEntry* victim = nullptr;
  for (const auto& id : unanswered_) {
    const HostEntry& h = hosts_.at(id);
    if (!victim || worse(h, *victim)) victim = &h;
  }
  return victim ? victim->id : std::string();
}

void QualityCache::index(const HostEntry& h) {
  if (!h.first_seen_ms) unanswered_.insert(h.id);
  ranks_.add(effective(h));
  const NetworkKey k = bounded(h.network);
  if (!k.address.empty()) by_address_[k.address].insert(&h);
  if (!k.prefix.empty()) by_prefix_[k.prefix].insert(&h);
}

static void unindex_key(QualityCache::KeyIndex& index, const std::string& key, const HostEntry* h) {
  if (key.empty()) return;
  if (auto it = index.find(key); it != index.end() && it->second.erase(h) && it->second.empty()) index.erase(it);
}

void QualityCache::unindex(const HostEntry& h) {
  unanswered_.erase(h.id);
  ranks_.remove(effective(h));
  const NetworkKey k = bounded(h.network);
  unindex_key(by_address_, k.address, &h);
  unindex_key(by_prefix_, k.prefix, &h);
}

void QualityCache::reindex() {
  unanswered_.clear();
  ranks_.clear();
  by_address_.clear();
  by_prefix_.clear();
  for (const auto& [id, h] : hosts_) index(h);
}

void QualityCache::set_limits(const AdmissionLimits& l) {
  limits_ = l;
  reindex();
}

void QualityCache::insert(const HostEntry& h, const NetworkKey& network) {
  HostEntry& m = hosts_.emplace(h.id, h).first->second;
  m.network = network;
  index(m);
}

void QualityCache::erase(const std::string& id) {
  auto it = hosts_.find(id);
  if (it == hosts_.end()) return;
  unindex(it->second);
  hosts_.erase(it);
}

void QualityCache::set_own_endpoints(const std::vector<std::string>& endpoints) {
  std::vector<std::string> prefixes;
  for (const auto& e : endpoints)
    if (auto k = butter::network_key(e); !k.prefix.empty()) prefixes.push_back(k.prefix);
  if (prefixes == own_prefixes_) return;  // asked on every refresh; the keys change rarely
  own_prefixes_ = std::move(prefixes);
  reindex();
}

NetworkKey QualityCache::bounded(NetworkKey k) const {
  if (k.loopback && limits_.loopback_exempt) return {};
  if (std::find(own_prefixes_.begin(), own_prefixes_.end(), k.prefix) != own_prefixes_.end()) k.prefix.clear();
  return k;
}

Refusal QualityCache::over_bound(const NetworkKey& k, const std::string& except) const {
  // Counted from the index (a pass over the cache copying every member's keys cost ~100 us per
  // quality request at 2.6k hosts, and any peer can send those).
  const HostEntry* self = find(except);
  auto members = [self](const KeyIndex& index, const std::string& key) {
    auto it = key.empty() ? index.end() : index.find(key);
    return it == index.end() ? std::size_t{0} : it->second.size() - it->second.count(self);
  };
  if (!k.address.empty() && members(by_address_, k.address) >= limits_.per_address) return Refusal::Address;
  if (!k.prefix.empty() && members(by_prefix_, k.prefix) >= limits_.per_prefix) return Refusal::Prefix;
  return Refusal::None;
}

AdmitResult QualityCache::admit_over_bound(const HostEntry& candidate, const NetworkKey& k, Refusal bound) {
  // Only a member of the full group itself can make room, and only one that failed a probe or
  // never answered, for a newcomer that did answer: fresh ids never push out an observed host.
  const HostEntry* victim = nullptr;
  const auto& index = bound == Refusal::Address ? by_address_ : by_prefix_;
  const auto group = index.find(bound == Refusal::Address ? k.address : k.prefix);
  if (candidate.first_seen_ms && group != index.end()) {
    for (const HostEntry* h : group->second) {
      if (h->failures == 0 && h->first_seen_ms) continue;
      // The group is in no order: equals go by smallest id, as in a pass over the cache.
      if (!victim || worse(*h, *victim) || (!worse(*victim, *h) && h->id < victim->id)) victim = h;
    }
  }
  if (!victim) return {Admission::Refused, std::nullopt, bound};
  std::string evicted = victim->id;
  erase(evicted);
  insert(candidate, butter::network_key(candidate.address));
  return {Admission::Replaced, evicted, Refusal::None};
}

AdmitResult QualityCache::admit(const HostEntry& candidate) {
  if (auto it = hosts_.find(candidate.id); it != hosts_.end()) {
    HostEntry& member = it->second;
    // Seen from another address: the bounds apply there as to a newcomer (a record may have
    // claimed one network; the connection shows another).
    NetworkKey network = member.network;
    if (!candidate.address.empty() && candidate.address != member.address) {
      network = butter::network_key(candidate.address);
      const NetworkKey k = bounded(network), before = bounded(member.network);
      if (before.address != k.address || before.prefix != k.prefix) {
        if (Refusal bound = over_bound(k, candidate.id); bound != Refusal::None) {
          erase(candidate.id);
          return {Admission::Dropped, std::nullopt, bound};
        }
      }
    }
    const int class_before = class_of(candidate.id);
    unindex(member);
    const bool news = (!candidate.endpoints.empty() && candidate.endpoints != member.endpoints) ||
                      candidate.quality.free_storage != member.quality.free_storage ||
                      candidate.quality.hosts_known != member.quality.hosts_known;
    std::vector<std::string> endpoints =
        candidate.endpoints.empty() ? std::move(member.endpoints) : candidate.endpoints;
    std::string address = candidate.address.empty() ? std::move(member.address) : candidate.address;
    // What this node observed accumulates: the first answer stays the first.
    const std::uint64_t first = member.first_seen_ms ? member.first_seen_ms : candidate.first_seen_ms;
    const std::uint32_t answers = member.answers + candidate.answers;
    member = candidate;
    member.endpoints = std::move(endpoints);
    member.address = std::move(address);
    member.network = std::move(network);
    member.first_seen_ms = first;
    member.answers = answers;
    index(member);
    const bool moved = class_of(candidate.id) != class_before;
    return {(news || moved) ? Admission::Updated : Admission::Refreshed, std::nullopt};
  }
  const NetworkKey network = butter::network_key(candidate.address);
  const NetworkKey k = bounded(network);
  if (Refusal bound = over_bound(k, candidate.id); bound != Refusal::None) return admit_over_bound(candidate, k, bound);
  const bool answered = candidate.first_seen_ms != 0;
  if (!answered && unanswered_.size() >= unanswered_max())
    return {Admission::Refused, std::nullopt, Refusal::Unanswered};
  if (hosts_.size() < capacity_) {
    insert(candidate, network);
    return {Admission::Added, std::nullopt};
  }
  // A host that answered goes before any known only from a record, whatever their classes.
  if (answered && !unanswered_.empty()) {
    std::string victim = unanswered_victim();
    erase(victim);
    insert(candidate, network);
    return {Admission::Replaced, victim};
  }
  const Quality mine_q = effective(candidate);
  const Thresholds t = ranks_.thresholds_with(mine_q);
  std::array<std::size_t, 8> counts{};
  for (const auto& [id, h] : hosts_) ++counts[static_cast<std::size_t>(quality_class(effective(h), t))];
  std::size_t most = *std::max_element(counts.begin(), counts.end());
  int mine = quality_class(mine_q, t);
  if (most <= 1 || counts[static_cast<std::size_t>(mine)] == most)
    return {Admission::Refused, std::nullopt, Refusal::Class};
  int crowded = static_cast<int>(std::find(counts.begin(), counts.end(), most) - counts.begin());
  // Long-observed hosts are kept: only a member that failed or is not established makes room, and
  // for a newcomer that never answered only one that never answered either (or failed).
  std::string victim = eviction_victim(t, crowded, answered ? Victims::Evictable : Victims::Unheard);
  if (victim.empty()) return {Admission::Refused, std::nullopt, Refusal::Class};
  erase(victim);
  insert(candidate, network);
  return {Admission::Replaced, victim};
}

void QualityCache::set_capacity(std::size_t c) {
  capacity_ = c == 0 ? 1 : c;
  reindex();  // the bound on hosts known follows the capacity
  while (hosts_.size() > capacity_) {
    // Those known only from a record go first while they are over their share of the new capacity.
    if (unanswered_.size() > unanswered_max()) {
      erase(unanswered_victim());
      continue;
    }
    const Thresholds t = thresholds();
    auto counts = class_counts();
    std::size_t most = *std::max_element(counts.begin(), counts.end());
    int crowded = static_cast<int>(std::find(counts.begin(), counts.end(), most) - counts.begin());
    // Shrinking must fit: the established may go too (failing and fresh ones first).
    std::string victim = eviction_victim(t, crowded, Victims::Evictable);
    erase(victim.empty() ? eviction_victim(t, crowded, Victims::Any) : victim);
  }
}

bool QualityCache::remove(const std::string& id) {
  if (!hosts_.count(id)) return false;
  erase(id);
  return true;
}

const HostEntry* QualityCache::find(const std::string& id) const {
  auto it = hosts_.find(id);
  return it == hosts_.end() ? nullptr : &it->second;
}

HostEntry* QualityCache::find_mut(const std::string& id) {
  auto it = hosts_.find(id);
  return it == hosts_.end() ? nullptr : &it->second;
}

std::string QualityCache::sample_network(const HostEntry& h) const {
  const NetworkKey k = bounded(h.network);
  if (!k.prefix.empty()) return k.prefix;
  // A relayed host's network is its ambassador (relay://<ambassador>@...), as for neighbours.
  if (k.address.rfind("relay://", 0) == 0) return k.address.substr(0, k.address.find('@'));
  return k.address;
}

std::vector<const HostEntry*> QualityCache::sample(std::size_t k, std::mt19937_64& rng) const {
  const std::uint64_t n = hosts_.size();
  k = std::min<std::size_t>(k, n);
  if (k == 0) return {};
  std::array<std::vector<const HostEntry*>, 8> by_class;
  const Thresholds t = thresholds();
  for (const auto& [id, h] : hosts_) by_class[static_cast<std::size_t>(quality_class(effective(h), t))].push_back(&h);
  // Slots in proportion to the classes' sizes: the k points u, u + n, u + 2n, ... (u at random in
  // [0, n)) on [0, k n), where class c covers a stretch k x size(c) long, so it gets floor or ceil of
  // k size(c) / n slots, exactly that on average. (Round-robin over the classes gave a class of 8
  // sybils as many slots as one of 80 honest hosts.)
  const std::uint64_t u = std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng);
  auto points_below = [&](std::uint64_t x) { return x <= u ? 0 : std::min<std::uint64_t>(k, (x - u + n - 1) / n); };
  std::array<std::size_t, 8> slots{};
  std::uint64_t from = 0;
  for (std::size_t c = 0; c < 8; ++c) {
    const std::uint64_t to = from + k * by_class[c].size();
    slots[c] = static_cast<std::size_t>(points_below(to) - points_below(from));
    from = to;
  }
  // Within a class at random, one host per network while there are others: sybils of one /24 (or
  // behind one ambassador) are one host of a sample, whatever they claim.
  std::set<std::string> networks;
  auto fresh = [&](const HostEntry* h) {
    const std::string net = sample_network(*h);
    return net.empty() || !networks.count(net);
  };
  std::vector<const HostEntry*> out, rest;
  auto take = [&](const HostEntry* h) {
    if (std::string net = sample_network(*h); !net.empty()) networks.insert(std::move(net));
    out.push_back(h);
  };
  for (std::size_t c = 0; c < 8; ++c) {
    std::shuffle(by_class[c].begin(), by_class[c].end(), rng);
    std::size_t taken = 0;
    for (const HostEntry* h : by_class[c]) {
      if (taken < slots[c] && fresh(h)) {
        take(h);
        ++taken;
      } else {
        rest.push_back(h);
      }
    }
  }
  // Slots a class could not fill from networks not yet in the sample: hosts of other classes from
  // such networks, then anybody.
  std::shuffle(rest.begin(), rest.end(), rng);
  std::vector<const HostEntry*> repeats;
  for (const HostEntry* h : rest) {
    if (out.size() >= k) break;
    if (fresh(h))
      take(h);
    else
      repeats.push_back(h);
  }
  for (const HostEntry* h : repeats) {
    if (out.size() >= k) break;
    out.push_back(h);
  }
  std::shuffle(out.begin(), out.end(), rng);  // the order says nothing of the class
  return out;
}

}  // namespace butter::knownhosts
