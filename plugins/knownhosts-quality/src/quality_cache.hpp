// QualityCache: the admission and eviction rule of the known-host cache, as pure logic.
//
// Below capacity every host is kept (memory greedy). At capacity, each host falls into one of 8
// classes — one bit per metric (uptime, free storage, hosts known), set when the metric is above
// the mean of the hosts in the cache. A newcomer whose class is (one of) the most crowded is
// refused; otherwise one host of the most crowded class is evicted to make room (diversity).
//
// Where the Go prototype drifted, this stays exact:
//  - means are recomputed on every decision (no running counters to drift), over the population
//    being chosen from: the members and the newcomer. (Over the members alone, a cache whose
//    members are all equal puts them all "low", and every newcomer below them "low" too, so it
//    could never diversify.)
//  - when no class holds two members the cache is as diverse as its size allows: newcomers are
//    refused rather than swapped in and out (capacity 1 keeps its host until that host fails);
//  - "above the mean" is strict, compared exactly in integers (value * n > sum), so equal
//    metrics never flip between classes through rounding;
//  - ties are broken deterministically: among equally crowded classes the lowest class index is
//    the one evicted from; within a class, the host with the most failures, then the least
//    recently seen, then the smallest node id goes first;
//  - capacity 0 is treated as 1; a cache that knows nobody admits anybody.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace butter::knownhosts {

struct Quality {
  std::uint64_t uptime_s = 0;
  std::uint64_t free_storage = 0;
  std::uint32_t hosts_known = 0;
};

struct HostEntry {
  std::string id;  // 64 hex digits
  std::vector<std::string> endpoints;
  Quality quality;
  std::uint64_t last_seen_ms = 0;  // 0: never answered us (learned from a signed record)
  std::uint32_t failures = 0;
  bool quality_known = true;  // false until it answered a quality request
};

// Sums of each metric over the members, as unsigned 128-bit integers (no overflow for any
// realistic cache), with the member count: mean comparisons are exact.
__extension__ typedef unsigned __int128 Sum128;  // GCC/Clang extension; exact mean comparisons

struct Means {
  Sum128 uptime = 0, storage = 0, hosts = 0;
  std::uint64_t n = 0;
};

int quality_class(const Quality& q, const Means& m);

// Updated: a member was seen again and something a subscriber acts on changed (its endpoints,
// free storage, hosts known, or its class). Refreshed: seen again, nothing of that changed (its
// uptime grows on every probe, which alone is not news).
enum class Admission { Added, Updated, Refreshed, Replaced, Refused };

struct AdmitResult {
  Admission outcome = Admission::Refused;
  std::optional<std::string> evicted;  // set with Replaced
};

class QualityCache {
 public:
  explicit QualityCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  std::size_t capacity() const { return capacity_; }
  void set_capacity(std::size_t c);  // shrinking evicts by the same rule until it fits
  std::size_t size() const { return hosts_.size(); }

  // Adds a host whose quality is known, or updates it when already a member. A member's known
  // endpoints are kept when the candidate brings none (a quality request may carry none).
  AdmitResult admit(const HostEntry& candidate);
  bool remove(const std::string& id);
  const HostEntry* find(const std::string& id) const;
  HostEntry* find_mut(const std::string& id);
  const std::map<std::string, HostEntry>& hosts() const { return hosts_; }

  Means means() const;
  int class_of(const std::string& id) const;
  std::array<std::size_t, 8> class_counts() const;

  // Up to k hosts spread across classes (round-robin over classes, random within a class).
  std::vector<const HostEntry*> sample(std::size_t k, std::mt19937_64& rng) const;

 private:
  // The id that the rule would evict (most crowded class, then the tie-break order).
  std::string eviction_victim(const Means& m, int crowded_class) const;

  std::size_t capacity_;
  std::map<std::string, HostEntry> hosts_;  // ordered by id: deterministic iteration
};

}  // namespace butter::knownhosts
