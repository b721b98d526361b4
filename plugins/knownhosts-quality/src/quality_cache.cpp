#include "quality_cache.hpp"

#include <algorithm>
#include <tuple>

namespace butter::knownhosts {

static bool above(std::uint64_t value, Sum128 sum, std::uint64_t n) {
  return n > 0 && static_cast<Sum128>(value) * n > sum;
}

int quality_class(const Quality& q, const Means& m) {
  int c = 0;
  if (above(q.uptime_s, m.uptime, m.n)) c |= 1;
  if (above(q.free_storage, m.storage, m.n)) c |= 2;
  if (above(q.hosts_known, m.hosts, m.n)) c |= 4;
  return c;
}

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

Means QualityCache::means() const {
  Means m;
  for (const auto& [id, h] : hosts_) {
    const Quality q = effective(h);
    m.uptime += q.uptime_s;
    m.storage += q.free_storage;
    m.hosts += q.hosts_known;
    ++m.n;
  }
  return m;
}

int QualityCache::class_of(const std::string& id) const {
  auto it = hosts_.find(id);
  return it == hosts_.end() ? -1 : quality_class(effective(it->second), means());
}

std::array<std::size_t, 8> QualityCache::class_counts() const {
  std::array<std::size_t, 8> counts{};
  Means m = means();
  for (const auto& [id, h] : hosts_) ++counts[static_cast<std::size_t>(quality_class(effective(h), m))];
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

std::string QualityCache::eviction_victim(const Means& m, int crowded_class, bool evictable_only) const {
  const HostEntry* victim = nullptr;
  for (const auto& [id, h] : hosts_) {
    if (quality_class(effective(h), m) != crowded_class) continue;
    if (evictable_only && !evictable(h)) continue;
    if (!victim || worse(h, *victim)) victim = &h;
  }
  return victim ? victim->id : std::string();
}

void QualityCache::set_own_endpoints(const std::vector<std::string>& endpoints) {
  own_prefixes_.clear();
  for (const auto& e : endpoints)
    if (auto k = butter::network_key(e); !k.prefix.empty()) own_prefixes_.push_back(k.prefix);
}

NetworkKey QualityCache::bounded(NetworkKey k) const {
  if (k.loopback && limits_.loopback_exempt) return {};
  if (std::find(own_prefixes_.begin(), own_prefixes_.end(), k.prefix) != own_prefixes_.end()) k.prefix.clear();
  return k;
}

Refusal QualityCache::over_bound(const NetworkKey& k, const std::string& except) const {
  if (k.address.empty() && k.prefix.empty()) return Refusal::None;
  std::size_t same_address = 0, same_prefix = 0;
  for (const auto& [id, h] : hosts_) {
    if (id == except || h.address.empty()) continue;
    const NetworkKey hk = bounded(h.network);
    if (!k.address.empty() && hk.address == k.address) ++same_address;
    if (!k.prefix.empty() && hk.prefix == k.prefix) ++same_prefix;
  }
  if (!k.address.empty() && same_address >= limits_.per_address) return Refusal::Address;
  if (!k.prefix.empty() && same_prefix >= limits_.per_prefix) return Refusal::Prefix;
  return Refusal::None;
}

AdmitResult QualityCache::admit_over_bound(const HostEntry& candidate, const NetworkKey& k, Refusal bound) {
  // Only a member of the full group itself can make room, and only one that failed a probe or
  // never answered, for a newcomer that did answer: fresh ids never push out an observed host.
  const HostEntry* victim = nullptr;
  if (candidate.first_seen_ms) {
    for (const auto& [id, h] : hosts_) {
      if (h.address.empty()) continue;
      const NetworkKey hk = bounded(h.network);
      const bool same = bound == Refusal::Address ? hk.address == k.address : hk.prefix == k.prefix;
      if (!same || (h.failures == 0 && h.first_seen_ms)) continue;
      if (!victim || worse(h, *victim)) victim = &h;
    }
  }
  if (!victim) return {Admission::Refused, std::nullopt, bound};
  std::string evicted = victim->id;
  hosts_.erase(evicted);
  hosts_.emplace(candidate.id, candidate).first->second.network = butter::network_key(candidate.address);
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
          hosts_.erase(it);
          return {Admission::Dropped, std::nullopt, bound};
        }
      }
    }
    const int class_before = class_of(candidate.id);
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
    const bool moved = class_of(candidate.id) != class_before;
    return {(news || moved) ? Admission::Updated : Admission::Refreshed, std::nullopt};
  }
  const NetworkKey network = butter::network_key(candidate.address);
  const NetworkKey k = bounded(network);
  if (Refusal bound = over_bound(k, candidate.id); bound != Refusal::None) return admit_over_bound(candidate, k, bound);
  if (hosts_.size() < capacity_) {
    hosts_.emplace(candidate.id, candidate).first->second.network = network;
    return {Admission::Added, std::nullopt};
  }
  Means m = means();
  const Quality mine_q = effective(candidate);
  m.uptime += mine_q.uptime_s;
  m.storage += mine_q.free_storage;
  m.hosts += mine_q.hosts_known;
  ++m.n;
  std::array<std::size_t, 8> counts{};
  for (const auto& [id, h] : hosts_) ++counts[static_cast<std::size_t>(quality_class(effective(h), m))];
  std::size_t most = *std::max_element(counts.begin(), counts.end());
  int mine = quality_class(mine_q, m);
  if (most <= 1 || counts[static_cast<std::size_t>(mine)] == most)
    return {Admission::Refused, std::nullopt, Refusal::Class};
  int crowded = static_cast<int>(std::find(counts.begin(), counts.end(), most) - counts.begin());
  // Long-observed hosts are kept: only a member that failed or is not established makes room.
  std::string victim = eviction_victim(m, crowded, true);
  if (victim.empty()) return {Admission::Refused, std::nullopt, Refusal::Class};
  hosts_.erase(victim);
  hosts_.emplace(candidate.id, candidate).first->second.network = network;
  return {Admission::Replaced, victim};
}

