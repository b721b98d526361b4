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

Means QualityCache::means() const {
  Means m;
  for (const auto& [id, h] : hosts_) {
    m.uptime += h.quality.uptime_s;
    m.storage += h.quality.free_storage;
    m.hosts += h.quality.hosts_known;
    ++m.n;
  }
  return m;
}

int QualityCache::class_of(const std::string& id) const {
  auto it = hosts_.find(id);
  return it == hosts_.end() ? -1 : quality_class(it->second.quality, means());
}

std::array<std::size_t, 8> QualityCache::class_counts() const {
  std::array<std::size_t, 8> counts{};
  Means m = means();
  for (const auto& [id, h] : hosts_) ++counts[static_cast<std::size_t>(quality_class(h.quality, m))];
  return counts;
}

std::string QualityCache::eviction_victim(const Means& m, int crowded_class) const {
  const HostEntry* victim = nullptr;
  for (const auto& [id, h] : hosts_) {
    if (quality_class(h.quality, m) != crowded_class) continue;
    // Most failures first, then least recently seen, then smallest id (map order).
    if (!victim || std::make_tuple(h.failures, victim->last_seen_ms) > std::make_tuple(victim->failures, h.last_seen_ms)) {
      victim = &h;
    }
  }
  return victim ? victim->id : std::string();
}

AdmitResult QualityCache::admit(const HostEntry& candidate) {
  if (auto it = hosts_.find(candidate.id); it != hosts_.end()) {
    HostEntry& member = it->second;
    const int class_before = class_of(candidate.id);
    const bool news = (!candidate.endpoints.empty() && candidate.endpoints != member.endpoints) ||
                      candidate.quality.free_storage != member.quality.free_storage ||
                      candidate.quality.hosts_known != member.quality.hosts_known;
    std::vector<std::string> endpoints =
        candidate.endpoints.empty() ? std::move(member.endpoints) : candidate.endpoints;
    member = candidate;
    member.endpoints = std::move(endpoints);
    const bool moved = class_of(candidate.id) != class_before;
    return {(news || moved) ? Admission::Updated : Admission::Refreshed, std::nullopt};
  }
  if (hosts_.size() < capacity_) {
    hosts_.emplace(candidate.id, candidate);
    return {Admission::Added, std::nullopt};
  }
  Means m = means();
  m.uptime += candidate.quality.uptime_s;
  m.storage += candidate.quality.free_storage;
  m.hosts += candidate.quality.hosts_known;
  ++m.n;
  std::array<std::size_t, 8> counts{};
  for (const auto& [id, h] : hosts_) ++counts[static_cast<std::size_t>(quality_class(h.quality, m))];
  std::size_t most = *std::max_element(counts.begin(), counts.end());
  int mine = quality_class(candidate.quality, m);
  if (most <= 1 || counts[static_cast<std::size_t>(mine)] == most) return {Admission::Refused, std::nullopt};
  int crowded = static_cast<int>(std::find(counts.begin(), counts.end(), most) - counts.begin());
  std::string victim = eviction_victim(m, crowded);
  hosts_.erase(victim);
  hosts_.emplace(candidate.id, candidate);
  return {Admission::Replaced, victim};
}

void QualityCache::set_capacity(std::size_t c) {
  capacity_ = c == 0 ? 1 : c;
  while (hosts_.size() > capacity_) {
    Means m = means();
    auto counts = class_counts();
    std::size_t most = *std::max_element(counts.begin(), counts.end());
    int crowded = static_cast<int>(std::find(counts.begin(), counts.end(), most) - counts.begin());
    hosts_.erase(eviction_victim(m, crowded));
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
  for (const auto& [id, h] : hosts_) by_class[static_cast<std::size_t>(quality_class(h.quality, m))].push_back(&h);
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