void QualityCache::set_capacity(std::size_t c) {
  capacity_ = c == 0 ? 1 : c;
  while (hosts_.size() > capacity_) {
    Means m = means();
    auto counts = class_counts();
    std::size_t most = *std::max_element(counts.begin(), counts.end());
    int crowded = static_cast<int>(std::find(counts.begin(), counts.end(), most) - counts.begin());
    // Shrinking must fit: the established may go too (failing and fresh ones first).
    std::string victim = eviction_victim(m, crowded, true);
    hosts_.erase(victim.empty() ? eviction_victim(m, crowded, false) : victim);
  }
}

bool QualityCache::remove(const std::string& id) { return hosts_.erase(id) > 0; }

const HostEntry* QualityCache::find(const std::string& id) const {
  auto it = hosts_.find(id);
  return it == hosts_.end() ? nullptr : &it->second;
}

HostEntry* QualityCache::find_mut(const std::string& id) {
  auto it = hosts_.find(id);
  return it == hosts_.end() ? nullptr : &it->second;
}

std::vector<const HostEntry*> QualityCache::sample(std::size_t k, std::mt19937_64& rng) const {
  std::array<std::vector<const HostEntry*>, 8> by_class;
  Means m = means();
  for (const auto& [id, h] : hosts_) by_class[static_cast<std::size_t>(quality_class(effective(h), m))].push_back(&h);
  for (auto& v : by_class) std::shuffle(v.begin(), v.end(), rng);
  std::vector<const HostEntry*> out;
  // Round-robin over classes so that a small sample still spans them.
  for (std::size_t round = 0; out.size() < k; ++round) {
    bool any = false;
    for (auto& v : by_class) {
      if (round < v.size() && out.size() < k) {
        out.push_back(v[round]);
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}

}  // namespace butter::knownhosts
